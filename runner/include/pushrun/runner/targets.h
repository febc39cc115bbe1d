#pragma once
// The places a run's report goes (config::Settings::targets): how messages name them, which of
// them are gateways, and sending to all of them at once, each on a thread of its own, so that a
// slow or dead target (its retries, its whole --push-deadline) never delays the others.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/runner/log.h"

namespace pushrun::runner {

// How messages name a target: its URL without credentials, "remote write " before a receiver's.
std::string TargetName(const config::Target& target);

// Whether the run has at least one target of `kind`.
bool HasTarget(const config::Settings& settings, config::TargetKind kind);

// The gateways of the run (`pushrun delete` and --delete-on-success go to them only).
std::vector<config::Target> Gateways(const config::Settings& settings);

// Calls `deliver` for every target, each on its own thread (one target: on the calling thread),
// and waits for all. Returns whether every call returned true; a call that throws counts as
// false. `deliver` must be safe to run concurrently for different targets. With more than one
// target, -v logs "<what> delivered to A, B; not to C" (URLs without credentials).
bool ForEveryTarget(const std::vector<config::Target>& targets,
                    const std::function<bool(const config::Target&)>& deliver, Logger& log,
                    std::string_view what);

}  // namespace pushrun::runner
