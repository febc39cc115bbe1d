#pragma once
// A Prometheus remote-write 1.0 client, beside Pushgateway, for receivers that store points
// (Prometheus with --web.enable-remote-write-receiver, Mimir, Cortex, Thanos Receive,
// VictoriaMetrics):
//   RemoteWriter writer("http://prometheus:9090/api/v1/write", options, registry);
//   writer.Write({.job_name = "backup", .labels = {{"instance", "db1"}}, .timestamp_ms = end});
// Each call sends one WriteRequest (protobuf, snappy block compression) holding every sample of
// the registry as its own series stamped `timestamp_ms`. The options, retries, deadline, errors
// and async form are the Pushgateway's. Thread-safe: calls may run concurrently.

#include <cstdint>
#include <future>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "pushrun/metrics/encoded_request.h"
#include "pushrun/metrics/family.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"

namespace pushrun::metrics {

struct RemoteWriteParams {
  std::string job_name;                         // sent as the label "job"; required
  std::map<std::string, std::string> labels{};  // added to every series, e.g. grouping labels
  // The timestamp of every sample (Unix milliseconds), such as the end of a run; 0: the time of
  // the call. Receivers refuse a sample older than one they hold for the series, so a report
  // sent again later must keep its own timestamp.
  std::int64_t timestamp_ms = 0;
};

// The remote-write 1.0 request body before compression: a prometheus.WriteRequest with one
// TimeSeries per sample of `families` (histograms as their _bucket/_sum/_count samples, summaries
// as their quantile, _sum and _count samples), each labelled __name__, its own labels and
// `params`' job and labels, sorted by name, empty values left out, holding one Sample at
// `params.timestamp_ms` (which must be set here); and one MetricMetadata per family (type and
// help). Throws PushError(kValidation) for an empty job, a bad label name in `params`, a series
// that carries "job" or one of `params.labels` itself, or a sample with its own timestamp.
std::string EncodeWriteRequest(std::span<const MetricFamily> families,
                               const RemoteWriteParams& params);

class RemoteWriter {
 public:
  // `url` is the receiver's write endpoint (such as "http://prometheus:9090/api/v1/write").
  // Throws UsageError for bad options or a URL that ParseGatewayUrl refuses (not
  // http(s)://host[:port][/path], credentials or a query in it). PushOptions' `gzip` and
  // `format` do not apply: remote write is always snappy-compressed protobuf.
  explicit RemoteWriter(std::string url, PushOptions options = {},
                        Registry& registry = DefaultRegistry());

  // POSTs the registry's samples, and with the second form `extra` after them (families the
  // caller has already checked, such as a parsed sidecar file; they must not repeat the
  // registry's). Returns the status and body of a 2xx; throws PushError otherwise.
  PushResult Write(const RemoteWriteParams& params) const;
  PushResult Write(const RemoteWriteParams& params, std::span<const MetricFamily> extra) const;
  std::future<PushResult> WriteAsync(RemoteWriteParams params) const;

  // The request Write would send (the WriteRequest snappy-compressed, with the remote-write
  // headers; timestamp 0 is replaced by the time of this call), to be sent later with
  // SendEncoded. Throws PushError(kValidation) as Write does.
  EncodedRequest Encode(const RemoteWriteParams& params,
                        std::span<const MetricFamily> extra = {}) const;

  // Connects ahead of a later Write, as Pushgateway::Prepare does. Never throws.
  void Prepare() const noexcept;

  // The endpoint.
  std::string url() const;
  // The uncompressed WriteRequest a Write with these arguments would send (timestamp 0 is
  // replaced by the time of this call).
  std::string BodyFor(const RemoteWriteParams& params,
                      std::span<const MetricFamily> extra = {}) const;

 private:
  std::string url_;
  PushOptions options_;
  Registry* registry_;
};

}  // namespace pushrun::metrics
