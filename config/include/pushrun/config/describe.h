#pragma once
// A readable dump of resolved settings for `pushrun check` and `-v`. Secrets (password,
// bearer token, the Authorization-like headers) are shown as "<set>", never their value.

#include <string>

#include "pushrun/config/settings.h"

namespace pushrun::config {

// One "key = value" line per setting, in config-file key names, ending with '\n'.
std::string DescribeSettings(const Settings& settings);

}  // namespace pushrun::config
