#include "pushrun/runner/app.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iterator>
#include <optional>
#include <ostream>
#include <string_view>
#include <thread>
#include <utility>

#include "pushrun/config/duration.h"
#include "pushrun/config/signal_name.h"
#include "pushrun/config/values.h"
#include "pushrun/metrics/names.h"
#include "pushrun/runner/child.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/large_sidecar.h"
#include "pushrun/runner/overlap.h"
#include "pushrun/runner/process_signals.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/sidecar.h"
#include "pushrun/runner/spooled_delivery.h"

namespace pushrun::runner {
namespace {

DeliveryIo DeliveryIoOf(const RunIo& io) {
  return DeliveryIo{.dry_run = io.dry_run, .dry_run_out = io.out, .fallback_out = io.err};
}

// `text` for a message: bytes that are not UTF-8, and control characters, as \xNN.
std::string PrintableText(std::string_view text) {
  std::string out;
  while (!text.empty()) {
    const std::size_t length = metrics::Utf8SequenceLength(text);
    const auto c = static_cast<unsigned char>(text.front());
    if (length == 0 || c < 0x20 || c == 0x7f) {
      static constexpr char kDigits[] = "0123456789abcdef";
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
  return out;
}

SidecarRules RulesOf(const config::Settings& settings) {
  SidecarRules rules;
  rules.prefix = settings.prefix;
  rules.reserved_labels.push_back("job");
  for (const auto& [name, value] : settings.grouping) rules.reserved_labels.push_back(name);
  rules.max_bytes = settings.sidecar_max_bytes;
  rules.max_series = settings.max_series;
  return rules;
}

std::string CheckGroup(const config::Settings& settings) {
  if (settings.job_from_command && (settings.job.empty() || !metrics::IsValidUtf8(settings.job))) {
    // "-- /" or "-- dir/", or a base name in another encoding: the default has nothing usable.
    return "the command's base name \"" + PrintableText(settings.job) +
           "\" is not usable as a job name (" +
           (settings.job.empty() ? "it is empty" : "it is not UTF-8") + "): pass --job NAME";
  }
  if (settings.job.empty()) return "no job name: give --job (or a command to name it after)";
  if (!metrics::IsValidUtf8(settings.job)) {
    return "job name \"" + PrintableText(settings.job) +
           "\" is not UTF-8 (the Pushgateway cannot store it): pass a UTF-8 --job";
  }
  for (const auto& [name, value] : settings.grouping) {
    if (!config::IsValidGroupingName(name)) {
      return "grouping label name \"" + name +
             "\" is not allowed (allowed: " + std::string(config::kLabelNameSyntax) + ")";
    }
    if (!metrics::IsValidUtf8(value)) {
      return "grouping label " + name + "'s value \"" + PrintableText(value) +
             "\" is not UTF-8 (the Pushgateway cannot store it): pass a UTF-8 value";
    }
  }
  if (!settings.gateway_url.empty()) {
    std::string error;
    if (!config::CheckGatewayUrl(settings.gateway_url, &error)) {
      return "gateway URL: " + error + " (allowed: " + std::string(config::kUrlSyntax) + ")";
    }
  }
  return {};
}

// Once the command has ended, a late terminating signal (a supervisor repeating SIGTERM, a
// second Ctrl-C) must neither cut the report's delivery short nor replace the command's exit
// status with pushrun's own death. The push deadline bounds how long this lasts.
class IgnoreTerminatingSignals {
 public:
  IgnoreTerminatingSignals() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    for (std::size_t i = 0; i < std::size(kSignals); ++i) {
      ::sigaction(kSignals[i], &ignore, &saved_[i]);
    }
  }
  ~IgnoreTerminatingSignals() {
    for (std::size_t i = 0; i < std::size(kSignals); ++i) {
      ::sigaction(kSignals[i], &saved_[i], nullptr);
    }
  }
  IgnoreTerminatingSignals(const IgnoreTerminatingSignals&) = delete;
  IgnoreTerminatingSignals& operator=(const IgnoreTerminatingSignals&) = delete;

 private:
  static constexpr int kSignals[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
  struct sigaction saved_[std::size(kSignals)]{};
};

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
  // Once the command has started, the way to the gateway is opened on a thread (see
  // PrepareGateway), so the final report starts on its way as soon as the command ends.
  // The "running" report goes out on a thread of its own, so a slow gateway delays neither
  // signal forwarding nor the timeout; it takes the opened connection, so the thread opens the
  // next one after it. Started from on_started, both threads inherit the forwarded signals
  // blocked, so they still all reach RunChild.
  std::optional<config::Settings> prepared;
  std::jthread start_push;
  spec.on_started = [&] {
    prepared = WithSharedTransport(settings);
    if (!settings.push_start) {
      PrepareGateway(*prepared, delivery);
      return;
    }
    start_push = std::jthread([&prepared, &delivery, &log] {
      try {
        DeliverReport(*prepared,
                      BuildStartReport(std::chrono::system_clock::now(), prepared->prefix),
                      ReportKind::kStart, /*success=*/false, delivery, log);
        PrepareGateway(*prepared, delivery);
      } catch (const std::exception& error) {
        log.Error(std::string("start report: ") + error.what());
      }
    });
  };
  const ChildOutcome outcome = RunChild(spec);
  const IgnoreTerminatingSignals ignore_signals;
  // Everything from here to the end of the final push fits in --push-deadline.
  const PushDeadline push_deadline(settings.push_deadline);
  // The final report must reach the gateway after the "running" one.
  if (start_push.joinable()) start_push.join();
  LogOutcome(outcome, settings, log);

  const int status = outcome.WrapperExitCode();
  const config::Settings& push_settings = prepared ? *prepared : settings;
  auto build_report = [&](bool sidecar_valid) {
    std::vector<metrics::MetricFamily> families = BuildFinalReport(
        outcome, ReportInput{.prefix = settings.prefix, .sidecar_valid = sidecar_valid});
    if (lock) families.push_back(SkippedFamily(settings.prefix, /*skipped=*/false));
    return families;
  };

  SidecarResult extra;
  if (sidecar && outcome.spawn_failure == SpawnFailure::kNone) {
    SidecarRules rules = RulesOf(settings);
    // To a gateway the checked text is sent, so its samples need not be kept.
    rules.validate_only = !settings.gateway_url.empty();
    if (CanSendLargeSidecar(push_settings, status == 0, delivery)) {
      LargeSidecar large = SendLargeSidecar(
          push_settings, *sidecar, rules, [&] { return build_report(true); }, push_deadline, log);
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
  if (!settings.gateway_url.empty() && !extra.text.empty()) {
    sidecar_text = std::move(extra.text);
    extra.families = {};
  }
  families.insert(families.end(), std::make_move_iterator(extra.families.begin()),
                  std::make_move_iterator(extra.families.end()));
  const bool delivered = DeliverFinalReport(push_settings, std::move(families), status == 0,
                                            delivery, push_deadline, log, sidecar_text);
  // The private directory goes after the push: its removal (unlink, rmdir, a journal commit on
  // most disks) is not on the way to the gateway.
  sidecar.reset();
  if (!delivered && settings.fail_on_push_error && status == 0) return kExitPushrunError;
  return status;
}

int RunDelete(const config::Settings& settings, Logger& log, const RunIo& io) {
  if (std::string problem = CheckGroup(settings); !problem.empty()) {
    log.Error(problem);
    return kExitPushrunError;
  }
  if (!settings.command.empty()) {
    log.Error("delete takes no command");
    return kExitPushrunError;
  }
  if (settings.gateway_url.empty() && settings.textfile_dir.empty()) {
    log.Error("nothing to delete from: give --gateway (or --textfile-dir)");
    return kExitPushrunError;
  }
  // A successful final report with delete-on-success is exactly a delete, and like one it goes
  // through the spool: after the group's older spooled report, and spooled itself when the
  // gateway cannot take it, so that no older report brings the group back later.
  config::Settings deleting = settings;
  deleting.delete_on_success = true;
  return DeliverFinalReport(deleting, {}, /*success=*/true, DeliveryIoOf(io),
                            PushDeadline(settings.push_deadline), log)
             ? kExitOk
             : kExitFailure;
}

int RunLint(const std::vector<std::string>& files, const config::Settings& settings, Logger& log,
            const RunIo& io) {
  if (files.empty()) {
    log.Error("lint needs at least one FILE (\"-\" for stdin)");
    return kExitPushrunError;
  }
  const SidecarRules rules = RulesOf(settings);
  int status = kExitOk;
  for (const std::string& file : files) {
    SidecarResult result;
    if (file == "-") {
      // Bounded like a sidecar: never more than max_bytes + 1 bytes.
      std::string text;
      char buffer[65536];
      for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > rules.max_bytes) break;
      }
      result = CheckSidecarText(text, "<stdin>", rules);
    } else {
      struct stat st {};
      if (::lstat(file.c_str(), &st) != 0) {
        result.error = file + ": cannot open: " + std::strerror(errno);
      } else {
        result = ReadSidecarFile(file, rules);
      }
    }
    if (!result.ok()) {
      status = kExitFailure;
      if (io.err != nullptr) *io.err << *result.error << '\n' << std::flush;
      continue;
    }
    std::size_t series = 0;
    for (const auto& family : result.families) series += family.samples.size();
    log.Info(file + ": " + std::to_string(result.families.size()) + " families, " +
             std::to_string(series) + " series");
  }
  return status;
}

}  // namespace pushrun::runner
