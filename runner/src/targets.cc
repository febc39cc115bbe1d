#include "pushrun/runner/targets.h"

#include <algorithm>
#include <cstddef>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "pushrun/metrics/pushgateway.h"

namespace pushrun::runner {
namespace {

bool DeliverOne(const std::function<bool(const config::Target&)>& deliver,
                const config::Target& target) {
  try {
    return deliver(target);
  } catch (const std::exception&) {
    return false;  // such as no memory: this target did not get the report, the others may
  }
}

}  // namespace

std::string TargetName(const config::Target& target) {
  const std::string url = metrics::RedactUrl(target.url);
  return target.kind == config::TargetKind::kRemoteWrite ? "remote write " + url : url;
}

bool HasTarget(const config::Settings& settings, config::TargetKind kind) {
  return std::any_of(settings.targets.begin(), settings.targets.end(),
                     [kind](const config::Target& target) { return target.kind == kind; });
}

std::vector<config::Target> Gateways(const config::Settings& settings) {
  std::vector<config::Target> gateways;
  for (const config::Target& target : settings.targets) {
    if (target.kind == config::TargetKind::kPushgateway) gateways.push_back(target);
  }
  return gateways;
}

bool ForEveryTarget(const std::vector<config::Target>& targets,
                    const std::function<bool(const config::Target&)>& deliver, Logger& log,
                    std::string_view what) {
  if (targets.empty()) return true;
  if (targets.size() == 1) return DeliverOne(deliver, targets.front());
  // One byte per target, not vector<bool>: each thread writes its own.
  std::unique_ptr<bool[]> delivered(new bool[targets.size()]());
  {
    std::vector<std::jthread> threads;
    threads.reserve(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
      // Each thread inherits the caller's signal mask: forwarded signals stay blocked there.
      threads.emplace_back([&, i] { delivered[i] = DeliverOne(deliver, targets[i]); });
    }
  }  // joins every thread
  bool all = true;
  std::string got, missed;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    std::string& list = delivered[i] ? got : missed;
    if (!list.empty()) list += ", ";
    list += TargetName(targets[i]);
    all = all && delivered[i];
  }
  if (log.Enabled(LogLevel::kInfo)) {
    std::string text(what);
    text += got.empty() ? " delivered to no target" : " delivered to " + got;
    if (!missed.empty()) text += "; not to " + missed;
    log.Info(text);
  }
  return all;
}

}  // namespace pushrun::runner
