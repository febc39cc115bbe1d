#pragma once
// A readable dump of resolved settings for `pushrun check` and `-v`. Secrets (password,
// bearer token, the Authorization-like headers) are shown as "<set>", never their value.

#include <string>

#include "pushrun/config/fleet.h"
#include "pushrun/config/settings.h"

namespace pushrun::config {

// One "key = value" line per setting, in config-file key names, ending with '\n'.
std::string DescribeSettings(const Settings& settings);

// `pushrun check`: resolves every job of the fleet over `flags` and `environment` (so
// conflicts across layers are found too) and describes each under a "[jobs.<name>]" line.
// Throws the first ConfigError. A job without a command is fine here (it can wrap ad-hoc
// commands with --job); `run` refuses it.
std::string DescribeFleet(const FleetConfig& fleet, const Layer& flags, const Layer& environment);

}  // namespace pushrun::config
