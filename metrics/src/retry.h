#pragma once
// When and how long the Pushgateway client waits before trying a request again; internal.

#include <chrono>
#include <optional>

#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/transport.h"

namespace pushrun::metrics::detail {

// 408, 429 and 5xx: the request may succeed later. Other 4xx never will.
bool IsRetryableStatus(int status);

// Capped exponential backoff with full jitter: uniform in
// [0, min(max_backoff, initial_backoff * 2^retry)], retry counting from 0.
std::chrono::milliseconds Backoff(const RetryOptions& options, int retry);

// The delta-seconds form of a Retry-After header, if present (HTTP dates are ignored).
std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response);

}  // namespace pushrun::metrics::detail
