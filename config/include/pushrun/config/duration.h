#pragma once
// Durations as people write them in config files, flags and environment variables:
// "500ms", "5s", "2h", "1h30m", "1.5s". Units are ms, s, m and h, largest first, each at most
// once; "0" alone means zero. Precision is one millisecond.

#include <optional>
#include <string>
#include <string_view>

#include "pushrun/config/settings.h"

namespace pushrun::config {

// What ParseDuration accepts, for "(allowed: ...)" in error messages.
inline constexpr std::string_view kDurationSyntax =
    "a non-negative number with a unit ms, s, m or h, e.g. \"500ms\", \"5s\", \"1.5s\", "
    "\"1h30m\"; \"0\" for none";

// The duration, or nullopt with `*error` saying what is wrong (without kDurationSyntax).
std::optional<Duration> ParseDuration(std::string_view text, std::string* error);

// The shortest text ParseDuration reads back as `duration`: "1h30m", "500ms", "0s".
// Throws std::invalid_argument for a negative duration.
std::string FormatDuration(Duration duration);

}  // namespace pushrun::config
