#include "retry.h"

#include <algorithm>
#include <random>
#include <string>

namespace pushrun::metrics::detail {

bool IsRetryableStatus(int status) { return status == 408 || status == 429 || status >= 500; }

std::chrono::milliseconds Backoff(const RetryOptions& options, int retry) {
  using std::chrono::milliseconds;
  const long long initial = std::max<long long>(options.initial_backoff.count(), 0);
  const long long cap = std::max<long long>(options.max_backoff.count(), 0);
  long long ceiling = initial;
  // Doubling stops at the cap, so large retry counts cannot overflow.
  for (int i = 0; i < retry && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  if (ceiling <= 0) return milliseconds(0);
  // Full jitter spreads the retries of many clients that failed together.
  thread_local std::mt19937_64 generator{std::random_device{}()};
  std::uniform_int_distribution<long long> distribution(0, ceiling);
  return milliseconds(distribution(generator));
}

std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name != "retry-after") continue;
    size_t begin = value.find_first_not_of(" \t");
    size_t end = value.find_last_not_of(" \t\r\n");
    if (begin == std::string::npos) return std::nullopt;
    std::string_view digits(value.data() + begin, end - begin + 1);
    if (digits.empty() || digits.size() > 9) return std::nullopt;
    long long seconds = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      seconds = seconds * 10 + (c - '0');
    }
    return std::chrono::seconds(seconds);
  }
  return std::nullopt;
}

}  // namespace pushrun::metrics::detail
