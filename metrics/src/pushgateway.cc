// The Pushgateway client: builds the request of a Push/PushAdd/Delete call, sends it through a
// Transport with retries inside one deadline, and turns the outcome into a result or a PushError.

#include "pushrun/metrics/pushgateway.h"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "delivery.h"
#include "gzip.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/protobuf.h"
#include "pushrun/metrics/url.h"

namespace pushrun::metrics {
namespace {

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

Pushgateway::Pushgateway(std::string url, PushOptions options, Registry& registry)
    : base_url_(ParseBaseUrl(url)), options_(std::move(options)), registry_(&registry) {
  detail::CheckOptions(options_);
  if (!options_.transport) options_.transport = MakeCurlTransport();
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
    HttpRequest request = detail::RequestTo("POST", base_url_ + GroupPath(params), options_);
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

// The request is built and handed to the shared delivery in one function: the report's path
// from pushrun's main to the wire stays short.
PushResult Pushgateway::Send(std::string_view method, const PushParams& params,
                             std::string_view extra_text) const {
  const std::string verb = std::string(method) + " ";
  std::string path;
  try {
    path = GroupPath(params);
  } catch (const PushError& e) {
    const std::string base = RedactUrl(base_url_);
    throw PushError(e.category(), verb + base + " failed: " + e.what(), 0, {}, base, 0);
  }

  EncodedRequest request;
  request.method = std::string(method);
  request.url = base_url_ + path;
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
  return detail::DeliverEncoded(request, options_);
}

}  // namespace pushrun::metrics
