// RemoteWriter against real receivers on loopback: Prometheus 2.42 with
// --web.enable-remote-write-receiver and VictoriaMetrics, queried through their Prometheus APIs.

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/metrics/remote_write.h"
#include "support/prometheus_process.h"
#include "support/victoria_metrics_process.h"

namespace {

using namespace pushrun::metrics;
using pushrun::testing::PrometheusProcess;
using pushrun::testing::QuerySample;
using pushrun::testing::VictoriaMetricsProcess;
using LabelMap = std::map<std::string, std::string>;

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PushOptions Options() {
  PushOptions options;
  options.timeout = std::chrono::seconds(10);
  options.retry.max_retries = 2;
  return options;
}

// A batch job's report: a labelled counter, a gauge and a histogram from a registry, and a
// sidecar with a summary, written with a job and grouping labels.
struct Report {
  Registry registry;
  std::vector<MetricFamily> sidecar;
  RemoteWriteParams params;

  Report() {
    Counter rows({.name = "rows", .label_names = {"table"}, .registries = {&registry}});
    rows.Labels({"users"}).Inc(120);
    rows.Labels({"orders"}).Inc(7);
    Gauge duration({.name = "run_duration_seconds", .registries = {&registry}});
    duration.Set(12.25);
    Histogram latency({{.name = "step_seconds", .registries = {&registry}}, {0.1, 1}});
    latency.Observe(0.05);
    latency.Observe(0.5);
    latency.Observe(3);
    ParseResult parsed = ParseText(
        "# TYPE batch_size summary\n"
        "batch_size{quantile=\"0.5\"} 100\n"
        "batch_size{quantile=\"0.9\"} 250\n"
        "batch_size_sum 4200\n"
        "batch_size_count 30\n");
    REQUIRE(parsed.ok());
    sidecar = parsed.families;
    params = {.job_name = "nightly",
              .labels = {{"instance", "db1"}, {"env", "prod"}},
              .timestamp_ms = NowMs()};
  }

  // What a receiver must hold: every series with the job and grouping labels.
  std::map<LabelMap, double> Expected() const {
    auto l = [](LabelMap extra) {
      extra.insert({{"job", "nightly"}, {"instance", "db1"}, {"env", "prod"}});
      return extra;
    };
    return {
        {l({{"__name__", "rows_total"}, {"table", "users"}}), 120},
        {l({{"__name__", "rows_total"}, {"table", "orders"}}), 7},
        {l({{"__name__", "run_duration_seconds"}}), 12.25},
        {l({{"__name__", "step_seconds_bucket"}, {"le", "0.1"}}), 1},
        {l({{"__name__", "step_seconds_bucket"}, {"le", "1"}}), 2},
        {l({{"__name__", "step_seconds_bucket"}, {"le", "+Inf"}}), 3},
        {l({{"__name__", "step_seconds_sum"}}), 3.55},
        {l({{"__name__", "step_seconds_count"}}), 3},
        {l({{"__name__", "batch_size"}, {"quantile", "0.5"}}), 100},
        {l({{"__name__", "batch_size"}, {"quantile", "0.9"}}), 250},
        {l({{"__name__", "batch_size_sum"}}), 4200},
        {l({{"__name__", "batch_size_count"}}), 30},
    };
  }
};

std::map<LabelMap, double> ByLabels(const std::vector<QuerySample>& samples) {
  std::map<LabelMap, double> out;
  for (const QuerySample& sample : samples) out[sample.labels] = sample.value;
  return out;
}

// histogram_quantile(0.5) of 0.05, 0.5 and 3 in buckets 0.1, 1, +Inf: the 1.5th of 3
// observations, interpolated in (0.1, 1] between cumulative counts 1 and 2.
constexpr double kMedian = 0.1 + 0.9 * 0.5;

}  // namespace

TEST_CASE("RemoteWriter: Prometheus holds every series of a write with its value and labels",
          "[metrics][remote-write][integration]") {
  PrometheusProcess prometheus;
  Report report;
  RemoteWriter writer(prometheus.write_url(), Options(), report.registry);
  const PushResult result = writer.Write(report.params, report.sidecar);
  CHECK(result.status / 100 == 2);

  const auto expected = report.Expected();
  const auto samples = prometheus.Poll("{job=\"nightly\"}", expected.size());
  CHECK(ByLabels(samples) == expected);

  const auto median =
      prometheus.Query("histogram_quantile(0.5, step_seconds_bucket{job=\"nightly\"})");
  REQUIRE(median.size() == 1);
  CHECK(median[0].value == Approx(kMedian));
}

TEST_CASE("RemoteWriter: VictoriaMetrics holds the same write through its Prometheus API",
          "[metrics][remote-write][integration]") {
  VictoriaMetricsProcess victoria;
  Report report;
  RemoteWriter writer(victoria.write_url(), Options(), report.registry);
  const PushResult result = writer.Write(report.params, report.sidecar);
  CHECK(result.status / 100 == 2);

  const auto expected = report.Expected();
  const auto samples = victoria.Poll("{job=\"nightly\"}", expected.size());
  CHECK(ByLabels(samples) == expected);

  const auto median =
      victoria.Poll("histogram_quantile(0.5, step_seconds_bucket{job=\"nightly\"})", 1);
  REQUIRE(median.size() == 1);
  CHECK(median[0].value == Approx(kMedian));
}

// The spool relies on this: a receiver refuses for good (400, not retried) a sample older than
// the newest it holds for the series, one outside its head window, and a second, different
// value for the same timestamp. So a spooled report must go before a newer one.
TEST_CASE(
    "RemoteWriter: Prometheus 2.42 refuses out-of-order, out-of-bounds and duplicate "
    "samples with a 400 that is not retried",
    "[metrics][remote-write][integration]") {
  PrometheusProcess prometheus;
  Registry registry;
  Gauge gauge({.name = "last_run", .registries = {&registry}});
  gauge.Set(1);
  RemoteWriter writer(prometheus.write_url(), Options(), registry);
  const std::int64_t now = NowMs();
  REQUIRE(writer.Write({.job_name = "spool", .timestamp_ms = now}).status / 100 == 2);

  // The very same sample again is no conflict: a report delivered twice does no harm.
  CHECK(writer.Write({.job_name = "spool", .timestamp_ms = now}).status / 100 == 2);

  struct Refusal {
    std::string job;
    std::int64_t timestamp_ms;
    double value;
    std::string answer;
  };
  const Refusal refusals[] = {
      {"spool", now - 60'000, 1, "out of order sample"},
      {"spool", now - 3 * 3'600'000, 1, "out of bounds"},
      {"spool", now, 2, "duplicate sample for timestamp"},
      // The head takes nothing older than an hour behind its newest sample, of any series: a
      // report held back that long cannot reach this Prometheus any more, even as a new series.
      {"late", now - 90 * 60'000, 1, "out of bounds"},
  };
  for (const Refusal& refusal : refusals) {
    INFO(refusal.job << ": " << refusal.answer);
    gauge.Set(refusal.value);
    try {
      writer.Write({.job_name = refusal.job, .timestamp_ms = refusal.timestamp_ms});
      FAIL("accepted");
    } catch (const PushError& e) {
      CHECK(e.category() == ErrorCategory::kHttp);
      CHECK(e.status() == 400);
      CHECK(e.attempts() == 1);
      CHECK_THAT(e.body(), Catch::Contains(refusal.answer));
    }
  }
}
