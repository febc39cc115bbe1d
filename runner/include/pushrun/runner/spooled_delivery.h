#pragma once
// A run's report when the gateway may be away: every push of the run shares one deadline
// (--push-deadline, counted from the end of the command), the group's spooled report goes out
// first, and a report the gateway could not take is stored in the spool (--spool-dir) for
// `pushrun flush` or the group's next run. Also the `flush` verb itself.

#include <chrono>
#include <string_view>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/metrics/family.h"
#include "pushrun/runner/app.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/log.h"
#include "pushrun/runner/spool.h"

namespace pushrun::runner {

// One budget for all push attempts of a run. Thread-safe (immutable).
class PushDeadline {
 public:
  using Clock = std::chrono::steady_clock;
  explicit PushDeadline(config::Duration budget) : end_(Clock::now() + budget) {}

  // `settings` with the client's retry deadline set to what is left of the budget (at least
  // 1 ms, so the client never falls back to its own default).
  config::Settings Apply(const config::Settings& settings) const;
  config::Duration Remaining() const;

 private:
  Clock::time_point end_;
};

// The family the spool keeps from an older report: "<prefix>_last_success_timestamp_seconds".
std::string LastSuccessFamily(const config::Settings& settings);

// Delivers the final report of a run. With a gateway and a spool directory (and not a dry run):
// first the group's spooled report, then this one; if the gateway cannot take this one (or the
// spooled one, which must not arrive after it), this one is stored in the spool, merged, and
// a warning says so. The same holds for the delete of a successful run with
// --delete-on-success: it is spooled as a DELETE. Returns whether this report reached its
// destination now. `sidecar_text` as in DeliverReport.
bool DeliverFinalReport(const config::Settings& settings,
                        std::vector<metrics::MetricFamily> families, bool success,
                        const DeliveryIo& io, const PushDeadline& deadline, Logger& log,
                        std::string_view sidecar_text = {});

// Whether the gateway refused a report itself, so that no resend can ever succeed: a 4xx
// other than 408 and 429 (later) and 401, 403, 404, 405 and 407, which answer the settings
// (credentials, URL, proxy) rather than the report: a flush with fixed settings delivers it.
bool IsRefusedForGood(const metrics::PushError& error);

// Sends one spooled report as it was stored (its method, group and body; a DELETE with
// Pushgateway::Delete) with the client options of `settings`. The error is "" on success; `refused`
// per IsRefusedForGood; `unavailable` as in DeliverReport.
// `io` gives the transport and cancellation.
SendOutcome SendSpooledReport(const config::Settings& settings, const SpooledReport& report,
                              bool* unavailable = nullptr, const DeliveryIo& io = {});

// `pushrun flush`: delivers every report in settings.spool_dir to settings.gateway_url, each
// with the full client options (retries, --push-deadline per report). A report the gateway
// refuses for good is moved to <spool-dir>/rejected/ with a warning quoting the gateway's
// answer. Corrupt or foreign files are reported and left in place. 0 when nothing deliverable
// is left (delivered or set aside; nothing skipped), 1 when some report or file remains, 125
// for bad settings.
int RunFlush(const config::Settings& settings, Logger& log, const RunIo& io = {});

}  // namespace pushrun::runner
