#include "pushrun/runner/overlap.h"

#include <string>
#include <utility>

#include "pushrun/runner/exit_codes.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/spooled_delivery.h"

namespace pushrun::runner {
namespace {

metrics::MetricFamily Gauge(std::string name, std::string help, double value) {
  metrics::MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = metrics::MetricType::kGauge;
  family.samples.push_back(metrics::Sample{
      .name = family.name, .labels = {}, .value = value, .timestamp_ms = std::nullopt});
  return family;
}

}  // namespace

metrics::MetricFamily SkippedFamily(std::string_view prefix, bool skipped) {
  return Gauge(std::string(prefix) + "_skipped",
               "1 if the latest run was skipped because another run held the --lock file",
               skipped ? 1 : 0);
}

std::vector<metrics::MetricFamily> BuildSkippedReport(std::chrono::system_clock::time_point now,
                                                      std::string_view prefix) {
  std::vector<metrics::MetricFamily> families;
  families.push_back(SkippedFamily(prefix, true));
  families.push_back(Gauge(std::string(prefix) + "_skipped_timestamp_seconds",
                           "When a run was last skipped because the --lock file was held",
                           ToUnixSeconds(now)));
  return families;
}

std::optional<int> TakeRunLock(const config::Settings& settings, const DeliveryIo& io, Logger& log,
                               std::optional<RunLock>* lock) {
  if (settings.lock_file.empty()) return std::nullopt;
  std::string error;
  switch (RunLock::TryAcquire(settings.lock_file, lock, &error)) {
    case RunLock::Outcome::kAcquired:
      return std::nullopt;
    case RunLock::Outcome::kError:
      log.Error(error);
      return kExitPushrunError;
    case RunLock::Outcome::kHeld:
      break;
  }
  log.Warning("another run holds " + settings.lock_file + "; not starting " +
              settings.command.front() + " (exit status " + std::to_string(kExitLockHeld) + ")");
  const PushDeadline deadline(settings.push_deadline);
  DeliverReport(deadline.Apply(settings),
                BuildSkippedReport(std::chrono::system_clock::now(), settings.prefix),
                ReportKind::kSkipped, /*success=*/false, io, log);
  return kExitLockHeld;
}

}  // namespace pushrun::runner
