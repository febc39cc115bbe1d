#include "pushrun/runner/report.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/names.h"

namespace {

using pushrun::metrics::MetricFamily;
using pushrun::metrics::MetricType;
using pushrun::runner::BuildFinalReport;
using pushrun::runner::BuildStartReport;
using pushrun::runner::ChildOutcome;
using pushrun::runner::ReportInput;

std::optional<double> ValueOf(const std::vector<MetricFamily>& families, const std::string& name) {
  for (const MetricFamily& family : families) {
    if (family.name == name && family.samples.size() == 1) return family.samples[0].value;
  }
  return std::nullopt;
}

ChildOutcome Outcome(int exit_code, int signal = 0) {
  ChildOutcome outcome;
  outcome.exit_code = exit_code;
  outcome.signal = signal;
  outcome.start_time =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'250));
  outcome.end_time = outcome.start_time + std::chrono::milliseconds(1500);
  outcome.duration_seconds = 1.5;
  outcome.usage.ru_utime = {2, 500'000};
  outcome.usage.ru_stime = {0, 250'000};
  outcome.usage.ru_maxrss = 51'200;  // KiB
  outcome.usage.ru_minflt = 7;
  outcome.usage.ru_majflt = 1;
  outcome.usage.ru_inblock = 16;
  outcome.usage.ru_oublock = 32;
  outcome.usage.ru_nvcsw = 3;
  outcome.usage.ru_nivcsw = 4;
  return outcome;
}

}  // namespace

TEST_CASE("Report: a successful run carries every core gauge in base units", "[runner][report]") {
  const auto families = BuildFinalReport(Outcome(0), ReportInput{});
  CHECK(ValueOf(families, "pushrun_start_timestamp_seconds") == Approx(1'700'000'000.25));
  CHECK(ValueOf(families, "pushrun_end_timestamp_seconds") == Approx(1'700'000'001.75));
  CHECK(ValueOf(families, "pushrun_duration_seconds") == Approx(1.5));
  CHECK(ValueOf(families, "pushrun_exit_code") == 0);
  CHECK(ValueOf(families, "pushrun_signal") == 0);
  CHECK(ValueOf(families, "pushrun_success") == 1);
  CHECK(ValueOf(families, "pushrun_timed_out") == 0);
  CHECK(ValueOf(families, "pushrun_received_signal") == 0);
  CHECK(ValueOf(families, "pushrun_running") == 0);
  CHECK(ValueOf(families, "pushrun_last_success_timestamp_seconds") == Approx(1'700'000'001.75));
  CHECK(ValueOf(families, "pushrun_cpu_user_seconds") == Approx(2.5));
  CHECK(ValueOf(families, "pushrun_cpu_system_seconds") == Approx(0.25));
  CHECK(ValueOf(families, "pushrun_max_rss_bytes") == 51'200.0 * 1024);
  CHECK(ValueOf(families, "pushrun_minor_page_faults") == 7);
  CHECK(ValueOf(families, "pushrun_major_page_faults") == 1);
  CHECK(ValueOf(families, "pushrun_block_input_operations") == 16);
  CHECK(ValueOf(families, "pushrun_block_output_operations") == 32);
  CHECK(ValueOf(families, "pushrun_voluntary_context_switches") == 3);
  CHECK(ValueOf(families, "pushrun_involuntary_context_switches") == 4);
  CHECK(ValueOf(families, "pushrun_sidecar_valid") == 1);
}

TEST_CASE("Report: every family is a gauge with HELP naming its unit", "[runner][report]") {
  for (const MetricFamily& family : BuildFinalReport(Outcome(0), ReportInput{})) {
    INFO(family.name);
    CHECK(family.type == MetricType::kGauge);
    CHECK(pushrun::metrics::IsValidMetricName(family.name));
    const bool has_unit = family.help.find("seconds") != std::string::npos ||
                          family.help.find("bytes") != std::string::npos ||
                          family.help.find("count") != std::string::npos ||
                          family.help.find("Number") != std::string::npos ||
                          family.help.find("1 ") != std::string::npos ||
                          family.help.find("status") != std::string::npos;
    CHECK(has_unit);
    REQUIRE(family.samples.size() == 1);
    CHECK(family.samples[0].labels.empty());
    CHECK_FALSE(family.samples[0].timestamp_ms.has_value());
  }
}

TEST_CASE("Report: a failed run has no last success timestamp, so a POST keeps the old one",
          "[runner][report]") {
  auto [outcome, exit_code, signal] = GENERATE(table<int, int, int>({
      {1, 1, 0}, {255, 255, 0}, {0, 143, 15},  // killed by SIGTERM
  }));
  const auto families = BuildFinalReport(Outcome(outcome, signal), ReportInput{});
  CHECK(ValueOf(families, "pushrun_exit_code") == exit_code);
  CHECK(ValueOf(families, "pushrun_signal") == signal);
  CHECK(ValueOf(families, "pushrun_success") == 0);
  CHECK_FALSE(ValueOf(families, "pushrun_last_success_timestamp_seconds").has_value());
}

TEST_CASE("Report: timeouts, spawn failures and received signals are marked", "[runner][report]") {
  SECTION("timeout") {
    ChildOutcome outcome = Outcome(0, 15);
    outcome.timed_out = true;
    const auto families = BuildFinalReport(outcome, ReportInput{});
    CHECK(ValueOf(families, "pushrun_timed_out") == 1);
    CHECK(ValueOf(families, "pushrun_exit_code") == 124);
    CHECK(ValueOf(families, "pushrun_success") == 0);
  }
  SECTION("command not found") {
    ChildOutcome outcome = Outcome(0);
    outcome.spawn_failure = pushrun::runner::SpawnFailure::kNotFound;
    const auto families = BuildFinalReport(outcome, ReportInput{});
    CHECK(ValueOf(families, "pushrun_exit_code") == 127);
    CHECK(ValueOf(families, "pushrun_success") == 0);
  }
  SECTION("pushrun received SIGTERM") {
    ChildOutcome outcome = Outcome(0, 15);
    outcome.received_signal = 15;
    CHECK(ValueOf(BuildFinalReport(outcome, ReportInput{}), "pushrun_received_signal") == 15);
  }
}

TEST_CASE("Report: the prefix and sidecar validity are taken from the input", "[runner][report]") {
  const auto families =
      BuildFinalReport(Outcome(0), ReportInput{.prefix = "batch", .sidecar_valid = false});
  CHECK(ValueOf(families, "batch_sidecar_valid") == 0);
  CHECK(ValueOf(families, "batch_exit_code") == 0);
  CHECK(std::all_of(families.begin(), families.end(),
                    [](const MetricFamily& f) { return f.name.rfind("batch_", 0) == 0; }));
}

TEST_CASE("Report: the start report says running with the start time", "[runner][report]") {
  const auto start =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'500));
  const auto families = BuildStartReport(start, "pushrun");
  REQUIRE(families.size() == 2);
  CHECK(ValueOf(families, "pushrun_running") == 1);
  CHECK(ValueOf(families, "pushrun_start_timestamp_seconds") == Approx(1'700'000'000.5));
  // The text writer accepts it: it is what goes on the wire.
  CHECK(pushrun::metrics::WriteText(families).find("pushrun_running 1\n") != std::string::npos);
}

TEST_CASE("Report: reserved names are pushrun's prefix and the gateway's push times",
          "[runner][report]") {
  using pushrun::runner::IsReservedName;
  CHECK(IsReservedName("pushrun_exit_code", "pushrun"));
  CHECK(IsReservedName("pushrun_anything", "pushrun"));
  CHECK(IsReservedName("push_time_seconds", "pushrun"));
  CHECK(IsReservedName("push_failure_time_seconds", "batch"));
  CHECK_FALSE(IsReservedName("pushrunner_rows", "pushrun"));
  CHECK_FALSE(IsReservedName("pushrun", "pushrun"));
  CHECK_FALSE(IsReservedName("rows_processed", "pushrun"));
}

namespace {

pushrun::runner::RunningReportInput Running() {
  pushrun::runner::RunningReportInput input;
  input.start = std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'250));
  input.now = input.start + std::chrono::milliseconds(30'500);
  input.interval = std::chrono::milliseconds(500);
  input.elapsed_seconds = 30.5;
  input.tree.processes = 3;
  input.tree.cpu_seconds = 12.25;
  input.tree.memory_bytes = 209'715'200;
  input.tree.memory_measure = pushrun::runner::MemoryMeasure::kRss;
  return input;
}

std::vector<std::string> Names(const std::vector<MetricFamily>& families) {
  std::vector<std::string> names;
  for (const MetricFamily& family : families) names.push_back(family.name);
  return names;
}

}  // namespace

TEST_CASE("Report: a heartbeat says running, when, how often, how long and what it uses",
          "[runner][report][heartbeat]") {
  const auto families = pushrun::runner::BuildRunningReport(Running());
  CHECK(ValueOf(families, "pushrun_running") == 1);
  CHECK(ValueOf(families, "pushrun_start_timestamp_seconds") == 1'700'000'000.25);
  CHECK(ValueOf(families, "pushrun_heartbeat_timestamp_seconds") == 1'700'000'030.75);
  CHECK(ValueOf(families, "pushrun_heartbeat_interval_seconds") == 0.5);
  CHECK(ValueOf(families, "pushrun_elapsed_seconds") == 30.5);
  CHECK(ValueOf(families, "pushrun_live_cpu_seconds") == 12.25);
  CHECK(ValueOf(families, "pushrun_live_processes") == 3);
  CHECK(ValueOf(families, "pushrun_live_memory_bytes") == 209'715'200);
  const auto memory = std::find_if(families.begin(), families.end(), [](const MetricFamily& f) {
    return f.name == "pushrun_live_memory_bytes";
  });
  REQUIRE(memory != families.end());
  CHECK(memory->samples[0].labels == pushrun::metrics::Labels{{.name = "measure", .value = "rss"}});
  CHECK(pushrun::metrics::WriteText(families).find("# TYPE pushrun_exit_code") ==
        std::string::npos);
}

TEST_CASE("Report: a heartbeat carries the sidecar snapshot after pushrun's own families",
          "[runner][report][heartbeat]") {
  const std::vector<MetricFamily> snapshot = {MetricFamily{
      .name = "progress",
      .help = "",
      .type = MetricType::kGauge,
      .samples = {{.name = "progress", .labels = {}, .value = 2, .timestamp_ms = {}}}}};
  auto input = Running();
  input.sidecar = &snapshot;
  const auto families = pushrun::runner::BuildRunningReport(input);
  CHECK(families.back().name == "progress");
  CHECK(ValueOf(families, "progress") == 2);
}

TEST_CASE("Report: the heartbeat-only families are those a final report never has",
          "[runner][report][heartbeat]") {
  const std::string prefix = GENERATE(as<std::string>{}, "pushrun", "batch");
  auto input = Running();
  input.prefix = prefix;
  ReportInput final_input;
  final_input.prefix = prefix;
  std::vector<std::string> running = Names(pushrun::runner::BuildRunningReport(input));
  std::vector<std::string> final_report = Names(BuildFinalReport(Outcome(0), final_input));
  std::sort(running.begin(), running.end());
  std::sort(final_report.begin(), final_report.end());
  std::vector<std::string> only_in_heartbeats;
  std::set_difference(running.begin(), running.end(), final_report.begin(), final_report.end(),
                      std::back_inserter(only_in_heartbeats));
  std::vector<std::string> listed = pushrun::runner::HeartbeatOnlyFamilyNames(prefix);
  std::sort(listed.begin(), listed.end());
  CHECK(listed == only_in_heartbeats);
  CHECK(listed.size() == 6);
}

TEST_CASE("Report: deletions are empty families for names the report does not carry",
          "[runner][report][heartbeat]") {
  std::vector<MetricFamily> report = BuildFinalReport(Outcome(0), ReportInput{});
  const std::size_t core = report.size();
  pushrun::runner::AppendDeletions(
      report, {"pushrun_elapsed_seconds", "pushrun_running", "progress", "progress"});
  REQUIRE(report.size() == core + 2);
  CHECK(report[core].name == "pushrun_elapsed_seconds");
  CHECK(report[core].samples.empty());
  CHECK(report[core + 1].name == "progress");
  CHECK(report[core + 1].samples.empty());
  CHECK(ValueOf(report, "pushrun_running") == 0);
}
