// The reports against a real Pushgateway: a heartbeat, then the final report of a failed run
// sent as protobuf with deletions, leaves nothing of the heartbeat and keeps the last success.

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/runner/report.h"
#include "support/pushgateway_process.h"

namespace {

using namespace pushrun::metrics;
using pushrun::runner::ChildOutcome;

void PostToGateway(const pushrun::testing::PushgatewayProcess& gateway,
                   std::vector<MetricFamily> families, BodyFormat format) {
  Registry registry;
  registry.Register(std::make_shared<StaticCollectable>(std::move(families)));
  PushOptions options;
  options.format = format;
  REQUIRE(Pushgateway(gateway.url(), options, registry).PushAdd({.job_name = "nightly"}).status ==
          200);
}

ChildOutcome Ended(int exit_code, std::chrono::system_clock::time_point end) {
  ChildOutcome outcome;
  outcome.exit_code = exit_code;
  outcome.start_time = end - std::chrono::seconds(60);
  outcome.end_time = end;
  outcome.duration_seconds = 60;
  return outcome;
}

}  // namespace

TEST_CASE(
    "Reports (real gateway): a failed run's final report removes the heartbeat's series "
    "and keeps the last success",
    "[runner][report][heartbeat][integration]") {
  pushrun::testing::PushgatewayProcess gateway;
  const auto yesterday = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
  PostToGateway(gateway, BuildFinalReport(Ended(0, yesterday), {}), BodyFormat::kText);
  const std::vector<std::string> old_success = {"1.7e+09"};
  REQUIRE(gateway.Lines("pushrun_last_success_timestamp_seconds", old_success).size() == 1);

  // Today's run: a heartbeat with a sidecar snapshot, then the run fails.
  const std::vector<MetricFamily> snapshot = {
      {.name = "progress",
       .help = "",
       .type = MetricType::kGauge,
       .samples = {{.name = "progress", .labels = {}, .value = 2, .timestamp_ms = {}}}}};
  pushrun::runner::RunningReportInput running;
  running.start = yesterday + std::chrono::hours(24);
  running.now = running.start + std::chrono::seconds(30);
  running.interval = std::chrono::seconds(10);
  running.tree.processes = 2;
  running.sidecar = &snapshot;
  PostToGateway(gateway, BuildRunningReport(running), BodyFormat::kText);
  REQUIRE(gateway.Lines("pushrun_running", {" 1"}).size() == 1);
  REQUIRE(gateway.Lines("pushrun_live_processes").size() == 1);
  REQUIRE(gateway.Lines("progress").size() == 1);

  std::vector<MetricFamily> final_report =
      BuildFinalReport(Ended(1, running.start + std::chrono::seconds(60)), {});
  std::vector<std::string> deleted = pushrun::runner::HeartbeatOnlyFamilyNames("pushrun");
  deleted.push_back("progress");  // the final sidecar no longer has it
  pushrun::runner::AppendDeletions(final_report, deleted);
  PostToGateway(gateway, final_report, BodyFormat::kProtobuf);

  CHECK(gateway.Lines("pushrun_running", {" 0"}).size() == 1);
  CHECK(gateway.Lines("pushrun_exit_code", {" 1"}).size() == 1);
  CHECK(gateway.Lines("pushrun_last_success_timestamp_seconds", old_success).size() == 1);
  for (const std::string& name : deleted) {
    INFO(name);
    CHECK(gateway.Lines(name).empty());
  }
}
