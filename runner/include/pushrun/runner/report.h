#pragma once
// The report pushrun pushes for one run: metric families built from a ChildOutcome, all gauges
// in base units (seconds, bytes), named "<prefix>_...". Pure functions of their inputs.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/metrics/family.h"
#include "pushrun/runner/child.h"

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

// Whether a sample or family name is one pushrun's report owns ("<prefix>_*") or the Pushgateway
// sets itself (push_time_seconds, push_failure_time_seconds); sidecars may not use them.
bool IsReservedName(std::string_view name, std::string_view prefix);

// Seconds since the Unix epoch, with sub-second precision.
double ToUnixSeconds(std::chrono::system_clock::time_point time);

}  // namespace pushrun::runner
