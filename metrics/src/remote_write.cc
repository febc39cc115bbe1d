// The remote-write client: encodes a WriteRequest by hand (prometheus/prompb's remote.proto and
// types.proto, remote write 1.0), compresses it with snappy and delivers it like a push.

#include "pushrun/metrics/remote_write.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "delivery.h"
#include "protobuf_wire.h"
#include "pushrun/metrics/names.h"
#include "pushrun/metrics/url.h"
#include "snappy_block.h"

#ifndef PUSHRUN_VERSION
#define PUSHRUN_VERSION "unknown"
#endif

namespace pushrun::metrics {
namespace {

using detail::Bytes;

// Field numbers of prompb: WriteRequest: timeseries 1, metadata 3. TimeSeries: labels 1,
// samples 2. Label: name 1, value 2. Sample: value 1 (double), timestamp 2 (int64, ms).
// MetricMetadata: type 1, metric_family_name 2, help 4.
namespace write_request_field {
constexpr std::uint32_t kTimeseries = 1, kMetadata = 3;
}
namespace series_field {
constexpr std::uint32_t kLabels = 1, kSamples = 2;
}

// MetricMetadata.MetricType.
std::uint64_t MetadataType(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return 1;
    case MetricType::kGauge:
      return 2;
    case MetricType::kHistogram:
      return 3;
    case MetricType::kSummary:
      return 5;
    case MetricType::kUntyped:
      return 0;
  }
  return 0;
}

[[noreturn]] void Fail(std::string message) {
  throw PushError(ErrorCategory::kValidation, std::move(message));
}

void CheckParams(const RemoteWriteParams& params) {
  if (params.job_name.empty()) Fail("the job name is empty");
  for (const auto& [name, value] : params.labels) {
    if (!IsValidUserLabelName(name)) {
      Fail("label name \"" + name +
           "\" is not valid: use [a-zA-Z_][a-zA-Z0-9_]* without a leading \"__\"");
    }
    if (name == "job") Fail("the label \"job\" is set from the job name; do not pass it again");
  }
}

void AppendSeries(std::string& out, const Sample& sample, const RemoteWriteParams& params,
                  std::vector<const Label*>& labels, std::vector<Label>& own, std::string& series,
                  std::string& part) {
  if (sample.timestamp_ms) {
    Fail("sample \"" + sample.name +
         "\" has its own timestamp: every sample of a write takes the write's timestamp");
  }
  labels.clear();
  own[0].value = sample.name;  // __name__
  for (const Label& label : sample.labels) {
    if (label.name == "job") {
      Fail("series \"" + sample.name +
           "\" carries the label \"job\": the job name is added to every series");
    }
    if (params.labels.count(label.name) != 0) {
      Fail("series \"" + sample.name + "\" carries the label \"" + label.name +
           "\", which the write adds to every series");
    }
    // An empty value is the same as no label to Prometheus; receivers may refuse it.
    if (!label.value.empty()) labels.push_back(&label);
  }
  for (const Label& label : own) {
    if (!label.value.empty()) labels.push_back(&label);
  }
  std::sort(labels.begin(), labels.end(),
            [](const Label* a, const Label* b) { return a->name < b->name; });

  series.clear();
  for (const Label* label : labels) {
    part.clear();
    Bytes(part, 1, label->name);
    Bytes(part, 2, label->value);
    Bytes(series, series_field::kLabels, part);
  }
  part.clear();
  detail::Double(part, 1, sample.value);
  detail::Signed(part, 2, params.timestamp_ms);
  Bytes(series, series_field::kSamples, part);
  Bytes(out, write_request_field::kTimeseries, series);
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The endpoint, checked as a gateway URL is (the one URL check of the library, flags and
// config): http(s), no credentials (they go in the options, never in logs), no query.
std::string CheckUrl(const std::string& url) {
  std::string error;
  const std::optional<GatewayUrl> parsed = ParseGatewayUrl(url, &error);
  if (!parsed) throw UsageError("invalid remote-write URL: " + error);
  return parsed->ToString();
}

}  // namespace

std::string EncodeWriteRequest(std::span<const MetricFamily> families,
                               const RemoteWriteParams& params) {
  CheckParams(params);
  // The labels every series gets; [0] is __name__, filled per sample.
  std::vector<Label> own;
  own.push_back({"__name__", ""});
  own.push_back({"job", params.job_name});
  for (const auto& [name, value] : params.labels) own.push_back({name, value});

  std::string out, series, part;
  std::vector<const Label*> labels;
  for (const MetricFamily& family : families) {
    for (const Sample& sample : family.samples) {
      AppendSeries(out, sample, params, labels, own, series, part);
    }
  }
  // Metadata lets receivers such as Mimir show types and help; Prometheus ignores it.
  for (const MetricFamily& family : families) {
    part.clear();
    detail::Unsigned(part, 1, MetadataType(family.type));
    Bytes(part, 2, family.name);
    if (!family.help.empty()) Bytes(part, 4, family.help);
    Bytes(out, write_request_field::kMetadata, part);
  }
  return out;
}

RemoteWriter::RemoteWriter(std::string url, PushOptions options, Registry& registry)
    : url_(CheckUrl(url)), options_(std::move(options)), registry_(&registry) {
  detail::CheckOptions(options_);
  if (!options_.transport) options_.transport = MakeCurlTransport();
}

std::string RemoteWriter::url() const { return RedactUrl(url_); }

std::string RemoteWriter::BodyFor(const RemoteWriteParams& params,
                                  std::span<const MetricFamily> extra) const {
  RemoteWriteParams stamped = params;
  if (stamped.timestamp_ms == 0) stamped.timestamp_ms = NowMs();
  // Two encodings back to back are one WriteRequest (repeated fields concatenate), so a large
  // `extra` is not copied next to the registry's families.
  std::string body = EncodeWriteRequest(registry_->Collect(), stamped);
  body += EncodeWriteRequest(extra, stamped);
  return body;
}

PushResult RemoteWriter::Write(const RemoteWriteParams& params) const { return Write(params, {}); }

PushResult RemoteWriter::Write(const RemoteWriteParams& params,
                               std::span<const MetricFamily> extra) const {
  return detail::DeliverEncoded(Encode(params, extra), options_);
}

EncodedRequest RemoteWriter::Encode(const RemoteWriteParams& params,
                                    std::span<const MetricFamily> extra) const {
  EncodedRequest request;
  request.method = "POST";
  request.url = url_;
  const std::string redacted = RedactUrl(url_);
  try {
    request.body = detail::SnappyCompress(BodyFor(params, extra));
  } catch (const PushError& e) {
    throw PushError(e.category(), "POST " + redacted + " failed: " + e.what(), 0, {}, redacted, 0);
  }
  request.headers = {
      {"Content-Encoding", "snappy"},
      {"Content-Type", "application/x-protobuf"},
      {"X-Prometheus-Remote-Write-Version", "0.1.0"},
      {"User-Agent", "pushrun/" PUSHRUN_VERSION},
  };
  return request;
}

// The future owns a copy of the writer, as Pushgateway's do; the registry must outlive it.
std::future<PushResult> RemoteWriter::WriteAsync(RemoteWriteParams params) const {
  return std::async(std::launch::async,
                    [self = *this, params = std::move(params)] { return self.Write(params); });
}

void RemoteWriter::Prepare() const noexcept {
  try {
    HttpRequest request = detail::RequestTo("POST", url_, options_);
    request.timeout = options_.timeout;
    request.connect_timeout = std::min(options_.connect_timeout, options_.timeout);
    options_.transport->Prepare(request);
  } catch (...) {
    // No memory: the write itself will say so.
  }
}

}  // namespace pushrun::metrics
