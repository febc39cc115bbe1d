#pragma once
// The seam between the Pushgateway client and the network. The client builds requests and
// interprets responses; a Transport only moves bytes. Tests substitute a fake.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pushrun/metrics/error.h"

namespace pushrun::metrics {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct TlsOptions {
  std::string ca_file;    // empty: the system trust store
  std::string cert_file;  // client certificate (PEM)
  std::string key_file;   // client key (PEM)
  bool insecure_skip_verify = false;
};

struct HttpRequest {
  std::string method;  // "PUT", "POST", "DELETE"
  std::string url;     // may contain credentials only if the user put them there
  Headers headers;     // including Content-Type, Content-Encoding, Authorization
  std::string body;
  std::chrono::milliseconds timeout{0};          // whole request
  std::chrono::milliseconds connect_timeout{0};  //
  TlsOptions tls;
  std::string proxy;  // empty: the environment's (http_proxy, https_proxy, no_proxy)
};

struct HttpResponse {
  int status = 0;
  Headers headers;  // names lower-cased
  std::string body;
};

// Thrown by a Transport when no HTTP response was obtained (DNS, connect, TLS, timeout).
// The message says what went wrong ("reading the response: timed out"), not the method or
// the URL: the caller knows those, and Pushgateway names them once in its PushError.
class TransportFailure : public Error {
 public:
  using Error::Error;
};

// How long a connection opened by Transport::Prepare stays usable: a server or a middlebox may
// drop idle connections, and a request that late gains nothing from a head start.
inline constexpr std::chrono::seconds kPreparedConnectionLifetime{30};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request; never follows redirects. Thread-safe.
  virtual HttpResponse Send(const HttpRequest& request) = 0;

  // Does ahead of time what a Send of a request like `request` (its method and body do not
  // matter) would do first, such as resolving the host and connecting, so that the Send starts
  // sending at once. It may block on name resolution and connecting, within the request's
  // connect timeout: call it from a thread that can wait. Never throws; a failure is simply no
  // head start. The default does nothing.
  virtual void Prepare(const HttpRequest& /*request*/) noexcept {}
  // Closes what Prepare opened and no request has used yet, so that an idle connection does
  // not sit on the server (a long job's push would not use it anyway). The default does
  // nothing.
  virtual void Unprepare() noexcept {}
};

// The libcurl transport: every scheme, TLS options, proxies.
std::shared_ptr<Transport> MakeCurlTransport();
// Plain http:// only, straight over a socket: no libcurl loaded, no proxy support.
std::shared_ptr<Transport> MakeSocketTransport();
// What a Pushgateway uses unless told otherwise: the socket transport for plain http:// URLs
// without credentials when no proxy is configured (in the request or the environment), and
// libcurl, created on first need, for everything else.
std::shared_ptr<Transport> MakeDefaultTransport();

}  // namespace pushrun::metrics
