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
#include "pushrun/runner/targets.h"

namespace pushrun::runner {
namespace {

metrics::PushParams ParamsOf(const config::Settings& settings) {
  return metrics::PushParams{.job_name = settings.job, .groupings = settings.grouping};
}

std::string GroupNameOf(const metrics::PushParams& params) {
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
bool StoreInSpool(const config::Settings& settings, const config::Target& target,
                  const std::vector<metrics::MetricFamily>& families, std::string_view sidecar_text,
                  bool remove, double ended, Logger& log) {
  SpooledReport report;
  report.target = SpoolKey(settings, target);
  report.ended = ended;
  report.method = remove ? "DELETE" : settings.method == config::PushMethod::kPut ? "PUT" : "POST";
  report.params = ParamsOf(settings);
  if (!remove) {
    report.body = metrics::WriteText(families);
    report.body += sidecar_text;
    report.deletions = Deletions(families);
  }
  const std::string what = remove ? "delete" : "report";
  const Spool spool(settings.spool_dir, LastSuccessFamily(settings), report.target);
  if (std::string error = spool.Store(report); !error.empty()) {
    log.Error("the " + what + " for " + TargetName(target) + " is lost: cannot spool it: " + error);
    return false;
  }
  log.Warning(what + " spooled in " + settings.spool_dir + " for " + TargetName(target) +
              "; `pushrun flush` or the next run of this group delivers it");
  return true;
}

// When the reported run ended (Unix seconds). Orders the reports of a group (see Spool).
double EndedAt(const config::Settings& settings,
               const std::vector<metrics::MetricFamily>& families) {
  return static_cast<double>(ReportTimeMs(settings.prefix, families)) / 1000;
}

}  // namespace

config::Target PushDeadline::Apply(config::Target target) const {
  target.push.retry.deadline = std::max(Remaining(), config::Duration(1));
  return target;
}

config::Settings PushDeadline::Apply(const config::Settings& settings) const {
  config::Settings bounded = settings;
  for (config::Target& target : bounded.targets) target = Apply(std::move(target));
  return bounded;
}

std::string SpoolKey(const config::Settings& settings, const config::Target& target) {
  for (const config::Target& first : settings.targets) {
    if (first.kind != config::TargetKind::kPushgateway) continue;
    if (&first == &target || (first.kind == target.kind && first.url == target.url)) return {};
    break;
  }
  return TargetName(target);
}

config::Duration PushDeadline::Remaining() const {
  return std::chrono::duration_cast<config::Duration>(end_ - Clock::now());
}

std::string GroupName(const metrics::PushParams& params) { return GroupNameOf(params); }

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

SendOutcome SendSpooledReport(const config::Target& target, const SpooledReport& report,
                              bool* unavailable, const DeliveryIo& io) {
  if (unavailable != nullptr) *unavailable = false;
  if (report.request) {
    // Kept as it is sent: only to the target it was made for, so that the target's credentials
    // never go to another URL (the target's URL changed since: flush with the old one).
    std::string base = target.url;
    while (base.ends_with('/')) base.pop_back();
    if (!report.request->url.starts_with(base)) {
      return {.error = "it was spooled for " + metrics::RedactUrl(report.request->url) + ", not " +
                       metrics::RedactUrl(target.url) + " (left in place)"};
    }
    try {
      metrics::SendEncoded(*report.request, PushOptionsOf(target.push, io));
      return {};
    } catch (const metrics::PushError& error) {
      if (unavailable != nullptr) *unavailable = IsGatewayUnavailable(error);
      return {.error = DescribePushError(error), .refused = IsRefusedForGood(error)};
    } catch (const metrics::Error& error) {
      return {.error = error.what()};
    }
  }
  metrics::ParseResult parsed = metrics::ParseText(report.body);
  if (!parsed.ok()) return {.error = "body: " + parsed.error->Format("report")};
  metrics::PushOptions options = PushOptionsOf(target.push, io);
  // The stored text goes as it is (checked above, never built again); only deletions need the
  // families, as protobuf, the one format that can carry a family without samples.
  std::string_view stored = report.body;
  options.format = metrics::BodyFormat::kText;
  if (!report.deletions.empty()) {
    AppendDeletions(parsed.families, report.deletions);
    options.format = metrics::BodyFormat::kProtobuf;
    stored = {};
  } else {
    parsed.families.clear();
  }
  try {
    metrics::Registry registry;
    registry.Register(std::make_shared<metrics::StaticCollectable>(std::move(parsed.families)));
    const metrics::Pushgateway gateway(target.url, options, registry);
    if (report.method == "DELETE") {
      gateway.Delete(report.params);  // the client counts the gateway's 202 as success
    } else if (report.method == "PUT") {
      gateway.Push(report.params, stored);
    } else {
      gateway.PushAdd(report.params, stored);
    }
    return {};
  } catch (const metrics::PushError& error) {
    if (unavailable != nullptr) *unavailable = IsGatewayUnavailable(error);
    return {.error = DescribePushError(error), .refused = IsRefusedForGood(error)};
  } catch (const metrics::Error& error) {  // such as a UsageError: refused before sending
    return {.error = error.what()};
  }
}

namespace {

// The final report to a remote-write receiver through its spool: the queued requests of the
// (target, group) first (a receiver refuses samples older than those it holds), then this one,
// queued behind them when the receiver cannot take it now.
bool WriteThroughSpool(const config::Settings& settings, const config::Target& target,
                       std::vector<metrics::MetricFamily> families, const DeliveryIo& io,
                       const PushDeadline& deadline, Logger& log, std::string_view sidecar_text) {
  const double ended = EndedAt(settings, families);
  std::optional<metrics::EncodedRequest> request =
      EncodeWrite(settings, target, std::move(families), sidecar_text, io, log);
  if (!request) return false;
  const std::string key = SpoolKey(settings, target);
  const Spool spool(settings.spool_dir, LastSuccessFamily(settings), key);
  const metrics::PushParams params = ParamsOf(settings);
  auto enqueue = [&] {
    SpooledReport entry;
    entry.target = key;
    entry.method = request->method;
    entry.params = params;
    entry.ended = ended;
    entry.request = *request;
    if (std::string error = spool.Enqueue(entry); !error.empty()) {
      log.Error("the report for " + TargetName(target) + " is lost: cannot spool it: " + error);
    } else {
      log.Warning("report spooled in " + settings.spool_dir + " for " + TargetName(target) +
                  "; `pushrun flush` or the next run of this group delivers it");
    }
    return false;
  };
  std::string busy;
  std::optional<GroupTurn> turn =
      spool.TakeTurn(params, Spool::Clock::now() + deadline.Remaining(), &busy);
  if (!turn) {
    log.Warning("cannot send now: " + busy);
    return enqueue();
  }
  bool spooled_waiting = false;
  const config::Target bounded = deadline.Apply(target);
  const Spool::FlushResult flushed = spool.FlushGroup(
      [&](const SpooledReport& report) {
        bool unavailable = false;
        SendOutcome outcome = SendSpooledReport(deadline.Apply(target), report, &unavailable, io);
        if (outcome.error.empty()) {
          log.Info("delivered a spooled report of " + GroupNameOf(report.params) + " to " +
                   TargetName(target));
        } else if (!outcome.refused) {
          spooled_waiting = true;
        }
        return outcome;
      },
      params, *turn);
  for (const std::string& error : flushed.errors) log.Error("spooled report: " + error);
  for (const std::string& moved : flushed.set_aside) log.Warning("spooled report: " + moved);
  if (spooled_waiting) return enqueue();
  bool unavailable = false;
  bool refused = false;
  if (SendEncodedTo(bounded, *request, ReportKind::kFinal, io, log, &unavailable, &refused)) {
    turn->RecordDelivered(ended);
    return true;
  }
  if (unavailable) enqueue();
  return false;
}

// The final report to one target: to a gateway through its spool (see DeliverFinalReport).
bool DeliverFinalReportTo(const config::Settings& settings, const config::Target& target,
                          std::vector<metrics::MetricFamily> families, bool success,
                          const DeliveryIo& io, const PushDeadline& deadline, Logger& log,
                          std::string_view sidecar_text) {
  if (settings.spool_dir.empty() || io.dry_run) {
    return DeliverToTarget(settings, deadline.Apply(target), std::move(families),
                           ReportKind::kFinal, success, io, log, nullptr, sidecar_text);
  }
  const std::string key = SpoolKey(settings, target);
  const Spool spool(settings.spool_dir, LastSuccessFamily(settings), key);
  if (std::string problem = spool.CheckPermissions(); !problem.empty()) {
    // Nothing from it is sent and nothing is stored there; the report itself still goes out.
    log.Warning(problem + "; the spool is not used by this run");
    return DeliverToTarget(settings, deadline.Apply(target), std::move(families),
                           ReportKind::kFinal, success, io, log, nullptr, sidecar_text);
  }
  if (target.kind == config::TargetKind::kRemoteWrite) {
    return WriteThroughSpool(settings, target, std::move(families), io, deadline, log,
                             sidecar_text);
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
    StoreInSpool(settings, target, remove ? std::vector<metrics::MetricFamily>{} : families,
                 sidecar_text, remove, ended, log);
    return false;
  }

  // The group's older report first: sent after this one it would overwrite newer values.
  bool spooled_waiting = false;
  const Spool::FlushResult flushed = spool.FlushGroup(
      [&](const SpooledReport& report) {
        bool unavailable = false;
        SendOutcome outcome = SendSpooledReport(deadline.Apply(target), report, &unavailable, io);
        if (outcome.error.empty()) {
          log.Info(std::string(report.method == "DELETE" ? "delivered the spooled delete of "
                                                         : "delivered the spooled report of ") +
                   GroupNameOf(report.params));
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
    StoreInSpool(settings, target, remove ? std::vector<metrics::MetricFamily>{} : families,
                 sidecar_text, remove, ended, log);
    return false;
  }
  std::vector<metrics::MetricFamily> kept;
  if (!remove) kept = families;
  if (const double last = turn->last_delivered(); ended < last) {
    // A run that ended later has already delivered its report (this run took long to get
    // here): sending this one would put older values over newer ones.
    SpooledReport stale;
    stale.target = key;
    stale.method = remove ? "DELETE" : settings.method == config::PushMethod::kPut ? "PUT" : "POST";
    stale.params = params;
    stale.ended = ended;
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
  if (DeliverToTarget(settings, deadline.Apply(target), std::move(families), ReportKind::kFinal,
                      success, io, log, &unavailable, sidecar_text)) {
    turn->RecordDelivered(ended);
    return true;
  }
  if (unavailable) StoreInSpool(settings, target, kept, sidecar_text, remove, ended, log);
  return false;
}

}  // namespace

bool DeliverFinalReport(const config::Settings& settings,
                        std::vector<metrics::MetricFamily> families, bool success,
                        const DeliveryIo& io, const PushDeadline& deadline, Logger& log,
                        std::string_view sidecar_text) {
  if (settings.targets.empty() || io.dry_run) {
    return DeliverReport(deadline.Apply(settings), std::move(families), ReportKind::kFinal, success,
                         io, log, sidecar_text);
  }
  if (settings.targets.size() == 1) {
    const config::Target& target = settings.targets.front();
    if (settings.spool_dir.empty()) {
      // Straight to the target: the plain run's path stays short.
      return DeliverToTarget(settings, deadline.Apply(target), std::move(families),
                             ReportKind::kFinal, success, io, log, nullptr, sidecar_text);
    }
    return DeliverFinalReportTo(settings, target, std::move(families), success, io, deadline, log,
                                sidecar_text);
  }
  return ForEveryTarget(
      settings.targets,
      [&](const config::Target& target) {
        return DeliverFinalReportTo(settings, target, families, success, io, deadline, log,
                                    sidecar_text);
      },
      log, "the report");
}

}  // namespace pushrun::runner
