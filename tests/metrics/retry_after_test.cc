#include <catch2/catch.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "../../metrics/src/retry.h"

namespace pushrun::metrics::detail {
namespace {

using std::chrono::seconds;

// Sun, 06 Nov 1994 08:49:37 GMT, the example date of RFC 9110.
const std::chrono::system_clock::time_point kExampleDate =
    std::chrono::sys_days(std::chrono::year(1994) / 11 / 6) + std::chrono::hours(8) +
    std::chrono::minutes(49) + seconds(37);

TEST_CASE("Retry-After: seconds, with the odd whitespace of folded lines", "[metrics][retry]") {
  const auto now = std::chrono::system_clock::now();
  const char* value = GENERATE("120", " 120", "120 \t", "\t120\r\n", "\r\n 120", " \r\n\t120\r\n");
  CAPTURE(value);
  CHECK(ParseRetryAfter(value, now) == seconds(120));
  CHECK(ParseRetryAfter("0", now) == seconds(0));
}

TEST_CASE("Retry-After: the three HTTP-date forms, as the wait from now", "[metrics][retry]") {
  const auto now = kExampleDate - seconds(90);
  const char* value = GENERATE("Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                               "Sun Nov  6 08:49:37 1994", "Sun, 06 Nov 1994\r\n 08:49:37 GMT",
                               "sun, 6 nov 1994 08:49:37 GMT");
  CAPTURE(value);
  CHECK(ParseRetryAfter(value, now) == seconds(90));
}

TEST_CASE("Retry-After: a past date is no wait, a huge one is cut", "[metrics][retry]") {
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kExampleDate + std::chrono::hours(1)) ==
        seconds(0));
  CHECK(ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", kExampleDate) == kMaxRetryAfter);
  CHECK(ParseRetryAfter("99999999999999999999999", kExampleDate) == kMaxRetryAfter);
  CHECK(ParseRetryAfter("999999999", kExampleDate) == kMaxRetryAfter);
}

TEST_CASE("Retry-After: anything else is ignored", "[metrics][retry]") {
  const auto now = std::chrono::system_clock::now();
  const std::string value = GENERATE(
      as<std::string>{}, "", " ", "-1", "1.5", "12a", "+3", "0x10", "120 120",
      "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
      "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 CET",
      "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 8:49:37 GMT", std::string(300, ' ') + "1");
  CAPTURE(value);
  CHECK_FALSE(ParseRetryAfter(value, now).has_value());
}

TEST_CASE("Retry-After: the header is found in any case", "[metrics][retry]") {
  HttpResponse response;
  response.headers = {{"X-Other", "5"}, {"Retry-After", "7"}, {"retry-after", "9"}};
  CHECK(RetryAfter(response) == seconds(7));
  CHECK_FALSE(RetryAfter(HttpResponse{}).has_value());
}

}  // namespace
}  // namespace pushrun::metrics::detail
