#pragma once
// A client for the Prometheus Pushgateway, after prom-client's Pushgateway:
//   Pushgateway gateway("http://pushgateway:9091", options, registry);
//   gateway.Push({.job_name = "backup", .groupings = {{"instance", "db1"}}});
// Thread-safe: calls may run concurrently; options are never mutated by a call.

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pushrun/metrics/error.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/metrics/transport.h"

namespace pushrun::metrics {

struct PushParams {
  std::string job_name;
  std::map<std::string, std::string> groupings{};  // sorted: deterministic URLs
};

struct BasicAuth {
  std::string username{};
  std::string password{};
};

struct RetryOptions {
  int max_retries = 0;  // extra attempts after the first
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
  // All attempts and waits of one call end by this; zero means timeout * (max_retries + 1).
  std::chrono::milliseconds deadline{0};
};

// How a push's body is written. Text 0.0.4 is what people read; protobuf (delimited
// MetricFamily messages, as the Go client pushes) is what the gateway parses fastest.
enum class BodyFormat { kText, kProtobuf };

struct PushOptions {
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds connect_timeout{3'000};
  Headers headers{};  // extra headers sent with every request
  std::optional<BasicAuth> basic_auth{};
  std::string bearer_token{};  // sent as "Authorization: Bearer <token>"
  TlsOptions tls{};
  std::string proxy{};
  bool gzip = false;  // gzip request bodies (Pushgateway >= 1.5.0)
  BodyFormat format = BodyFormat::kText;
  RetryOptions retry{};
  std::shared_ptr<Transport> transport{};  // null: MakeCurlTransport()
  // Cancel() ends a call at once: in flight (PushError kTransport) or between retries (the
  // last attempt's error, "cancelled" in its message).
  std::shared_ptr<Cancellation> cancellation{};
};

// What the gateway answered to a successful call (any 2xx), as prom-client returns the response.
struct PushResult {
  int status = 0;
  std::string body{};
  Headers headers{};  // names lower-cased, in the order received
};

enum class ErrorCategory { kValidation, kTransport, kHttp };
std::string_view CategoryName(ErrorCategory category);

// A call that did not succeed; like every error of the library, an Error (error.h).
class PushError : public Error {
 public:
  PushError(ErrorCategory category, std::string message, int status = 0, std::string body = {},
            std::string url = {}, int attempts = 0);
  ErrorCategory category() const { return category_; }
  int status() const { return status_; }             // 0 unless kHttp
  const std::string& body() const { return body_; }  // the gateway's response text
  const std::string& url() const { return url_; }    // credentials redacted
  int attempts() const { return attempts_; }

 private:
  ErrorCategory category_;
  int status_;
  std::string body_;
  std::string url_;
  int attempts_;
};

// "/metrics/job/<job>{/<name>/<value>}" (appended to the base URL) with the encoding rules of
// docs/PROTOCOL.md, "The group's URL".
// Throws PushError(kValidation) for an empty job or bad grouping label names.
std::string GroupPath(const PushParams& params);
// `url` with any user:password@ removed.
std::string RedactUrl(std::string_view url);

class Pushgateway {
 public:
  // Throws UsageError for a URL that is not http(s)://host[:port][/prefix], or for options
  // it refuses.
  explicit Pushgateway(std::string url, PushOptions options = {},
                       Registry& registry = DefaultRegistry());

  PushResult Push(const PushParams& params) const;     // PUT: replace the whole group
  PushResult PushAdd(const PushParams& params) const;  // POST: replace the families sent
  PushResult Delete(const PushParams& params) const;   // DELETE: remove the group

  std::future<PushResult> PushAsync(PushParams params) const;
  std::future<PushResult> PushAddAsync(PushParams params) const;
  std::future<PushResult> DeleteAsync(PushParams params) const;

  // Push/PushAdd with `extra_text` sent as is after the registry's families: exposition the
  // caller has checked itself, such as a validated file, which then needs neither parsing into
  // families nor serializing again. It is in the options' format: text 0.0.4 ending in a
  // newline, or delimited protobuf MetricFamily messages (AppendProtobuf). It must not repeat
  // the registry's families; only the registry's part is validated against `params`.
  PushResult Push(const PushParams& params, std::string_view extra_text) const;
  PushResult PushAdd(const PushParams& params, std::string_view extra_text) const;

  // Does ahead of time what a later call with these params starts with (loading libcurl,
  // resolving the gateway's name), so that the call starts sending sooner; for instance while
  // the job whose results will be pushed is still running. It may block on name resolution,
  // so call it from a thread that can wait. Never throws.
  void Prepare(const PushParams& params) const noexcept;

  // The full URL a call with these params would use, credentials redacted.
  std::string UrlFor(const PushParams& params) const;
  // The body Push/PushAdd would send (in the options' format), after validation against
  // `params`.
  std::string BodyFor(const PushParams& params, std::string_view extra_text = {}) const;

 private:
  PushResult Send(std::string_view method, const PushParams& params,
                  std::string_view extra_text = {}) const;

  std::string base_url_;
  PushOptions options_;
  Registry* registry_;
};

}  // namespace pushrun::metrics
