#pragma once
// The one checker of what a setting's value may be beyond its syntax, for every source: the
// flags (main), the environment (EnvironmentLayer) and the config file (the loader). A value a
// run could not use is refused here, before the command starts, and `pushrun check` refuses
// exactly what a run would.
//
// Limits: every gateway and receiver URL as CheckGatewayUrl allows it, and no gateway twice
// in a list; every duration at most kMaxDuration (so none overflows a clock); push_timeout,
// connect_timeout and push_deadline above zero; sidecar_max_bytes and max_series at least 1;
// headers as metrics::CheckHeader allows them; a user name without ':'; secrets (passwords,
// tokens) without CR, LF or NUL. A remote-write receiver, whose settings all come from one
// place, also: a URL at all, a username only with a password and not with a bearer token.
// (What only conflicts once the layers are combined, such as the gateway's username from one
// layer and password from none, is refused by Resolve.)

#include <functional>
#include <string>
#include <string_view>

#include "pushrun/config/error.h"
#include "pushrun/config/settings.h"

namespace pushrun::config {

// 100 days: far beyond any job's timeout, far below what a clock in nanoseconds can hold.
inline constexpr Duration kMaxDuration{100LL * 24 * 3600 * 1000};
inline constexpr std::string_view kMaxDurationText = "2400h (100 days)";

// How a source names a setting. `key` is the config file's name of the field ("timeout",
// "gateway.timeout", "headers", "username", ...); the result is what the message names:
// "--push-timeout", "PUSHRUN_PUSH_TIMEOUT", "jobs.x.gateway.timeout".
using SettingName = std::function<std::string(std::string_view key)>;

// Throws ConfigError at `where`, naming the offending setting, when a field of `layer` holds a
// value no run can use. Never echoes a header value or a secret.
void CheckLayer(const Layer& layer, const SettingName& name, const SourceLocation& where = {});

}  // namespace pushrun::config
