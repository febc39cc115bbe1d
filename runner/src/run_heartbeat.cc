#include "pushrun/runner/run_heartbeat.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "pushrun/runner/deliver.h"
#include "pushrun/runner/process_tree.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/sidecar_snapshot.h"

namespace pushrun::runner {

// Shared with the heartbeat's callbacks, which may outlive the RunHeartbeat when Stop() gives
// up on a send that overran its timeout.
struct RunHeartbeat::Shared {
  std::mutex mutex;
  std::string last_failure;
  std::map<std::string, metrics::MetricType> types;  // of every family a beat built
};

namespace {

// One heartbeat's settings: no retry (the next beat supersedes a failed one) and one request
// timeout for everything, so a beat ends within HeartbeatOptions::send_timeout.
config::Settings BeatSettings(const config::Settings& settings) {
  config::Settings beat = settings;
  // A beat slower than its interval is superseded anyway, and the final report may wait for
  // the one in flight: that wait is bounded by the interval (at least 1 s) as well as by
  // --push-timeout, so it leaves most of --push-deadline to the final report.
  for (config::Target& target : beat.targets) {
    config::PushSettings& push = target.push;
    push.timeout = std::min(push.timeout, std::max<std::chrono::milliseconds>(
                                              settings.heartbeat, std::chrono::seconds(1)));
    push.connect_timeout = std::min(push.connect_timeout, push.timeout);
    push.retry.max_retries = 0;
    push.retry.deadline = push.timeout;
  }
  return beat;
}

// The longest a beat may take: the targets are sent to in parallel, each within its timeout.
std::chrono::milliseconds SendTimeout(const config::Settings& beat) {
  // A textfile is written locally; bounded like a request all the same.
  if (beat.targets.empty()) {
    return std::max<std::chrono::milliseconds>(beat.heartbeat, std::chrono::seconds(1));
  }
  std::chrono::milliseconds longest{0};
  for (const config::Target& target : beat.targets) {
    longest = std::max(longest, target.push.timeout);
  }
  return longest;
}

}  // namespace

bool WantsHeartbeat(const config::Settings& settings, bool dry_run) {
  return settings.heartbeat.count() > 0 && !dry_run &&
         (!settings.targets.empty() || !settings.textfile_dir.empty());
}

RunHeartbeat::RunHeartbeat(const config::Settings& settings, const SidecarFile* sidecar,
                           const SidecarRules& rules, Logger& log)
    : shared_(std::make_shared<Shared>()), log_(log) {
  const auto start = std::chrono::system_clock::now();
  const auto started = std::chrono::steady_clock::now();
  const std::chrono::milliseconds interval = settings.heartbeat;
  std::shared_ptr<SidecarSnapshot> snapshot;
  if (sidecar != nullptr) snapshot = std::make_shared<SidecarSnapshot>(*sidecar, rules);
  Heartbeat::Build build = [snapshot, start, started, interval, prefix = settings.prefix,
                            shared = shared_, &log] {
    if (snapshot) {
      if (std::optional<std::string> warning = snapshot->Refresh()) log.Warning(*warning);
    }
    RunningReportInput input;
    input.prefix = prefix;
    input.start = start;
    input.now = std::chrono::system_clock::now();
    input.interval = interval;
    input.elapsed_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    input.tree = MeasureDescendants(::getpid());
    if (snapshot) input.sidecar = &snapshot->families();
    std::vector<metrics::MetricFamily> report = BuildRunningReport(input);
    std::lock_guard<std::mutex> lock(shared->mutex);
    for (const metrics::MetricFamily& family : report) shared->types[family.name] = family.type;
    return report;
  };
  const config::Settings beat = BeatSettings(settings);
  Heartbeat::Send send = [beat,
                          shared = shared_](const std::vector<metrics::MetricFamily>& report) {
    // Each beat's messages are kept, not printed: a gateway that is away for an hour would
    // otherwise log every few seconds. Stop() reports the last failure once.
    std::ostringstream messages;
    Logger quiet(messages);
    if (!DeliverReport(beat, report, ReportKind::kStart, /*success=*/false, DeliveryIo{}, quiet)) {
      std::lock_guard<std::mutex> lock(shared->mutex);
      shared->last_failure = messages.str();
      throw std::runtime_error("heartbeat not delivered");
    }
  };
  heartbeat_ = std::make_unique<Heartbeat>(
      HeartbeatOptions{.interval = interval, .send_timeout = SendTimeout(beat)}, std::move(build),
      std::move(send));
}

RunHeartbeat::~RunHeartbeat() { Stop(); }

std::map<std::string, metrics::MetricType> RunHeartbeat::Stop() {
  if (!heartbeat_) return {};
  const HeartbeatStats stats = heartbeat_->Stop();
  const std::set<std::string> pushed = heartbeat_->PushedFamilyNames();
  heartbeat_.reset();
  std::string text = "heartbeats: " + std::to_string(stats.sent) + " sent, " +
                     std::to_string(stats.failed) + " failed, " + std::to_string(stats.skipped) +
                     " skipped (a send was still in flight when they fell due)";
  if (stats.abandoned) text += "; the last one overran its timeout and was left to finish";
  if (stats.failed > 0) {
    std::string last;
    {
      std::lock_guard<std::mutex> lock(shared_->mutex);
      last = shared_->last_failure;
    }
    while (!last.empty() && last.back() == '\n') last.pop_back();
    log_.Warning(text + "; last failure: " + last);
  } else {
    log_.Info(text);
  }
  std::map<std::string, metrics::MetricType> families;
  std::lock_guard<std::mutex> lock(shared_->mutex);
  for (const std::string& name : pushed) {
    const auto type = shared_->types.find(name);
    families.emplace(name,
                     type != shared_->types.end() ? type->second : metrics::MetricType::kUntyped);
  }
  return families;
}

}  // namespace pushrun::runner
