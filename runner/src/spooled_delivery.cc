#include "pushrun/runner/spooled_delivery.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/report.h"

namespace pushrun::runner {
namespace {

metrics::PushParams ParamsOf(const config::Settings& settings) {
  return metrics::PushParams{.job_name = settings.job, .groupings = settings.grouping};
}

std::string GroupName(const metrics::PushParams& params) {
  std::string text = "job=\"" + params.job_name + "\"";
  for (const auto& [name, value] : params.groupings) text += ", " + name + "=\"" + value + "\"";
  return text;
}

// The families of `families` without samples: deletions (see SpooledReport::deletions).
std::map<std::string, metrics::MetricType> Deletions(
    const std::vector<metrics::MetricFamily>& families) {
  std::map<std::string, metrics::MetricType> deletions;
  for (const metrics::MetricFamily& family : families) {
    if (family.samples.empty()) deletions.emplace(family.name, family.type);
  }
  return deletions;
}

// Stores the report this run could not deliver, or with `remove` its delete (no body).
// Returns whether it is in the spool.
bool StoreInSpool(const config::Settings& settings,
                  const std::vector<metrics::MetricFamily>& families, std::string_view sidecar_text,
                  bool remove, double ended, Logger& log) {
  SpooledReport report;
  report.ended = ended;
  report.method = remove ? "DELETE" : settings.method == config::PushMethod::kPut ? "PUT" : "POST";
  report.params = ParamsOf(settings);
  if (!remove) {
    report.body = metrics::WriteText(families);
    report.body += sidecar_text;
    report.deletions = Deletions(families);
  }
  const std::string what = remove ? "delete" : "report";
  const Spool spool(settings.spool_dir, LastSuccessFamily(settings));
  if (std::string error = spool.Store(report); !error.empty()) {
    log.Error("the " + what + " is lost: cannot spool it: " + error);
    return false;
  }
  log.Warning(what + " spooled in " + settings.spool_dir +
              "; `pushrun flush` or the next run of this group delivers it");
  return true;
}

// When the reported run ended: its <prefix>_end_timestamp_seconds, or now for a report without
// one (the delete verb). Orders the reports of a group (see Spool).
double EndedAt(const config::Settings& settings,
               const std::vector<metrics::MetricFamily>& families) {
  const std::string name = settings.prefix + "_end_timestamp_seconds";
  for (const metrics::MetricFamily& family : families) {
    if (family.name == name && family.samples.size() == 1) return family.samples.front().value;
  }
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

constexpr std::chrono::seconds kRecordLifetime = std::chrono::hours(24 * 7);

}  // namespace

config::Settings PushDeadline::Apply(const config::Settings& settings) const {
  config::Settings bounded = settings;
  bounded.push.retry.deadline = std::max(Remaining(), config::Duration(1));
  return bounded;
}

config::Duration PushDeadline::Remaining() const {
  return std::chrono::duration_cast<config::Duration>(end_ - Clock::now());
}

std::string LastSuccessFamily(const config::Settings& settings) {
  return settings.prefix + "_last_success_timestamp_seconds";
}

bool IsRefusedForGood(const metrics::PushError& error) {
  if (error.category() != metrics::ErrorCategory::kHttp) return false;
  switch (const int status = error.status(); status) {
    case 401:  // credentials
    case 403:
    case 407:  // the proxy's credentials
    case 404:  // the URL (a missing or wrong route prefix)
    case 405:
    case 408:  // later
    case 429:
      return false;
    default:
      return status >= 400 && status < 500;
  }
}

SendOutcome SendSpooledReport(const config::Settings& settings, const SpooledReport& report,
                              bool* unavailable, const DeliveryIo& io) {
  if (unavailable != nullptr) *unavailable = false;
  metrics::ParseResult parsed = metrics::ParseText(report.body);
  if (!parsed.ok()) return {.error = "body: " + parsed.error->Format("report")};
  metrics::PushOptions options = PushOptionsOf(settings, io);
  if (!report.deletions.empty()) {
    // Only protobuf can carry a family without samples.
    AppendDeletions(parsed.families, report.deletions);
    options.format = metrics::BodyFormat::kProtobuf;
  }
  try {
    metrics::Registry registry;
    registry.Register(std::make_shared<metrics::StaticCollectable>(std::move(parsed.families)));
    const metrics::Pushgateway gateway(settings.gateway_url, options, registry);
    if (report.method == "DELETE") {
      gateway.Delete(report.params);  // the client counts the gateway's 202 as success
    } else if (report.method == "PUT") {
      gateway.Push(report.params);
    } else {
      gateway.PushAdd(report.params);
    }
    return {};
  } catch (const metrics::PushError& error) {
    if (unavailable != nullptr) *unavailable = IsGatewayUnavailable(error);
    return {.error = DescribePushError(error), .refused = IsRefusedForGood(error)};
  } catch (const metrics::Error& error) {  // such as a UsageError: refused before sending
    return {.error = error.what()};
  }
}

bool DeliverFinalReport(const config::Settings& settings,
                        std::vector<metrics::MetricFamily> families, bool success,
                        const DeliveryIo& io, const PushDeadline& deadline, Logger& log,
                        std::string_view sidecar_text) {
  if (settings.spool_dir.empty() || settings.gateway_url.empty() || io.dry_run) {
    return DeliverReport(deadline.Apply(settings), std::move(families), ReportKind::kFinal, success,
                         io, log, nullptr, sidecar_text);
  }
  const Spool spool(settings.spool_dir, LastSuccessFamily(settings));
  if (std::string problem = spool.CheckPermissions(); !problem.empty()) {
    // Nothing from it is sent and nothing is stored there; the report itself still goes out.
    log.Warning(problem + "; the spool is not used by this run");
    return DeliverReport(deadline.Apply(settings), std::move(families), ReportKind::kFinal, success,
                         io, log, nullptr, sidecar_text);
  }
  const metrics::PushParams params = ParamsOf(settings);
  const bool remove = success && settings.delete_on_success;
  const double ended = EndedAt(settings, families);

  // The group's turn, for the whole delivery: no other run or flush of the group can send
  // between the spooled report and this one, or send an older report after this one.
  std::string busy;
  std::optional<GroupTurn> turn =
      spool.TakeTurn(params, Spool::Clock::now() + deadline.Remaining(), &busy);
  if (!turn) {
    log.Warning("cannot send now: " + busy);
    StoreInSpool(settings, remove ? std::vector<metrics::MetricFamily>{} : families, sidecar_text,
                 remove, ended, log);
    return false;
  }

  // The group's older report first: sent after this one it would overwrite newer values.
  bool spooled_waiting = false;
  const Spool::FlushResult flushed = spool.FlushGroup(
      [&](const SpooledReport& report) {
        bool unavailable = false;
        SendOutcome outcome = SendSpooledReport(deadline.Apply(settings), report, &unavailable, io);
        if (outcome.error.empty()) {
          log.Info(std::string(report.method == "DELETE" ? "delivered the spooled delete of "
                                                         : "delivered the spooled report of ") +
                   GroupName(report.params));
        } else if (unavailable) {
          spooled_waiting = true;
        }
        return outcome;
      },
      params, *turn);
  for (const std::string& error : flushed.errors) log.Error("spooled report: " + error);
  for (const std::string& moved : flushed.set_aside) log.Warning("spooled report: " + moved);
  for (const std::string& moved : flushed.superseded) log.Warning("spooled report: " + moved);

  if (spooled_waiting) {
    // The gateway did not take the older report: this one (or the delete, which replaces it)
    // joins it in the spool, so the two arrive in order.
    StoreInSpool(settings, remove ? std::vector<metrics::MetricFamily>{} : families, sidecar_text,
                 remove, ended, log);
    return false;
  }
  std::vector<metrics::MetricFamily> kept;
  if (!remove) kept = families;
  if (const double last = turn->last_delivered(); ended < last) {
    // A run that ended later has already delivered its report (this run took long to get
    // here): sending this one would put older values over newer ones.
    SpooledReport stale{.method = remove                                        ? "DELETE"
                                  : settings.method == config::PushMethod::kPut ? "PUT"
                                                                                : "POST",
                        .params = params,
                        .body = {},
                        .path = {},
                        .ended = ended};
    if (!remove) {
      stale.body = metrics::WriteText(kept) + std::string(sidecar_text);
      stale.deletions = Deletions(kept);
    }
    std::string moved_to;
    if (std::string failure = spool.Supersede(stale, &moved_to); !failure.empty()) {
      log.Error(
          "the report is not sent: a later run of the group delivered its report first; "
          "cannot keep it in " +
          spool.superseded_dir() + ": " + failure);
    } else {
      log.Warning(
          "the report is not sent: a later run of the group delivered its report first; "
          "kept in " +
          moved_to);
    }
    return false;
  }
  bool unavailable = false;
  if (DeliverReport(deadline.Apply(settings), std::move(families), ReportKind::kFinal, success, io,
                    log, &unavailable, sidecar_text)) {
    turn->RecordDelivered(ended);
    return true;
  }
  if (unavailable) StoreInSpool(settings, kept, sidecar_text, remove, ended, log);
  return false;
}

int RunFlush(const config::Settings& settings, Logger& log, const RunIo& io) {
  if (settings.spool_dir.empty()) {
    log.Error("flush needs a spool directory: give --spool-dir (or PUSHRUN_SPOOL_DIR, spool_dir)");
    return kExitPushrunError;
  }
  if (settings.gateway_url.empty()) {
    log.Error("flush needs a gateway: give --gateway (or PUSHRUN_GATEWAY, [gateway] url)");
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
  if (io.dry_run) {
    Spool::Listing listing = spool.List();
    for (const std::string& problem : listing.problems) log.Warning(problem);
    for (const SpooledReport& report : listing.reports) {
      if (io.out == nullptr) break;
      std::string url;
      try {
        url = metrics::RedactUrl(settings.gateway_url) + metrics::GroupPath(report.params);
      } catch (const metrics::PushError& error) {
        url = std::string("<invalid group: ") + error.what() + ">";
      }
      *io.out << report.method << ' ' << url << "\n\n" << report.body << std::flush;
    }
    return listing.problems.empty() ? kExitOk : kExitFailure;
  }
  std::size_t delivered = 0;
  const Spool::FlushResult flushed = spool.Flush([&](const SpooledReport& report) {
    SendOutcome outcome = SendSpooledReport(settings, report);
    if (outcome.error.empty()) {
      ++delivered;
      log.Info("delivered " + report.path + " (" + GroupName(report.params) + ")");
    }
    return outcome;
  });
  // A group's record stays while its reports may still arrive late; after a week without a
  // delivery it only takes space (per-run groups would leave one file each).
  if (const std::size_t pruned = spool.PruneRecords(kRecordLifetime); pruned > 0) {
    log.Debug("removed " + std::to_string(pruned) + " lock files of groups idle for a week");
  }
  for (const std::string& moved : flushed.set_aside) log.Warning(moved);
  for (const std::string& moved : flushed.superseded) log.Warning(moved);
  for (const std::string& busy : flushed.busy) log.Info(busy);
  for (const std::string& error : flushed.errors) log.Error(error);
  const std::string summary =
      "flush: " + std::to_string(delivered) + " delivered, " +
      std::to_string(flushed.set_aside.size()) + " refused and set aside in " +
      spool.rejected_dir() + ", " + std::to_string(flushed.superseded.size()) +
      " superseded and set aside in " + spool.superseded_dir() + ", " +
      std::to_string(flushed.busy.size()) + " left to another pushrun delivering the group, " +
      std::to_string(flushed.errors.size()) + " left in " + settings.spool_dir;
  // Set-aside reports were not delivered: say so even without -v, once, with where they are.
  if (flushed.set_aside.empty() && flushed.superseded.empty()) {
    log.Info(summary);
  } else {
    log.Warning(summary);
  }
  return flushed.errors.empty() ? kExitOk : kExitFailure;
}

}  // namespace pushrun::runner
