#pragma once
// Loading a fleet file (TOML). Validation is strict: unknown keys, wrong types, bad values
// are ConfigErrors with file:line:col, the key path and what is allowed. The README's
// "Configuration" section documents every key.

#include <cstddef>
#include <string>
#include <string_view>

#include "pushrun/config/fleet.h"
#include "pushrun/config/secret.h"

namespace pushrun::config {

inline constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

// Reads and validates `path`. Secrets named by *_file / *_env keys are read now, `getenv`
// resolving the *_env ones. Relative paths in the file are relative to the file's directory.
FleetConfig LoadConfig(const std::string& path, const GetEnv& getenv = ProcessEnvironment());

// The same for a document already in memory; `path` names it in errors and anchors
// relative paths.
FleetConfig ParseConfig(std::string_view text, const std::string& path,
                        const GetEnv& getenv = ProcessEnvironment());

}  // namespace pushrun::config
