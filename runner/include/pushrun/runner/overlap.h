#pragma once
// What a run does about --lock: it takes the lock before the command starts, and when another
// run holds it, the command is not started, the skip is recorded ("<prefix>_skipped 1", merged
// into the group like the "running" report, so the last success time stays) and pushrun exits
// with kExitLockHeld.

#include <chrono>
#include <optional>
#include <string_view>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/metrics/family.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/log.h"
#include "pushrun/runner/run_lock.h"

namespace pushrun::runner {

// "<prefix>_skipped" (1 in a skipped run's report, 0 in the final report of a run that took the
// lock, so the gauge says what the latest run did).
metrics::MetricFamily SkippedFamily(std::string_view prefix, bool skipped);

// The report of a run skipped because the lock was held: "<prefix>_skipped 1" and
// "<prefix>_skipped_timestamp_seconds". No exit code, no last success: nothing ran.
std::vector<metrics::MetricFamily> BuildSkippedReport(std::chrono::system_clock::time_point now,
                                                      std::string_view prefix);

// With settings.lock_file set, takes the lock into `lock`. Returns nothing when the run may go
// ahead, otherwise pushrun's exit status: kExitLockHeld once the skip is logged and delivered
// (to the gateway or textfile within settings.push_deadline; only logged without either), 125
// when the lock file cannot be opened or locked.
std::optional<int> TakeRunLock(const config::Settings& settings, const DeliveryIo& io, Logger& log,
                               std::optional<RunLock>* lock);

}  // namespace pushrun::runner
