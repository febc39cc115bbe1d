#pragma once
// Text from a server (an error body, a Location header) made safe for one log line; internal.

#include <cstddef>
#include <string>
#include <string_view>

namespace pushrun::metrics::detail {

// Error text shown from a gateway reply is cut at this many bytes.
inline constexpr std::size_t kMaxShownReplyBytes = 1024;

// `text` as one printable line of at most `max_bytes` bytes plus a note of what was cut
// ("... (12345 more bytes)"): line breaks and tabs become one space, other control characters,
// C1 controls and bytes that are not UTF-8 are written as \xNN, trailing blanks are dropped.
// Looks at no more of `text` than it shows, so a 100 MB body costs no more than a short one.
std::string CleanLine(std::string_view text, std::size_t max_bytes = kMaxShownReplyBytes);

}  // namespace pushrun::metrics::detail
