// The delivery every sink shares: options checked once, credentials and headers added, and one
// request sent with timeouts, retries and a deadline.

#include "delivery.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "clean_line.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/http_header.h"
#include "retry.h"

namespace pushrun::metrics::detail {
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

// "HTTP 400 Bad Request: <server text>". The server's text is cut and cleaned to one line
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
      text += "; location: " + RedactUrl(CleanLine(location, 512));
    }
    text += ')';
  }
  if (const std::string body = CleanLine(response.body); !body.empty()) {
    text += ": " + body;
  }
  return text;
}

void SetHeader(Headers& headers, std::string name, std::string value) {
  std::erase_if(headers, [&](const auto& header) { return EqualsIgnoreCase(header.first, name); });
  headers.emplace_back(std::move(name), std::move(value));
}

}  // namespace

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

HttpRequest RequestTo(std::string_view method, std::string url, const PushOptions& options) {
  HttpRequest request;
  request.method = std::string(method);
  request.url = std::move(url);
  request.tls = options.tls;
  request.proxy = options.proxy;
  request.cancellation = options.cancellation;
  return request;
}

void AddCredentialsAndHeaders(HttpRequest& request, const PushOptions& options) {
  if (options.basic_auth) {
    request.headers.emplace_back(
        "Authorization",
        "Basic " + Base64(options.basic_auth->username + ":" + options.basic_auth->password));
  } else if (!options.bearer_token.empty()) {
    request.headers.emplace_back("Authorization", "Bearer " + options.bearer_token);
  }
  for (const auto& [name, value] : options.headers) SetHeader(request.headers, name, value);
}

PushResult DeliverEncoded(const EncodedRequest& encoded, const PushOptions& options) {
  // One function from the request to the transport: the report's path stays short.
  HttpRequest request = RequestTo(encoded.method, encoded.url, options);
  request.headers = encoded.headers;
  request.body = encoded.body;
  AddCredentialsAndHeaders(request, options);
  const std::string redacted = RedactUrl(request.url);
  const RetryOptions& retry = options.retry;
  const milliseconds budget =
      retry.deadline > milliseconds(0) ? retry.deadline : options.timeout * (retry.max_retries + 1);
  const Clock::time_point deadline = Clock::now() + budget;

  for (int attempts = 1;; ++attempts) {
    const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    request.timeout = std::clamp(remaining, milliseconds(1), options.timeout);
    request.connect_timeout = std::min(options.connect_timeout, request.timeout);

    // What went wrong in this attempt; thrown once no further attempt is made.
    ErrorCategory category = ErrorCategory::kTransport;
    std::string reason;
    int status = 0;
    std::string body;
    std::optional<std::chrono::seconds> retry_after;
    bool retryable = true;
    try {
      HttpResponse response = options.transport->Send(request);
      if (response.status >= 200 && response.status < 300) {
        return PushResult{response.status, std::move(response.body), std::move(response.headers)};
      }
      category = ErrorCategory::kHttp;
      reason = DescribeResponse(response);
      status = response.status;
      body = std::move(response.body);
      retryable = IsRetryableStatus(status);
      retry_after = RetryAfter(response);
    } catch (const TransportFailure& e) {
      // A transport may quote what the server sent.
      reason = CleanLine(e.what());
    }
    auto fail = [&](std::string_view why_stopped) {
      std::string message = request.method + " " + redacted + " failed: " + reason;
      if (attempts > 1 || !why_stopped.empty()) {
        message += " (" + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
        message += why_stopped;
        message += ")";
      }
      throw PushError(category, std::move(message), status, std::move(body), redacted, attempts);
    };

    const Cancellation* cancellation = options.cancellation.get();
    if (cancellation != nullptr && cancellation->IsCancelled()) fail("; cancelled");
    if (!retryable || attempts > retry.max_retries) fail("");
    const milliseconds wait = retry_after ? std::chrono::duration_cast<milliseconds>(*retry_after)
                                          : Backoff(retry, attempts - 1);
    // A wait that would leave no time for another attempt is not worth sleeping through.
    if (Clock::now() + wait >= deadline) {
      fail(retry_after ? "; Retry-After is past the deadline" : "; deadline reached");
    }
    if (cancellation == nullptr) {
      std::this_thread::sleep_for(wait);
    } else if (!cancellation->SleepFor(wait)) {
      fail("; cancelled");
    }
  }
}

}  // namespace pushrun::metrics::detail

namespace pushrun::metrics {

PushResult SendEncoded(const EncodedRequest& request, const PushOptions& options) {
  detail::CheckOptions(options);
  if (request.method != "POST" && request.method != "PUT" && request.method != "DELETE") {
    throw UsageError("SendEncoded: method \"" + request.method + "\" is not POST, PUT or DELETE");
  }
  const std::string_view url = request.url;
  const std::size_t scheme = url.find("://");
  const std::string_view scheme_name = url.substr(0, scheme);
  const std::size_t authority_end = url.find_first_of("/?#", scheme == url.npos ? 0 : scheme + 3);
  if (scheme == url.npos || (scheme_name != "http" && scheme_name != "https") ||
      url.substr(0, authority_end).find('@') != std::string_view::npos) {
    throw UsageError("SendEncoded: \"" + RedactUrl(url) +
                     "\" is not an http(s) URL without credentials");
  }
  PushOptions sending = options;
  if (!sending.transport) sending.transport = MakeCurlTransport();
  return detail::DeliverEncoded(request, sending);
}

}  // namespace pushrun::metrics
