// The run's report to several targets at once: real Pushgateways and a real Prometheus
// remote-write receiver, a dead target beside live ones, credentials bound to their target, and
// the delete verb (gateways only).

#include "pushrun/runner/targets.h"

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pushrun/runner/app.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/run_heartbeat.h"
#include "pushrun/runner/spool.h"
#include "pushrun/runner/spooled_delivery.h"
#include "support/fault_server.h"
#include "support/prometheus_process.h"
#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/remote_write_decoder.h"
#include "support/temp_dir.h"
#include "support/victoria_metrics_process.h"

namespace {

using pushrun::config::Settings;
using pushrun::config::Target;
using pushrun::config::TargetKind;
using pushrun::metrics::MetricFamily;
using pushrun::metrics::MetricType;
using pushrun::runner::DeliverFinalReport;
using pushrun::runner::DeliveryIo;
using pushrun::runner::Logger;
using pushrun::runner::PushDeadline;
using pushrun::testing::FaultServer;
using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::ScriptedResponse;
using pushrun::testing::TempDir;
using std::chrono::milliseconds;

Target TargetAt(TargetKind kind, std::string url) {
  Target target{.kind = kind, .url = std::move(url), .push = {}};
  target.push.timeout = milliseconds(5000);
  target.push.retry.max_retries = 0;
  return target;
}

Settings Nightly(std::vector<Target> targets) {
  Settings settings;
  settings.targets = std::move(targets);
  settings.job = "nightly";
  settings.grouping = {{"db", "main"}};
  settings.push_deadline = milliseconds(5000);
  return settings;
}

// A successful run that ended a moment ago, with a sidecar gauge and histogram.
std::vector<MetricFamily> FinishedRun() {
  pushrun::runner::ChildOutcome outcome;
  outcome.exit_code = 0;
  outcome.end_time = std::chrono::system_clock::now();
  outcome.start_time = outcome.end_time - std::chrono::seconds(2);
  outcome.duration_seconds = 2;
  std::vector<MetricFamily> families =
      pushrun::runner::BuildFinalReport(outcome, {.prefix = "pushrun", .sidecar_valid = true});
  families.push_back(
      {.name = "rows_copied",
       .help = "",
       .type = MetricType::kGauge,
       .samples = {{.name = "rows_copied", .labels = {}, .value = 1234, .timestamp_ms = {}}}});
  MetricFamily latency{
      .name = "copy_seconds", .help = "", .type = MetricType::kHistogram, .samples = {}};
  for (const auto& [le, count] : std::vector<std::pair<std::string, double>>{
           {"0.1", 0}, {"1", 10}, {"10", 20}, {"+Inf", 20}}) {
    latency.samples.push_back({.name = "copy_seconds_bucket",
                               .labels = {{"le", le}},
                               .value = count,
                               .timestamp_ms = {}});
  }
  latency.samples.push_back(
      {.name = "copy_seconds_sum", .labels = {}, .value = 30, .timestamp_ms = {}});
  latency.samples.push_back(
      {.name = "copy_seconds_count", .labels = {}, .value = 20, .timestamp_ms = {}});
  families.push_back(latency);
  return families;
}

const std::vector<std::string> kGroup = {"db=\"main\""};

}  // namespace

TEST_CASE("Fan-out: after one run, two gateways and a Prometheus receiver all hold the report",
          "[runner][fan-out][integration]") {
  PushgatewayProcess first, second;
  pushrun::testing::PrometheusProcess prometheus;
  std::ostringstream err;
  Logger log(err, pushrun::runner::LogStyle::kText, 1);
  const Settings settings = Nightly({TargetAt(TargetKind::kPushgateway, first.url()),
                                     TargetAt(TargetKind::kPushgateway, second.url()),
                                     TargetAt(TargetKind::kRemoteWrite, prometheus.write_url())});

  REQUIRE(DeliverFinalReport(settings, FinishedRun(), /*success=*/true, DeliveryIo{},
                             PushDeadline(settings.push_deadline), log));

  for (const PushgatewayProcess* gateway : {&first, &second}) {
    CHECK(PushedValue(*gateway, "pushrun_exit_code", "nightly", kGroup) == 0);
    CHECK(PushedValue(*gateway, "pushrun_success", "nightly", kGroup) == 1);
    CHECK(PushedValue(*gateway, "rows_copied", "nightly", kGroup) == 1234);
    CHECK(PushedValue(*gateway, "copy_seconds_count", "nightly", kGroup) == 20);
  }
  // Every report series, with the job and grouping labels as ordinary labels.
  for (const MetricFamily& family : FinishedRun()) {
    for (const auto& sample : family.samples) {
      if (sample.name == "pushrun_end_timestamp_seconds" ||
          sample.name == "pushrun_start_timestamp_seconds" ||
          sample.name == "pushrun_last_success_timestamp_seconds" ||
          sample.name == "copy_seconds_bucket") {
        continue;  // a moment later than the one delivered; checked below
      }
      const auto got = prometheus.Poll(sample.name + "{job=\"nightly\",db=\"main\"}", 1, 20'000);
      INFO(sample.name);
      REQUIRE(got.size() == 1);
      CHECK(got.front().value == Approx(sample.value));
    }
  }
  CHECK(prometheus.Poll("pushrun_end_timestamp_seconds{job=\"nightly\",db=\"main\"}", 1).size() ==
        1);
  const auto median = prometheus.Poll(
      "histogram_quantile(0.5, copy_seconds_bucket{job=\"nightly\",db=\"main\"})", 1);
  REQUIRE(median.size() == 1);
  CHECK(median.front().value == Approx(1.0));  // the 10th of 20 observations: le="1"
  // -v says which targets got it, URLs as given.
  CHECK_THAT(err.str(), Catch::Contains("delivered to " + first.url() + ", " + second.url() +
                                        ", remote write " + prometheus.write_url()));
}

TEST_CASE("Fan-out: a target that never answers delays none of the others",
          "[runner][fan-out][integration]") {
  FaultServer dead({ScriptedResponse::NeverAnswer()});
  PushgatewayProcess live;
  std::ostringstream err;
  Logger log(err, pushrun::runner::LogStyle::kText, 1);
  Settings settings = Nightly({TargetAt(TargetKind::kPushgateway, dead.url()),
                               TargetAt(TargetKind::kPushgateway, live.url())});
  settings.push_deadline = milliseconds(4000);

  std::atomic<bool> done{false};
  bool delivered = true;
  std::thread run([&] {
    delivered = DeliverFinalReport(settings, FinishedRun(), true, DeliveryIo{},
                                   PushDeadline(settings.push_deadline), log);
    done = true;
  });
  // The live gateway has the report while the dead one still holds its request.
  bool seen_while_waiting = false;
  for (int i = 0; i < 400 && !done; ++i) {
    if (PushedValue(live, "pushrun_exit_code", "nightly", kGroup) == 0) {
      seen_while_waiting = !done;
      break;
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
  run.join();
  CHECK(seen_while_waiting);
  CHECK_FALSE(delivered);  // not every target got it
  CHECK_THAT(err.str(), Catch::Contains("delivered to " + live.url() + "; not to " + dead.url()));
}

TEST_CASE("Fan-out: a stopped gateway's report is spooled for it alone, and flush delivers it",
          "[runner][fan-out][spool][integration]") {
  TempDir spool_dir;
  PushgatewayProcess up, down;
  down.Stop();
  std::ostringstream err;
  Logger log(err);
  Settings settings = Nightly({TargetAt(TargetKind::kPushgateway, up.url()),
                               TargetAt(TargetKind::kPushgateway, down.url())});
  settings.spool_dir = spool_dir.path;

  CHECK_FALSE(DeliverFinalReport(settings, FinishedRun(), true, DeliveryIo{},
                                 PushDeadline(settings.push_deadline), log));
  CHECK(PushedValue(up, "rows_copied", "nightly", kGroup) == 1234);
  CHECK_THAT(err.str(),
             Catch::Contains("report spooled in " + spool_dir.path + " for " + down.url()));
  const auto listing =
      pushrun::runner::Spool(spool_dir.path, "pushrun_last_success_timestamp_seconds").List();
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports.front().target == down.url());  // the second gateway's own entry

  down.Start();
  CHECK(pushrun::runner::RunFlush(settings, log) == pushrun::runner::kExitOk);
  CHECK(PushedValue(down, "rows_copied", "nightly", kGroup) == 1234);
  CHECK(pushrun::runner::Spool(spool_dir.path, "x").List().reports.empty());
}

TEST_CASE("Fan-out: each target's credentials go to that target alone",
          "[runner][fan-out][integration]") {
  FaultServer gateway({ScriptedResponse::Status(200)});
  FaultServer receiver({ScriptedResponse::Status(204)});
  Target to_gateway = TargetAt(TargetKind::kPushgateway, gateway.url());
  to_gateway.push.bearer_token = "gateway-secret";
  to_gateway.push.headers = {{"X-Gateway-Only", "g"}};
  Target to_receiver = TargetAt(TargetKind::kRemoteWrite, receiver.url() + "/api/v1/write");
  to_receiver.push.basic_auth = pushrun::metrics::BasicAuth{"tenant", "receiver-secret"};
  to_receiver.push.headers = {{"X-Scope-OrgID", "team-a"}};
  std::ostringstream err;
  Logger log(err);
  const Settings settings = Nightly({to_gateway, to_receiver});

  REQUIRE(pushrun::runner::DeliverReport(
      settings, FinishedRun(), pushrun::runner::ReportKind::kFinal, true, DeliveryIo{}, log));
  REQUIRE(gateway.request_count() == 1);
  REQUIRE(receiver.request_count() == 1);
  const auto sent_to_gateway = gateway.requests().front();
  const auto sent_to_receiver = receiver.requests().front();
  CHECK(sent_to_gateway.Header("authorization") == "Bearer gateway-secret");
  CHECK(sent_to_gateway.Header("x-gateway-only") == "g");
  CHECK(sent_to_gateway.Header("x-scope-orgid").empty());
  CHECK_THAT(sent_to_receiver.Header("authorization"), Catch::StartsWith("Basic "));
  CHECK(sent_to_receiver.Header("x-scope-orgid") == "team-a");
  CHECK(sent_to_receiver.Header("x-gateway-only").empty());
  CHECK(sent_to_receiver.Header("content-encoding") == "snappy");
  CHECK(sent_to_receiver.path == "/api/v1/write");
}

TEST_CASE("Fan-out: delete goes to every gateway and never to a remote-write receiver",
          "[runner][fan-out][integration]") {
  PushgatewayProcess first, second;
  FaultServer receiver({ScriptedResponse::Status(204)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings =
      Nightly({TargetAt(TargetKind::kPushgateway, first.url()),
               TargetAt(TargetKind::kPushgateway, second.url()),
               TargetAt(TargetKind::kRemoteWrite, receiver.url() + "/api/v1/write")});
  REQUIRE(DeliverFinalReport(settings, FinishedRun(), true, DeliveryIo{},
                             PushDeadline(settings.push_deadline), log));
  REQUIRE(receiver.request_count() == 1);
  REQUIRE(PushedValue(second, "pushrun_exit_code", "nightly", kGroup) == 0);

  CHECK(pushrun::runner::RunDelete(settings, log) == pushrun::runner::kExitOk);
  CHECK_FALSE(PushedValue(first, "pushrun_exit_code", "nightly", kGroup).has_value());
  CHECK_FALSE(PushedValue(second, "pushrun_exit_code", "nightly", kGroup).has_value());
  CHECK(receiver.request_count() == 1);

  SECTION("with --delete-on-success, the receiver gets the report and the gateways the delete") {
    Settings deleting = settings;
    deleting.delete_on_success = true;
    REQUIRE(DeliverFinalReport(settings, FinishedRun(), true, DeliveryIo{},
                               PushDeadline(settings.push_deadline), log));
    REQUIRE(PushedValue(first, "pushrun_exit_code", "nightly", kGroup) == 0);
    CHECK(DeliverFinalReport(deleting, FinishedRun(), true, DeliveryIo{},
                             PushDeadline(settings.push_deadline), log));
    CHECK_FALSE(PushedValue(first, "pushrun_exit_code", "nightly", kGroup).has_value());
    CHECK_FALSE(PushedValue(second, "pushrun_exit_code", "nightly", kGroup).has_value());
    CHECK(receiver.request_count() == 3);
  }
}

TEST_CASE("Fan-out: VictoriaMetrics holds the same values as the gateway after one run",
          "[runner][fan-out][integration]") {
  PushgatewayProcess gateway;
  pushrun::testing::VictoriaMetricsProcess victoria;
  std::ostringstream err;
  Logger log(err);
  const Settings settings = Nightly({TargetAt(TargetKind::kPushgateway, gateway.url()),
                                     TargetAt(TargetKind::kRemoteWrite, victoria.write_url())});
  REQUIRE(DeliverFinalReport(settings, FinishedRun(), true, DeliveryIo{},
                             PushDeadline(settings.push_deadline), log));
  for (const char* name : {"pushrun_exit_code", "pushrun_success", "pushrun_duration_seconds",
                           "rows_copied", "copy_seconds_count", "copy_seconds_sum"}) {
    INFO(name);
    const std::optional<double> on_gateway = PushedValue(gateway, name, "nightly", kGroup);
    REQUIRE(on_gateway.has_value());
    const auto held = victoria.Poll(std::string(name) + "{job=\"nightly\",db=\"main\"}", 1);
    REQUIRE(held.size() == 1);
    CHECK(held.front().value == Approx(*on_gateway));
  }
}

TEST_CASE("Fan-out: a receiver's 400 is not retried, and its answer is in the error",
          "[runner][fan-out][integration]") {
  FaultServer receiver({ScriptedResponse::Status(400, "out of order sample")});
  Target target = TargetAt(TargetKind::kRemoteWrite, receiver.url() + "/api/v1/write");
  target.push.retry.max_retries = 3;
  std::ostringstream err;
  Logger log(err);
  const Settings settings = Nightly({target});
  CHECK_FALSE(DeliverFinalReport(settings, FinishedRun(), true, DeliveryIo{},
                                 PushDeadline(settings.push_deadline), log));
  CHECK(receiver.request_count() == 1);
  CHECK_THAT(err.str(), Catch::Contains("HTTP 400") && Catch::Contains("out of order sample"));
}

TEST_CASE("Fan-out: a receiver's 503 with Retry-After is retried within the deadline",
          "[runner][fan-out][integration]") {
  ScriptedResponse busy = ScriptedResponse::Status(503, "busy");
  busy.headers = {{"Retry-After", "1"}};
  FaultServer receiver({busy, ScriptedResponse::Status(204)});
  Target target = TargetAt(TargetKind::kRemoteWrite, receiver.url() + "/api/v1/write");
  target.push.retry.max_retries = 3;
  std::ostringstream err;
  Logger log(err);
  const Settings settings = Nightly({target});
  CHECK(DeliverFinalReport(settings, FinishedRun(), true, DeliveryIo{},
                           PushDeadline(settings.push_deadline), log));
  REQUIRE(receiver.request_count() == 2);
  CHECK(receiver.requests()[1].body == receiver.requests()[0].body);
}

TEST_CASE("Fan-out: heartbeats go to a remote-write receiver too, beside the gateway",
          "[runner][fan-out][heartbeat][integration]") {
  FaultServer gateway({ScriptedResponse::Status(200)});
  FaultServer receiver({ScriptedResponse::Status(204)});
  Settings settings = Nightly({TargetAt(TargetKind::kPushgateway, gateway.url()),
                               TargetAt(TargetKind::kRemoteWrite, receiver.url() + "/write")});
  settings.heartbeat = milliseconds(150);
  std::ostringstream err;
  Logger log(err);
  {
    pushrun::runner::RunHeartbeat beats(settings, nullptr, pushrun::runner::SidecarRules{}, log);
    for (int i = 0; i < 200 && receiver.request_count() < 2; ++i) {
      std::this_thread::sleep_for(milliseconds(10));
    }
    beats.Stop();
  }
  REQUIRE(receiver.request_count() >= 2);
  CHECK(gateway.request_count() >= 2);
  const auto beat = receiver.requests().front();
  CHECK(beat.path == "/write");
  CHECK(beat.Header("content-encoding") == "snappy");
  CHECK(gateway.requests().front().method == "POST");
  // A running report: pushrun_running 1, with the job and grouping labels.
  const auto decoded =
      pushrun::testing::DecodeWriteRequest(pushrun::testing::SnappyUncompress(beat.body));
  bool running = false;
  for (const auto& series : decoded.series) {
    const auto& labels = series.labels;
    auto has = [&](const std::string& name, const std::string& value) {
      return std::find(labels.begin(), labels.end(), std::make_pair(name, value)) != labels.end();
    };
    if (has("__name__", "pushrun_running") && has("job", "nightly") && has("db", "main")) {
      running = series.samples.size() == 1 && series.samples.front().first == 1;
    }
  }
  CHECK(running);
}
