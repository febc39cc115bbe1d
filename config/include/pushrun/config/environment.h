#pragma once
// The environment layer: PUSHRUN_* variables, one per setting. The table below is the single
// list of them (the README and man page are written from it; `EnvironmentVariables()` lets a
// test check that they agree).

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/config/secret.h"
#include "pushrun/config/settings.h"

namespace pushrun::config {

struct EnvironmentVariable {
  std::string_view name;         // "PUSHRUN_GATEWAY"
  std::string_view config_key;   // the matching config-file key, "" if none
  std::string_view flag;         // the matching command-line flag, "" if none
  std::string_view description;  // one line
};

// Every variable EnvironmentLayer reads, in documentation order.
std::span<const EnvironmentVariable> EnvironmentVariables();

struct EnvironmentSettings {
  Layer layer;
  std::optional<std::string> config_path;  // PUSHRUN_CONFIG; not a setting but where they are
  std::vector<std::string> warnings;       // e.g. a secret file readable by others
};

// Reads every variable of the table through `getenv`. An unset or empty variable says
// nothing. A bad value throws ConfigError whose key path is the variable's name.
EnvironmentSettings EnvironmentLayer(const GetEnv& getenv);

}  // namespace pushrun::config
