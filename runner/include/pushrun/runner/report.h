#pragma once
// The report pushrun pushes for one run: metric families built from a ChildOutcome, all gauges
// in base units (seconds, bytes), named "<prefix>_...". Pure functions of their inputs.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/metrics/family.h"
#include "pushrun/runner/child.h"
#include "pushrun/runner/process_tree.h"

namespace pushrun::runner {

struct ReportInput {
  std::string prefix = "pushrun";
  // Whether the sidecar file was absent/empty or valid (1), or refused (0).
  bool sidecar_valid = true;
};

// The final report: every core gauge, "<prefix>_running 0", and
// "<prefix>_last_success_timestamp_seconds" only when the run succeeded, so a POST of a failed
// run leaves the previous success time on the gateway.
std::vector<metrics::MetricFamily> BuildFinalReport(const ChildOutcome& outcome,
                                                    const ReportInput& input);

// The "running" report pushed with --push-start once the command has started:
// "<prefix>_start_timestamp_seconds" and "<prefix>_running 1".
std::vector<metrics::MetricFamily> BuildStartReport(std::chrono::system_clock::time_point start,
                                                    std::string_view prefix);

// What a heartbeat knows while the command runs.
struct RunningReportInput {
  std::string prefix = "pushrun";
  std::chrono::system_clock::time_point start;
  std::chrono::system_clock::time_point now;  // when this heartbeat was built
  std::chrono::milliseconds interval{0};      // --heartbeat
  double elapsed_seconds = 0;                 // since the start, monotonic clock
  ProcessTreeUsage tree;                      // MeasureDescendants(pushrun's pid)
  // The last valid sidecar snapshot, appended after pushrun's own families (may be null).
  const std::vector<metrics::MetricFamily>* sidecar = nullptr;
};

// The heartbeat's report: "<prefix>_running 1", the start time, the heartbeat's time and
// interval, the elapsed time and the live resources of the command's process tree, then the
// sidecar snapshot.
std::vector<metrics::MetricFamily> BuildRunningReport(const RunningReportInput& input);

// The families only a heartbeat has and a final report never carries (heartbeat time and
// interval, elapsed time, live resources): the final report deletes them from a gateway.
std::vector<std::string> HeartbeatOnlyFamilyNames(std::string_view prefix);

// A family with no samples for each of `names` that `report` does not carry already, appended
// to `report`. Pushed as protobuf with POST, such a family removes all its series from the
// group and leaves the rest of the group alone (text cannot say this: a "# TYPE" line without
// samples changes nothing).
void AppendDeletions(std::vector<metrics::MetricFamily>& report,
                     const std::vector<std::string>& names);

// Whether a sample or family name is one pushrun's report owns ("<prefix>_*") or the Pushgateway
// sets itself (push_time_seconds, push_failure_time_seconds); sidecars may not use them.
bool IsReservedName(std::string_view name, std::string_view prefix);

// Seconds since the Unix epoch, with sub-second precision.
double ToUnixSeconds(std::chrono::system_clock::time_point time);

}  // namespace pushrun::runner
