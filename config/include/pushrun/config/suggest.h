#pragma once
// "Did you mean": the known name closest to a mistyped one, for the command line's options and
// verbs and the config file's tables and keys alike. Only computed for a word that is already
// an error.

#include <cstddef>
#include <span>
#include <string_view>

namespace pushrun::config {

// Words longer than this get no suggestion: the edit distance costs length × length, and a
// name this long is no typo of a short one.
inline constexpr std::size_t kMaxSuggestedWordLength = 64;

// The name of `names` closest to `word` (fewest single-character insertions, deletions and
// substitutions), if it is within `max_distance` edits of it; "" otherwise. The first of
// equally close names wins.
std::string_view Closest(std::string_view word, std::span<const std::string_view> names,
                         std::size_t max_distance);

}  // namespace pushrun::config
