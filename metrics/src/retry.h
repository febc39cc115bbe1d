#pragma once
// When and how long the Pushgateway client waits before trying a request again; internal.

#include <chrono>
#include <optional>
#include <string_view>

#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/transport.h"

namespace pushrun::metrics::detail {

// 408, 429 and 5xx: the request may succeed later. Other 4xx never will.
bool IsRetryableStatus(int status);

// Capped exponential backoff with full jitter: uniform in
// [0, min(max_backoff, initial_backoff * 2^retry)], retry counting from 0.
std::chrono::milliseconds Backoff(const RetryOptions& options, int retry);

// Retry-After waits above this are cut to it; the retry deadline then ends the wait anyway.
inline constexpr std::chrono::seconds kMaxRetryAfter = std::chrono::hours(24);

// A Retry-After value (RFC 9110 section 10.2.3): delta-seconds or an HTTP-date (IMF-fixdate,
// RFC 850 or asctime form), as the wait from `now`: a past date is no wait, anything longer
// than kMaxRetryAfter is cut to it. Blanks, tabs and line breaks anywhere around and between
// the parts are tolerated, since curl hands a folded header line through as it came. Nullopt
// for anything else.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now);

// The first Retry-After header of `response` (any case), parsed as above.
std::optional<std::chrono::seconds> RetryAfter(
    const HttpResponse& response,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace pushrun::metrics::detail
