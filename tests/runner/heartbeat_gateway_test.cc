// The heartbeat pieces together against a real Pushgateway, as the wrapper will use them: a
// command replaces its sidecar with progress 1, 2, 3, one a second; heartbeats every 500 ms
// carry it with the live resources; the final report (protobuf, with deletions) leaves the
// final values and none of the heartbeat-only series.

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/runner/heartbeat.h"
#include "pushrun/runner/process_tree.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/sidecar.h"
#include "pushrun/runner/sidecar_snapshot.h"
#include "support/pushgateway_process.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace {

using namespace pushrun::metrics;
using namespace pushrun::runner;
using pushrun::testing::ChildProcess;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;
using std::chrono::milliseconds;

void PostToGateway(const std::string& url, std::vector<MetricFamily> families, BodyFormat format) {
  Registry registry;
  registry.Register(std::make_shared<StaticCollectable>(std::move(families)));
  PushOptions options;
  options.format = format;
  options.timeout = milliseconds(2000);
  Pushgateway(url, options, registry).PushAdd({.job_name = "progress_job"});
}

}  // namespace

TEST_CASE(
    "Heartbeats (real gateway): progress rises while the command runs, and the final "
    "report leaves no heartbeat-only series",
    "[runner][heartbeat][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  const std::string sidecar = dir.path + "/metrics.prom";
  const auto start = std::chrono::system_clock::now();
  const auto started = std::chrono::steady_clock::now();
  ChildProcess command({"/bin/sh", "-c",
                        R"(for i in 1 2 3; do
                             printf '# TYPE progress gauge\nprogress %s\n' "$i" > "$0.next"
                             mv "$0.next" "$0"
                             sleep 1
                           done)",
                        sidecar});
  const pid_t command_pid = command.pid();

  auto snapshot = std::make_shared<SidecarSnapshot>(sidecar, SidecarRules{});
  const milliseconds interval(500);
  Heartbeat heartbeat(
      HeartbeatOptions{.interval = interval, .send_timeout = milliseconds(2000)},
      [=] {
        snapshot->Refresh();
        RunningReportInput input;
        input.start = start;
        input.now = std::chrono::system_clock::now();
        input.interval = interval;
        input.elapsed_seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        // The test's own children include the gateway: measure below the command instead.
        input.tree = MeasureDescendants(command_pid);
        input.sidecar = &snapshot->families();
        return BuildRunningReport(input);
      },
      [url = gateway.url()](const std::vector<MetricFamily>& report) {
        PostToGateway(url, report, BodyFormat::kText);
      });

  for (const char* value : {" 1", " 2", " 3"}) {
    INFO("progress" << value);
    CHECK(WaitUntil([&] { return !gateway.Lines("progress", {value}).empty(); }));
  }
  CHECK(gateway.Lines("pushrun_running", {" 1"}).size() == 1);
  CHECK(gateway.Lines("pushrun_heartbeat_interval_seconds", {" 0.5"}).size() == 1);

  const auto result = command.Wait();
  REQUIRE(result.status() == 0);
  const HeartbeatStats stats = heartbeat.Stop();
  CHECK(stats.sent >= 3);
  CHECK_FALSE(stats.abandoned);

  ChildOutcome outcome;
  outcome.start_time = start;
  outcome.end_time = std::chrono::system_clock::now();
  std::vector<MetricFamily> report = BuildFinalReport(outcome, {});
  SidecarResult final_sidecar = ReadSidecarFile(sidecar, SidecarRules{});
  REQUIRE(final_sidecar.ok());
  report.insert(report.end(), final_sidecar.families.begin(), final_sidecar.families.end());
  const std::set<std::string> pushed = heartbeat.PushedFamilyNames();
  AppendDeletions(report, std::vector<std::string>(pushed.begin(), pushed.end()));
  PostToGateway(gateway.url(), report, BodyFormat::kProtobuf);

  CHECK(gateway.Lines("pushrun_running", {" 0"}).size() == 1);
  CHECK(gateway.Lines("progress", {" 3"}).size() == 1);
  for (const std::string& name : HeartbeatOnlyFamilyNames("pushrun")) {
    INFO(name);
    CHECK(pushed.count(name) == 1);
    CHECK(gateway.Lines(name).empty());
  }
}
