// The wrapped run: `pushrun [OPTIONS] -- COMMAND` and `pushrun run JOB`.

#include <chrono>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../cancel_on_signal.h"
#include "pushrun/config/duration.h"
#include "pushrun/config/signal_name.h"
#include "pushrun/metrics/names.h"
#include "pushrun/runner/app.h"
#include "pushrun/runner/child.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/large_sidecar.h"
#include "pushrun/runner/overlap.h"
#include "pushrun/runner/process_signals.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/run_heartbeat.h"
#include "pushrun/runner/sidecar.h"
#include "pushrun/runner/spooled_delivery.h"
#include "pushrun/runner/targets.h"
#include "verb_common.h"

namespace pushrun::runner {
namespace {

using detail::CheckGroup;
using detail::DeliveryIoOf;
using detail::RulesOf;

bool OnlyGateways(const config::Settings& settings) {
  return !settings.targets.empty() && !HasTarget(settings, config::TargetKind::kRemoteWrite);
}

void LogOutcome(const ChildOutcome& outcome, const config::Settings& settings, Logger& log) {
  const std::string& command = settings.command.front();
  if (outcome.spawn_failure != SpawnFailure::kNone) {
    log.Error("cannot run " + command + ": " + outcome.spawn_error);
    return;
  }
  if (outcome.timed_out) {
    log.Warning(command + " timed out after " + config::FormatDuration(settings.timeout) +
                "; sent SIG" + config::SignalName(settings.timeout_signal) + " to its group");
  }
  if (outcome.received_signal != 0) {
    log.Warning("received SIG" + config::SignalName(outcome.received_signal) +
                "; forwarded it to " + command + " and its group");
  }
  if (log.Enabled(LogLevel::kInfo)) {
    std::string text = command + " ended with status " + std::to_string(outcome.WrapperExitCode());
    if (outcome.signal != 0) text += " (SIG" + config::SignalName(outcome.signal) + ")";
    text += " after " + std::to_string(outcome.duration_seconds) + " s";
    log.Info(text);
  }
}

}  // namespace

std::string CheckRunSettings(const config::Settings& settings) {
  if (settings.command.empty() || settings.command.front().empty()) {
    return "no command given: pushrun [OPTIONS] -- COMMAND [ARGS...]";
  }
  if (settings.heartbeat.count() > 0 && settings.heartbeat < kMinimumHeartbeat) {
    return "heartbeat interval " + config::FormatDuration(settings.heartbeat) +
           " is below the minimum of " + config::FormatDuration(kMinimumHeartbeat) +
           " (--heartbeat, PUSHRUN_HEARTBEAT or heartbeat in the config): give 0 for none, or "
           "at least " +
           config::FormatDuration(kMinimumHeartbeat);
  }
  if (!metrics::IsValidMetricName(settings.prefix) || settings.prefix.back() == '_') {
    return "prefix \"" + settings.prefix +
           "\" is not a metric name (allowed: [a-zA-Z_:][a-zA-Z0-9_:]*, not ending in _)";
  }
  return CheckGroup(settings);
}

int RunWrapped(const config::Settings& settings, Logger& log, const RunIo& io) {
  if (std::string problem = CheckRunSettings(settings); !problem.empty()) {
    log.Error(problem);
    return kExitPushrunError;
  }
  const DeliveryIo delivery = DeliveryIoOf(io);
  // Held until pushrun exits, so an overlapping run also waits out this run's push.
  std::optional<RunLock> lock;
  if (std::optional<int> skipped = TakeRunLock(settings, delivery, log, &lock)) return *skipped;

  std::optional<SidecarFile> sidecar;
  if (settings.sidecar.empty()) {
    std::string error;
    sidecar = SidecarFile::CreatePrivate(&error);
    if (!sidecar) log.Warning("no sidecar file for the command: " + error);
  } else {
    sidecar = SidecarFile::UseExisting(settings.sidecar);
  }

  // Only what the command needs happens before it starts; the report, the registry and the
  // HTTP client are built after it has been exec'd.
  ChildSpec spec;
  spec.argv = settings.command;
  // The command's environment is pushrun's without pushrun's own settings and credentials: a
  // nested pushrun must not take the outer one's lock file, and the job has no business with
  // the gateway's token.
  if (!settings.keep_env) {
    spec.unset_env = settings.credential_env;
    spec.unset_env.push_back("PUSHRUN_*");
  }
  if (sidecar) spec.extra_env.push_back(sidecar->EnvironmentEntry());
  spec.ignored_signals = InheritedIgnoredSignals();
  spec.timeout = settings.timeout;
  spec.kill_after = settings.kill_after;
  spec.timeout_signal = settings.timeout_signal;
  // Once the command has started, libcurl is loaded and the gateway's name resolved on a
  // thread (see PrepareTargets), so the final report starts on its way as soon as the command
  // ends. The "running" report goes out on a thread of its own, so a slow gateway delays
  // neither signal forwarding nor the timeout. Started from on_started, both threads inherit
  // the forwarded signals blocked, so they still all reach RunChild.
  std::jthread start_push;
  // Stopped before the final report, which must arrive after every heartbeat; its thread
  // inherits the blocked signals like the others.
  std::optional<RunHeartbeat> heartbeat;
  spec.on_started = [&] {
    if (WantsHeartbeat(settings, io.dry_run)) {
      try {
        heartbeat.emplace(settings, sidecar ? &*sidecar : nullptr, RulesOf(settings), log);
      } catch (const std::exception& error) {
        log.Error(std::string("heartbeats: ") + error.what());
      }
    }
    if (!settings.push_start) {
      PrepareTargets(settings, delivery);
      return;
    }
    start_push = std::jthread([&settings, &delivery, &log] {
      try {
        DeliverReport(settings, BuildStartReport(std::chrono::system_clock::now(), settings.prefix),
                      ReportKind::kStart, /*success=*/false, delivery, log);
        PrepareTargets(settings, delivery);
      } catch (const std::exception& error) {
        log.Error(std::string("start report: ") + error.what());
      }
    });
  };
  const ChildOutcome outcome = RunChild(spec);
  // Once the command has ended, a terminating signal (a supervisor stopping the job, a second
  // Ctrl-C) must not replace the command's exit status with pushrun's own death; it ends the
  // push at once instead (the report is spooled with --spool-dir), and pushrun exits.
  const detail::CancelOnSignal stop(delivery.cancellation);
  // Everything from here to the end of the final push fits in --push-deadline.
  const PushDeadline push_deadline(settings.push_deadline);
  // The final report must reach the gateway after the "running" one.
  if (start_push.joinable()) start_push.join();
  // Every family a heartbeat pushed that the final report does not carry is deleted by it.
  // After Stop(), no heartbeat can bring "running 1" back, except one that overran its
  // timeout: the final report repeats the deletions after it.
  std::map<std::string, metrics::MetricType> heartbeat_names;
  if (heartbeat) heartbeat_names = heartbeat->Stop();
  LogOutcome(outcome, settings, log);

  const int status = outcome.WrapperExitCode();
  // Deletions need protobuf (text cannot say "no samples"), and the sidecar then goes as
  // families in it rather than as its checked text.
  const bool deletions = !heartbeat_names.empty();
  std::optional<config::Settings> protobuf_settings;
  if (deletions) {
    protobuf_settings = settings;
    for (config::Target& target : protobuf_settings->targets) {
      target.push.format = metrics::BodyFormat::kProtobuf;
    }
  }
  const config::Settings& push_settings = protobuf_settings ? *protobuf_settings : settings;
  auto build_report = [&](bool sidecar_valid) {
    std::vector<metrics::MetricFamily> families = BuildFinalReport(
        outcome, ReportInput{.prefix = settings.prefix, .sidecar_valid = sidecar_valid});
    if (lock) families.push_back(SkippedFamily(settings.prefix, /*skipped=*/false));
    return families;
  };

  SidecarResult extra;
  if (sidecar && outcome.spawn_failure == SpawnFailure::kNone) {
    SidecarRules rules = RulesOf(settings);
    // To gateways the checked text is sent, so its samples need not be kept; a remote-write
    // receiver needs them.
    rules.validate_only = OnlyGateways(settings) && !deletions;
    if (!deletions && CanSendLargeSidecar(settings, status == 0, delivery)) {
      LargeSidecar large = SendLargeSidecar(
          settings, *sidecar, rules, [&] { return build_report(true); }, push_deadline, delivery,
          log);
      if (large.delivered) return status;
      extra = std::move(large.sidecar);
    } else {
      extra = sidecar->Read(rules);
    }
    if (!extra.ok()) log.Error("sidecar refused: " + *extra.error);
  }

  std::vector<metrics::MetricFamily> families = build_report(extra.ok());
  // To a gateway, the checked sidecar goes as the text it was: neither copied into the report's
  // families nor serialized again, and its parsed form is freed before the push.
  std::string sidecar_text;
  if (OnlyGateways(settings) && !extra.text.empty() && !deletions) {
    sidecar_text = std::move(extra.text);
    extra.families = {};
  }
  families.insert(families.end(), std::make_move_iterator(extra.families.begin()),
                  std::make_move_iterator(extra.families.end()));
  if (deletions) AppendDeletions(families, heartbeat_names);
  const bool delivered = DeliverFinalReport(push_settings, std::move(families), status == 0,
                                            delivery, push_deadline, log, sidecar_text);
  if (const int sig = stop.received(); sig != 0) {
    log.Warning("received SIG" + config::SignalName(sig) + " while delivering the report: " +
                (delivered ? "it was delivered" : "its push was stopped") +
                "; exiting with the command's status");
  }
  // The private directory goes after the push: its removal (unlink, rmdir, a journal commit on
  // most disks) is not on the way to the gateway.
  sidecar.reset();
  if (!delivered && settings.fail_on_push_error && status == 0) return kExitPushrunError;
  return status;
}

}  // namespace pushrun::runner
