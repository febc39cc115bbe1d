// The Pushgateway client: builds the request of a Push/PushAdd/Delete call, sends it through a
// Transport with retries inside one deadline, and turns the outcome into a result or a PushError.

#include "pushrun/metrics/pushgateway.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "clean_line.h"
#include "gzip.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/http_header.h"
#include "pushrun/metrics/protobuf.h"
#include "pushrun/metrics/url.h"
#include "retry.h"

namespace pushrun::metrics {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Standard base64 (RFC 4648 section 4, padded), as HTTP basic authentication wants it.
std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

std::string_view FindHeader(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

// "HTTP 400 Bad Request: <gateway text>". The gateway's text is cut and cleaned to one line
// (CleanLine) in the message, never in body(): a hostile or broken server must not flood the
// job's log or send escape codes to the terminal of whoever reads it.
std::string DescribeResponse(const HttpResponse& response) {
  std::string text = "HTTP " + std::to_string(response.status);
  if (std::string_view reason = ReasonPhrase(response.status); !reason.empty()) {
    text += ' ';
    text += reason;
  }
  if (response.status >= 300 && response.status < 400) {
    text += " (redirects are not followed";
    if (std::string_view location = FindHeader(response.headers, "location"); !location.empty()) {
      text += "; location: " + RedactUrl(detail::CleanLine(location, 512));
    }
    text += ')';
  }
  if (const std::string body = detail::CleanLine(response.body); !body.empty()) {
    text += ": " + body;
  }
  return text;
}

// "POST http://gw/metrics/job/x failed: ...": the method tells PUT, POST and DELETE apart.
std::string Verb(std::string_view method) { return std::string(method) + " "; }

// Refuses a body the gateway would reject or silently rewrite: docs/PROTOCOL.md, "Methods and
// answers".
void ValidateFamilies(const std::vector<MetricFamily>& families, const PushParams& params) {
  auto fail = [](std::string message) {
    throw PushError(ErrorCategory::kValidation, std::move(message));
  };
  for (const MetricFamily& family : families) {
    if (family.name == "push_time_seconds" || family.name == "push_failure_time_seconds") {
      fail("metric \"" + family.name + "\" is reserved: the Pushgateway sets it itself");
    }
    for (const Sample& sample : family.samples) {
      if (sample.name == "push_time_seconds" || sample.name == "push_failure_time_seconds") {
        fail("metric \"" + sample.name + "\" is reserved: the Pushgateway sets it itself");
      }
      if (sample.timestamp_ms) {
        fail("sample \"" + sample.name +
             "\" has a timestamp: the Pushgateway rejects pushed timestamps");
      }
      for (const Label& label : sample.labels) {
        if (label.name == "job") {
          fail("series \"" + sample.name +
               "\" carries the label \"job\": the job name comes from the URL");
        }
        if (params.groupings.count(label.name) != 0) {
          fail("series \"" + sample.name + "\" carries the grouping label \"" + label.name +
               "\": the grouping in the URL would overwrite it");
        }
      }
    }
  }
}

// Returns the base URL without trailing slashes; throws for anything ParseGatewayUrl refuses.
std::string ParseBaseUrl(const std::string& url) {
  std::string error;
  const std::optional<GatewayUrl> parsed = ParseGatewayUrl(url, &error);
  if (!parsed) throw UsageError("invalid Pushgateway URL: " + error);
  std::string base = parsed->ToString();
  while (base.back() == '/') base.pop_back();
  return base;
}

void CheckOptions(const PushOptions& options) {
  auto fail = [](const std::string& why) { throw UsageError("PushOptions: " + why); };
  if (options.timeout <= milliseconds(0)) fail("timeout must be positive");
  if (options.connect_timeout <= milliseconds(0)) fail("connect_timeout must be positive");
  if (options.retry.max_retries < 0) fail("retry.max_retries must not be negative");
  if (options.retry.initial_backoff < milliseconds(0) ||
      options.retry.max_backoff < milliseconds(0) || options.retry.deadline < milliseconds(0)) {
    fail("retry durations must not be negative");
  }
  if (options.basic_auth && !options.bearer_token.empty()) {
    fail("basic_auth and bearer_token are exclusive");
  }
  if (options.basic_auth && options.basic_auth->username.find(':') != std::string::npos) {
    fail("a basic-auth username cannot contain ':'");
  }
  for (const auto& [name, value] : options.headers) {
    if (std::string problem = CheckHeader(name, value); !problem.empty()) fail(problem);
  }
  auto has_line_break = [](std::string_view s) { return s.find_first_of("\r\n") != s.npos; };
  if (has_line_break(options.bearer_token) ||
      (options.basic_auth && (has_line_break(options.basic_auth->username) ||
                              has_line_break(options.basic_auth->password)))) {
    fail("credentials must not contain line breaks");
  }
}

void SetHeader(Headers& headers, std::string name, std::string value) {
  std::erase_if(headers, [&](const auto& header) { return EqualsIgnoreCase(header.first, name); });
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace

std::string_view CategoryName(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::kValidation:
      return "validation";
    case ErrorCategory::kTransport:
      return "transport";
    case ErrorCategory::kHttp:
      return "http";
  }
  return "unknown";
}

PushError::PushError(ErrorCategory category, std::string message, int status, std::string body,
                     std::string url, int attempts)
    : Error(std::move(message)),
      category_(category),
      status_(status),
      body_(std::move(body)),
      url_(std::move(url)),
      attempts_(attempts) {}

std::string RedactUrl(std::string_view url) {
  size_t scheme_end = url.find("://");
  size_t begin = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  size_t end = url.find_first_of("/?#", begin);
  if (end == std::string_view::npos) end = url.size();
  std::string_view authority = url.substr(begin, end - begin);
  size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, begin)) + std::string(url.substr(begin + at + 1));
}

namespace {

// A request to `url` with the client's TLS and proxy settings; body, headers and timeouts are
// the caller's.
HttpRequest RequestTo(std::string_view method, std::string url, const PushOptions& options) {
  HttpRequest request;
  request.method = std::string(method);
  request.url = std::move(url);
  request.tls = options.tls;
  request.proxy = options.proxy;
  return request;
}

}  // namespace

Pushgateway::Pushgateway(std::string url, PushOptions options, Registry& registry)
    : base_url_(ParseBaseUrl(url)), options_(std::move(options)), registry_(&registry) {
  CheckOptions(options_);
  if (!options_.transport) options_.transport = MakeDefaultTransport();
}

PushResult Pushgateway::Push(const PushParams& params) const { return Send("PUT", params); }
PushResult Pushgateway::PushAdd(const PushParams& params) const { return Send("POST", params); }
PushResult Pushgateway::Delete(const PushParams& params) const { return Send("DELETE", params); }

// The futures own a copy of the client (options, transport handle, registry pointer), so a
// pending call does not depend on this object; the registry must outlive it.
std::future<PushResult> Pushgateway::PushAsync(PushParams params) const {
  return std::async(std::launch::async,
                    [self = *this, params = std::move(params)] { return self.Push(params); });
}
std::future<PushResult> Pushgateway::PushAddAsync(PushParams params) const {
  return std::async(std::launch::async,
                    [self = *this, params = std::move(params)] { return self.PushAdd(params); });
}
std::future<PushResult> Pushgateway::DeleteAsync(PushParams params) const {
  return std::async(std::launch::async,
                    [self = *this, params = std::move(params)] { return self.Delete(params); });
}

std::string Pushgateway::UrlFor(const PushParams& params) const {
  return RedactUrl(base_url_ + GroupPath(params));
}

PushResult Pushgateway::Push(const PushParams& params, std::string_view extra_text) const {
  return Send("PUT", params, extra_text);
}
PushResult Pushgateway::PushAdd(const PushParams& params, std::string_view extra_text) const {
  return Send("POST", params, extra_text);
}
void Pushgateway::Prepare(const PushParams& params) const noexcept {
  try {
    HttpRequest request = RequestTo("POST", base_url_ + GroupPath(params), options_);
    request.timeout = options_.timeout;
    request.connect_timeout = std::min(options_.connect_timeout, options_.timeout);
    options_.transport->Prepare(request);
  } catch (...) {
    // Bad params or no memory: the call itself will say so.
  }
}

std::string Pushgateway::BodyFor(const PushParams& params, std::string_view extra_text) const {
  std::vector<MetricFamily> families = registry_->Collect();
  ValidateFamilies(families, params);
  // Text 0.0.4 (or protobuf) whatever the registry's own format: the gateway cannot read
  // OpenMetrics.
  std::string body =
      options_.format == BodyFormat::kProtobuf ? WriteProtobuf(families) : WriteText(families);
  body.append(extra_text);
  return body;
}

PushResult Pushgateway::Send(std::string_view method, const PushParams& params,
                             std::string_view extra_text) const {
  const std::string verb = Verb(method);
  std::string path;
  try {
    path = GroupPath(params);
  } catch (const PushError& e) {
    const std::string base = RedactUrl(base_url_);
    throw PushError(e.category(), verb + base + " failed: " + e.what(), 0, {}, base, 0);
  }

  HttpRequest request = RequestTo(method, base_url_ + path, options_);
  const std::string redacted = RedactUrl(request.url);

  if (method != "DELETE") {
    try {
      request.body = BodyFor(params, extra_text);
    } catch (const PushError& e) {
      throw PushError(e.category(), verb + redacted + " failed: " + e.what(), 0, {}, redacted, 0);
    }
    request.headers.emplace_back(
        "Content-Type", std::string(options_.format == BodyFormat::kProtobuf ? kProtobufContentType
                                                                             : kTextContentType));
    if (options_.gzip) {
      request.body = detail::Gzip(request.body);
      request.headers.emplace_back("Content-Encoding", "gzip");
    }
  }
  if (options_.basic_auth) {
    request.headers.emplace_back(
        "Authorization",
        "Basic " + Base64(options_.basic_auth->username + ":" + options_.basic_auth->password));
  } else if (!options_.bearer_token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + options_.bearer_token);
  }
  for (const auto& [name, value] : options_.headers) SetHeader(request.headers, name, value);

  const RetryOptions& retry = options_.retry;
  const milliseconds budget = retry.deadline > milliseconds(0)
                                  ? retry.deadline
                                  : options_.timeout * (retry.max_retries + 1);
  const Clock::time_point deadline = Clock::now() + budget;

  for (int attempts = 1;; ++attempts) {
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    request.timeout = std::clamp(remaining, milliseconds(1), options_.timeout);
    request.connect_timeout = std::min(options_.connect_timeout, request.timeout);

    // What went wrong in this attempt; thrown once no further attempt is made.
    ErrorCategory category = ErrorCategory::kTransport;
    std::string reason;
    int status = 0;
    std::string body;
    std::optional<std::chrono::seconds> retry_after;
    bool retryable = true;
    try {
      HttpResponse response = options_.transport->Send(request);
      if (response.status >= 200 && response.status < 300) {
        return PushResult{response.status, std::move(response.body), std::move(response.headers)};
      }
      category = ErrorCategory::kHttp;
      reason = DescribeResponse(response);
      status = response.status;
      body = std::move(response.body);
      retryable = detail::IsRetryableStatus(status);
      retry_after = detail::RetryAfter(response);
    } catch (const TransportFailure& e) {
      // A transport may quote what the server sent.
      reason = detail::CleanLine(e.what());
    }
    auto fail = [&](std::string_view why_stopped) {
      std::string message = verb + redacted + " failed: " + reason;
      if (attempts > 1 || !why_stopped.empty()) {
        message += " (" + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
        message += why_stopped;
        message += ")";
      }
      throw PushError(category, std::move(message), status, std::move(body), redacted, attempts);
    };

    if (!retryable || attempts > retry.max_retries) fail("");
    const milliseconds wait = retry_after ? std::chrono::duration_cast<milliseconds>(*retry_after)
                                          : detail::Backoff(retry, attempts - 1);
    // A wait that would leave no time for another attempt is not worth sleeping through.
    if (Clock::now() + wait >= deadline) {
      fail(retry_after ? "; Retry-After is past the deadline" : "; deadline reached");
    }
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace pushrun::metrics
