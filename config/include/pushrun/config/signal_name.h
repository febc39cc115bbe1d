#pragma once
// Signal names as users write them: "TERM", "SIGTERM", "term", or a number ("15").

#include <optional>
#include <string>
#include <string_view>

namespace pushrun::config {

inline constexpr std::string_view kSignalSyntax =
    "a signal name such as TERM, SIGTERM, INT, HUP, QUIT, KILL, USR1, USR2, or a number 1-64";

// The signal number, or nullopt with `*error` saying what is wrong.
std::optional<int> ParseSignal(std::string_view text, std::string* error);

// "TERM" for 15; the number as text for signals without a name here.
std::string SignalName(int signal);

}  // namespace pushrun::config
