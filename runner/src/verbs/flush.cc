// `pushrun flush`: every spooled report to its target, every target at once.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "../cancel_on_signal.h"
#include "pushrun/config/signal_name.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/runner/app.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/spool.h"
#include "pushrun/runner/spooled_delivery.h"
#include "pushrun/runner/targets.h"

namespace pushrun::runner {
namespace {

// What `pushrun flush` did for one target.
struct TargetFlush {
  std::size_t delivered = 0;
  Spool::FlushResult result;
};

TargetFlush FlushTarget(const config::Settings& settings, const config::Target& target,
                        const DeliveryIo& io, Logger& log) {
  TargetFlush done;
  const Spool spool(settings.spool_dir, LastSuccessFamily(settings), SpoolKey(settings, target));
  done.result = spool.Flush([&](const SpooledReport& report) {
    SendOutcome outcome = SendSpooledReport(target, report, nullptr, io);
    if (outcome.error.empty()) {
      ++done.delivered;
      log.Info("delivered " + report.path + " (" + GroupName(report.params) + ") to " +
               TargetName(target));
    }
    return outcome;
  });
  return done;
}

// Spooled entries whose target this run does not have: left in place, one line each.
std::vector<std::string> Orphans(const config::Settings& settings, const Spool::Listing& listing) {
  std::vector<std::string> orphans;
  for (const SpooledReport& report : listing.reports) {
    const bool known = std::any_of(
        settings.targets.begin(), settings.targets.end(),
        [&](const config::Target& target) { return SpoolKey(settings, target) == report.target; });
    if (!known) {
      orphans.push_back(report.path + ": for " +
                        (report.target.empty() ? std::string("the first gateway") : report.target) +
                        ", which is not a target of this run (left in place; flush with that "
                        "target given)");
    }
  }
  return orphans;
}

}  // namespace

int RunFlush(const config::Settings& settings, Logger& log, const RunIo& io) {
  if (settings.spool_dir.empty()) {
    log.Error("flush needs a spool directory: give --spool-dir (or PUSHRUN_SPOOL_DIR, spool_dir)");
    return kExitPushrunError;
  }
  const std::vector<config::Target>& targets = settings.targets;
  if (targets.empty()) {
    log.Error(
        "flush needs a gateway: give --gateway (or PUSHRUN_GATEWAY, [gateway] url), or "
        "--remote-write");
    return kExitPushrunError;
  }
  if (!settings.command.empty()) {
    log.Error("flush takes no command");
    return kExitPushrunError;
  }
  const Spool spool(settings.spool_dir, LastSuccessFamily(settings));
  if (std::string problem = spool.CheckPermissions(); !problem.empty()) {
    log.Error(problem + "; nothing was sent");
    return kExitFailure;
  }
  const Spool::Listing listing = spool.List();
  const std::vector<std::string> orphans = Orphans(settings, listing);
  if (io.dry_run) {
    for (const std::string& problem : listing.problems) log.Warning(problem);
    for (const std::string& orphan : orphans) log.Warning(orphan);
    for (const config::Target& target : targets) {
      const std::string key = SpoolKey(settings, target);
      for (const SpooledReport& report : listing.reports) {
        if (io.out == nullptr || report.target != key) continue;
        std::string url;
        try {
          url = metrics::RedactUrl(target.url) + metrics::GroupPath(report.params);
        } catch (const metrics::PushError& error) {
          url = std::string("<invalid group: ") + error.what() + ">";
        }
        if (report.request) {
          // Kept as sent: compressed protobuf, not for a terminal.
          std::string content_type;
          for (const auto& [name, value] : report.request->headers) {
            if (name == "Content-Type") content_type = value;
          }
          *io.out << report.method << ' ' << metrics::RedactUrl(report.request->url) << "\n\n("
                  << report.request->body.size() << " bytes of " << content_type
                  << ", sent as stored)\n"
                  << std::flush;
          continue;
        }
        *io.out << report.method << ' ' << url << "\n\n" << report.body << std::flush;
      }
    }
    return listing.problems.empty() && orphans.empty() ? kExitOk : kExitFailure;
  }
  DeliveryIo delivery{.cancellation = std::make_shared<metrics::Cancellation>()};
  // A supervisor stopping the flush ends every request in flight at once; what was not
  // delivered stays in the spool.
  const detail::CancelOnSignal stop(delivery.cancellation);
  std::vector<TargetFlush> flushed(targets.size());
  ForEveryTarget(
      targets,
      [&](const config::Target& target) {
        const std::size_t i = static_cast<std::size_t>(&target - targets.data());
        flushed[i] = FlushTarget(settings, target, delivery, log);
        return flushed[i].result.errors.empty();
      },
      log, "flush: the spooled reports");
  // A group's record stays while its reports may still arrive late; after a week without a
  // delivery it only takes space (per-run groups would leave one file each).
  if (const std::size_t pruned = spool.PruneRecords(kRecordLifetime); pruned > 0) {
    log.Debug("removed " + std::to_string(pruned) + " lock files of groups idle for a week");
  }
  bool left = !orphans.empty();
  for (const std::string& orphan : orphans) log.Warning(orphan);
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const Spool::FlushResult& result = flushed[i].result;
    for (const std::string& moved : result.set_aside) log.Warning(moved);
    for (const std::string& moved : result.superseded) log.Warning(moved);
    for (const std::string& busy : result.busy) log.Info(busy);
    for (const std::string& error : result.errors) log.Error(error);
    std::string summary = "flush";
    if (targets.size() > 1) summary += " to " + TargetName(targets[i]);
    summary += ": " + std::to_string(flushed[i].delivered) + " delivered, " +
               std::to_string(result.set_aside.size()) + " refused and set aside in " +
               spool.rejected_dir() + ", " + std::to_string(result.superseded.size()) +
               " superseded and set aside in " + spool.superseded_dir() + ", " +
               std::to_string(result.busy.size()) +
               " left to another pushrun delivering the group, " +
               std::to_string(result.errors.size()) + " left in " + settings.spool_dir;
    // Set-aside reports were not delivered: say so even without -v, once, with where they are.
    if (result.set_aside.empty() && result.superseded.empty()) {
      log.Info(summary);
    } else {
      log.Warning(summary);
    }
    left = left || !result.errors.empty();
  }
  if (const int sig = stop.received(); sig != 0) {
    log.Warning("received SIG" + config::SignalName(sig) +
                ": the flush was stopped; what it did not deliver stays in " + settings.spool_dir);
    return 128 + sig;
  }
  return left ? kExitFailure : kExitOk;
}

}  // namespace pushrun::runner
