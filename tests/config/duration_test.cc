#include "pushrun/config/duration.h"

#include <catch2/catch.hpp>
#include <string>

namespace pushrun::config {
namespace {

TEST_CASE("Durations: units ms, s, m and h, combined largest first", "[config][duration]") {
  struct Case {
    const char* text;
    long long millis;
  };
  const Case c = GENERATE(values<Case>({
      {"0", 0},
      {"0s", 0},
      {"500ms", 500},
      {"5s", 5'000},
      {"1.5s", 1'500},
      {"0.25s", 250},
      {".5s", 500},
      {"2m", 120'000},
      {"2h", 7'200'000},
      {"1h30m", 5'400'000},
      {"1h0m5s", 3'605'000},
      {"1m30s250ms", 90'250},
      {"1.5h", 5'400'000},
      {"90s", 90'000},
      {"36h", 129'600'000},
  }));
  CAPTURE(c.text);
  std::string error;
  const auto duration = ParseDuration(c.text, &error);
  REQUIRE(duration.has_value());
  CHECK(duration->count() == c.millis);
}

TEST_CASE("Durations: malformed text is refused with a reason", "[config][duration]") {
  struct Case {
    const char* text;
    const char* reason;
  };
  const Case c = GENERATE(values<Case>({
      {"", "empty"},
      {"5", "missing unit"},
      {"-5s", "negative"},
      {"5 s", "unexpected character ' '"},
      {" 5s", "expected a number"},
      {"5d", "unknown unit \"d\""},
      {"5sec", "unknown unit \"sec\""},
      {"5S", "unknown unit \"S\""},
      {"1.s", "missing digits after '.'"},
      {"30m1h", "largest to smallest"},
      {"1s1s", "largest to smallest"},
      {"1.0005s", "finer than one millisecond"},
      {"0.5ms", "finer than one millisecond"},
      {"99999999999999999999h", "too large"},
      {"9223372036854775807h", "too large"},
      {"+5s", "expected a number"},
      {"s", "expected a number"},
  }));
  CAPTURE(c.text);
  std::string error;
  CHECK_FALSE(ParseDuration(c.text, &error).has_value());
  CHECK_THAT(error, Catch::Contains(c.reason));
}

TEST_CASE("Durations: FormatDuration writes what ParseDuration reads back", "[config][duration]") {
  const long long millis = GENERATE(0LL, 1LL, 999LL, 1'000LL, 1'500LL, 60'000LL, 5'400'000LL,
                                    90'061'001LL, 3'600'000LL * 1000);
  const std::string text = FormatDuration(Duration{millis});
  CAPTURE(text);
  std::string error;
  const auto parsed = ParseDuration(text, &error);
  REQUIRE(parsed.has_value());
  CHECK(parsed->count() == millis);
}

TEST_CASE("Durations: FormatDuration picks the natural units", "[config][duration]") {
  CHECK(FormatDuration(Duration{0}) == "0s");
  CHECK(FormatDuration(Duration{500}) == "500ms");
  CHECK(FormatDuration(Duration{5'400'000}) == "1h30m");
  CHECK(FormatDuration(Duration{1'500}) == "1s500ms");
  CHECK_THROWS_AS(FormatDuration(Duration{-1}), std::invalid_argument);
}

}  // namespace
}  // namespace pushrun::config
