#include "retry.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <random>
#include <string>
#include <vector>

namespace pushrun::metrics::detail {
namespace {

// Between the parts of a Retry-After value: blanks, and the line breaks of a folded line.
constexpr std::string_view kBlanks = " \t\r\n,";

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A number of at most 9 digits (the caller checked IsDigits).
long long ToNumber(std::string_view digits) {
  long long number = 0;
  for (char c : digits) number = number * 10 + (c - '0');
  return number;
}

std::optional<int> Number(std::string_view text, std::size_t min_digits, std::size_t max_digits) {
  if (text.size() < min_digits || text.size() > max_digits || !IsDigits(text)) return std::nullopt;
  return static_cast<int>(ToNumber(text));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<unsigned> Month(std::string_view name) {
  constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (EqualsIgnoreCase(name, kMonths[i])) return i + 1;
  }
  return std::nullopt;
}

// "08:49:37" as seconds since midnight.
std::optional<std::chrono::seconds> TimeOfDay(std::string_view text) {
  if (text.size() != 8 || text[2] != ':' || text[5] != ':') return std::nullopt;
  const auto hour = Number(text.substr(0, 2), 2, 2);
  const auto minute = Number(text.substr(3, 2), 2, 2);
  const auto second = Number(text.substr(6, 2), 2, 2);
  if (!hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  return std::chrono::seconds(*hour * 3600 + *minute * 60 + *second);
}

std::optional<std::chrono::sys_seconds> Date(std::optional<int> year, std::optional<unsigned> month,
                                             std::optional<int> day,
                                             std::optional<std::chrono::seconds> time) {
  if (!year || !month || !day || !time) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(*month),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok()) return std::nullopt;
  return std::chrono::sys_days(date) + *time;
}

// The three forms RFC 9110 section 5.6.7 requires a recipient to accept, split into words at
// blanks and commas:
//   IMF-fixdate  Sun, 06 Nov 1994 08:49:37 GMT
//   RFC 850      Sunday, 06-Nov-94 08:49:37 GMT
//   asctime      Sun Nov  6 08:49:37 1994
std::optional<std::chrono::sys_seconds> ParseHttpDate(const std::vector<std::string_view>& w) {
  if (w.size() == 6 && w[5] == "GMT") {
    return Date(Number(w[3], 4, 4), Month(w[2]), Number(w[1], 1, 2), TimeOfDay(w[4]));
  }
  if (w.size() == 4 && w[3] == "GMT" && w[1].size() == 9 && w[1][2] == '-' && w[1][6] == '-') {
    // A two-digit year more than 50 years ahead is in the past century (RFC 9110).
    std::optional<int> year = Number(w[1].substr(7, 2), 2, 2);
    if (year) *year += *year < 70 ? 2000 : 1900;
    return Date(year, Month(w[1].substr(3, 3)), Number(w[1].substr(0, 2), 2, 2), TimeOfDay(w[2]));
  }
  if (w.size() == 5) {
    return Date(Number(w[4], 4, 4), Month(w[1]), Number(w[2], 1, 2), TimeOfDay(w[3]));
  }
  return std::nullopt;
}

}  // namespace

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

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now) {
  using std::chrono::seconds;
  // Settings are in seconds; a reply is hostile input, so it is only read while it is short.
  constexpr std::size_t kMaxLength = 256;
  if (value.size() > kMaxLength) return std::nullopt;
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while (pos < value.size()) {
    const std::size_t begin = value.find_first_not_of(kBlanks, pos);
    if (begin == std::string_view::npos) break;
    const std::size_t end = std::min(value.find_first_of(kBlanks, begin), value.size());
    words.push_back(value.substr(begin, end - begin));
    pos = end;
  }
  if (words.size() == 1 && IsDigits(words[0])) {
    // More than 9 digits is more than 31 years: cut, without overflowing.
    if (words[0].size() > 9) return kMaxRetryAfter;
    return std::min(seconds(ToNumber(words[0])), kMaxRetryAfter);
  }
  const std::optional<std::chrono::sys_seconds> date = ParseHttpDate(words);
  if (!date) return std::nullopt;
  // In seconds: a date far ahead minus `now` in nanoseconds would overflow.
  const seconds wait = *date - std::chrono::floor<seconds>(now);
  return std::clamp(wait, seconds(0), seconds(kMaxRetryAfter));
}

std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response,
                                               std::chrono::system_clock::time_point now) {
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "retry-after")) return ParseRetryAfter(value, now);
  }
  return std::nullopt;
}

}  // namespace pushrun::metrics::detail
