#pragma once
// A run's report when a target may be away: every target gets the whole --push-deadline
// (counted from the end of the command), in parallel; per (target, group), the spooled report
// goes out first, and a report the gateway could not take is stored in the spool (--spool-dir)
// for `pushrun flush` (verbs/flush.cc) or the group's next run.

#include <chrono>
#include <string_view>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/metrics/family.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/log.h"
#include "pushrun/runner/spool.h"

namespace pushrun::runner {

// One budget for all push attempts of a run. Thread-safe (immutable).
class PushDeadline {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PushDeadline(config::Duration budget) : end_(Clock::now() + budget) {}

  // `target` (every target of `settings`) with the client's retry deadline set to what is left
  // of the budget (at least 1 ms, so the client never falls back to its own default).
  config::Target Apply(config::Target target) const;
  config::Settings Apply(const config::Settings& settings) const;
  config::Duration Remaining() const;

 private:
  Clock::time_point end_;
};

// How long `pushrun flush` keeps the record of a group that delivers nothing (Spool::PruneRecords).
inline constexpr std::chrono::seconds kRecordLifetime = std::chrono::hours(24 * 7);

// job="...", name="value"...: a group in messages.
std::string GroupName(const metrics::PushParams& params);

// The family the spool keeps from an older report: "<prefix>_last_success_timestamp_seconds".
std::string LastSuccessFamily(const config::Settings& settings);

// The spool's name for a target (Spool's `target`): "" for the run's first gateway, whose
// entries keep the file names of spools written before targets; the target's name otherwise.
std::string SpoolKey(const config::Settings& settings, const config::Target& target);

// Delivers the final report of a run to every target in parallel (ForEveryTarget). For each
// gateway, with a spool directory (and not a dry run): first the (target, group)'s spooled
// report, then this one; if the gateway cannot take this one (or the spooled one, which must
// not arrive after it), this one is stored in the spool, merged, and a warning says so. The
// same holds for the delete of a successful run with --delete-on-success: it is spooled as a
// DELETE (remote-write receivers get the report). Returns whether every target has this
// report now. `sidecar_text` as in DeliverToTarget.
bool DeliverFinalReport(const config::Settings& settings,
                        std::vector<metrics::MetricFamily> families, bool success,
                        const DeliveryIo& io, const PushDeadline& deadline, Logger& log,
                        std::string_view sidecar_text = {});

// Whether the gateway refused a report itself, so that no resend can ever succeed: a 4xx
// other than 408 and 429 (later) and 401, 403, 404, 405 and 407, which answer the settings
// (credentials, URL, proxy) rather than the report: a flush with fixed settings delivers it.
bool IsRefusedForGood(const metrics::PushError& error);

// Sends one spooled report as it was stored (its method, group and body; a DELETE with
// Pushgateway::Delete) to `target` with its client options. The error is "" on success;
// `refused` per IsRefusedForGood; `unavailable` as in DeliverToTarget.
// `io` gives the transport and cancellation.
SendOutcome SendSpooledReport(const config::Target& target, const SpooledReport& report,
                              bool* unavailable = nullptr, const DeliveryIo& io = {});

}  // namespace pushrun::runner
