#include "pushrun/metrics/names.h"

#include <catch2/catch.hpp>
#include <string>

using namespace pushrun::metrics;

TEST_CASE("Names: metric names follow [a-zA-Z_:][a-zA-Z0-9_:]*", "[metrics][names]") {
  SECTION("valid") {
    const std::string name = GENERATE("a", "_", ":", "http_requests_total", "job:rate5m",
                                      "A1_b2:c3", "__reserved_is_fine_for_metrics");
    CHECK(IsValidMetricName(name));
    CHECK_NOTHROW(CheckMetricName(name));
  }
  SECTION("invalid") {
    const std::string name = GENERATE("", "1abc", "a-b", "a b", "a.b", "é", "a\n", "a{b}");
    CHECK_FALSE(IsValidMetricName(name));
    CHECK_THROWS_AS(CheckMetricName(name), UsageError);
  }
}

TEST_CASE("Names: label names follow [a-zA-Z_][a-zA-Z0-9_]* and users may not start with __",
          "[metrics][names]") {
  SECTION("valid for users") {
    const std::string name = GENERATE("a", "_", "le", "instance", "A_1", "_x");
    CHECK(IsValidLabelName(name));
    CHECK(IsValidUserLabelName(name));
    CHECK_NOTHROW(CheckUserLabelName(name));
  }
  SECTION("syntactically valid but reserved") {
    const std::string name = GENERATE("__name__", "__", "__x");
    CHECK(IsValidLabelName(name));
    CHECK_FALSE(IsValidUserLabelName(name));
    CHECK_THROWS_WITH(CheckUserLabelName(name), Catch::Contains(name) && Catch::Contains("__"));
  }
  SECTION("invalid") {
    const std::string name = GENERATE("", "1a", "a:b", "a-b", "a b", "ü");
    CHECK_FALSE(IsValidLabelName(name));
    CHECK_FALSE(IsValidUserLabelName(name));
    CHECK_THROWS_AS(CheckUserLabelName(name), UsageError);
  }
}

TEST_CASE("Names: errors name the offending string and the allowed syntax", "[metrics][names]") {
  CHECK_THROWS_WITH(CheckMetricName("bad-name"),
                    Catch::Contains("\"bad-name\"") && Catch::Contains("[a-zA-Z_:][a-zA-Z0-9_:]*"));
  CHECK_THROWS_WITH(CheckUserLabelName("bad:label"),
                    Catch::Contains("\"bad:label\"") && Catch::Contains("[a-zA-Z_][a-zA-Z0-9_]*"));
}

TEST_CASE("Names: UTF-8 validation accepts well-formed text and refuses broken sequences",
          "[metrics][names]") {
  SECTION("valid") {
    const std::string text = GENERATE(std::string(), std::string("plain"), std::string("Grüße"),
                                      std::string("日本"), std::string("\xF0\x9F\x98\x80"),
                                      std::string("a\0b", 3), std::string("\xF4\x8F\xBF\xBF"));
    CHECK(IsValidUtf8(text));
  }
  SECTION("invalid") {
    const std::string text = GENERATE(std::string("\xFF"), std::string("\xC3"),  // truncated
                                      std::string("\xC0\xAF"),                   // overlong '/'
                                      std::string("\xED\xA0\x80"),               // surrogate
                                      std::string("\xF4\x90\x80\x80"),           // past U+10FFFF
                                      std::string("a\x80z"), std::string("\xE6\x97"));
    CHECK_FALSE(IsValidUtf8(text));
  }
}
