#pragma once
// The seam between the Pushgateway client and the network. The client builds requests and
// interprets responses; a Transport only moves bytes. Tests substitute a fake.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
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

// Ends requests early, from any thread: once Cancel() is called, a request carrying this object
// that is in flight stops at once (the transport is woken, not polled), later requests fail
// before they start, and a client waiting between retries stops waiting. A program stopping on
// SIGTERM uses it so that a hung gateway cannot hold it. Thread-safe.
class Cancellation {
 public:
  Cancellation() = default;
  Cancellation(const Cancellation&) = delete;
  Cancellation& operator=(const Cancellation&) = delete;

  void Cancel() noexcept;
  bool IsCancelled() const noexcept;
  // Sleeps for `wait`, or less when cancelled; returns whether the whole wait passed.
  bool SleepFor(std::chrono::milliseconds wait) const;

  // For transports: while the returned object lives, `wake` runs (on the thread calling
  // Cancel, or at once when already cancelled) to interrupt a transfer. It must be quick and
  // must not call back into this object.
  class Subscription {
   public:
    Subscription(Cancellation* owner, std::uint64_t id) : owner_(owner), id_(id) {}
    ~Subscription();
    Subscription(const Subscription&) = delete;
    Subscription& operator=(const Subscription&) = delete;

   private:
    Cancellation* owner_;
    std::uint64_t id_;
  };
  [[nodiscard]] Subscription OnCancel(std::function<void()> wake);

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  bool cancelled_ = false;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, std::function<void()>> wakes_;
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
  std::shared_ptr<Cancellation> cancellation;  // null: the request runs to its timeout
};

struct HttpResponse {
  int status = 0;
  Headers headers;   // names lower-cased
  std::string body;  // at most kMaxResponseBody bytes of it
};

// The gateway answers with short texts; a runaway response (100 MB, or chunks that never end)
// is cut here and the transfer ends, the status still counting.
inline constexpr std::size_t kMaxResponseBody = 64 * 1024;

// Thrown by a Transport when no HTTP response was obtained (DNS, connect, TLS, timeout,
// cancellation). The message says what went wrong, not the method or the URL: the caller
// knows those, and the client names them once in its PushError.
class TransportFailure : public Error {
 public:
  using Error::Error;
};

// How long the name resolution done by Transport::Prepare is trusted: a gateway's address may
// change (a Kubernetes Service, DNS failover), and a request that late gains nothing from it.
inline constexpr std::chrono::seconds kPreparedConnectionLifetime{30};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request; never follows redirects. Thread-safe.
  virtual HttpResponse Send(const HttpRequest& request) = 0;

  // Does ahead of time what a Send of a request like `request` (its method and body do not
  // matter) would do first, so that the Send starts sending sooner. It may block on loading
  // libraries and name resolution: call it from a thread that can wait. Never throws; a
  // failure is simply no head start. The default does nothing.
  virtual void Prepare(const HttpRequest& /*request*/) noexcept {}
};

// The libcurl transport, the one every client uses unless given another: http and https,
// TLS options, proxies (the request's, else http_proxy / https_proxy / no_proxy as curl reads
// them). libcurl is loaded (dlopen of libcurl.so.4) on the first Prepare or Send, not when the
// program starts. Prepare loads it, resolves the gateway's host name and sets up the handles
// of a request to that URL; a Send within kPreparedConnectionLifetime connects to those
// addresses without resolving again, and the first Send with the same URL, proxy and TLS
// options takes those handles. One instance serves the whole program.
std::shared_ptr<Transport> MakeCurlTransport();

}  // namespace pushrun::metrics
