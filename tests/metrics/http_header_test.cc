#include "pushrun/metrics/http_header.h"

#include <catch2/catch.hpp>
#include <string>

namespace pushrun::metrics {
namespace {

TEST_CASE("Headers: token names with printable values are accepted", "[metrics][header]") {
  CHECK(CheckHeader("X-Scope-OrgID", "batch") == "");
  CHECK(CheckHeader("Authorization", "Bearer abc\tdef") == "");
  CHECK(CheckHeader("x!#$%&'*+-.^_`|~9", "") == "");
  CHECK(CheckHeader("User-Agent", "caf\xc3\xa9") == "");  // obs-text is allowed
}

TEST_CASE("Headers: a name that is not a token is refused without being quoted",
          "[metrics][header]") {
  const char* name =
      GENERATE("", "Authorization Bearer s3cret", "X-A:", "X\rA", "X(s3cret)", "X-\xc3\xa9");
  CAPTURE(name);
  const std::string problem = CheckHeader(name, "v");
  CHECK_FALSE(problem.empty());
  CHECK_THAT(problem, !Catch::Contains("s3cret"));
}

TEST_CASE("Headers: a value with a line break, NUL or control character is refused, unquoted",
          "[metrics][header]") {
  const std::string value = GENERATE(std::string("s3cret\r\nX-Evil: 1"), std::string("s3cret\n"),
                                     std::string("s3cret\0x", 8), std::string("s3cret\x1b[31m"),
                                     std::string("s3cret\x7f"));
  const std::string problem = CheckHeader("X-Token", value);
  CHECK_THAT(problem, Catch::Contains("\"X-Token\""));
  CHECK_THAT(problem, Catch::Contains("control character"));
  CHECK_THAT(problem, !Catch::Contains("s3cret"));
}

TEST_CASE("Headers: the ones pushrun sets itself are refused in any case", "[metrics][header]") {
  const char* name =
      GENERATE("Content-Length", "transfer-encoding", "HOST", "Content-Type", "content-ENCODING");
  CAPTURE(name);
  CHECK_THAT(CheckHeader(name, "x"), Catch::Contains("set by pushrun itself"));
}

TEST_CASE("Header lines: 'Name: value' splits and trims; without ':' nothing is echoed",
          "[metrics][header]") {
  std::string name, value, error;
  REQUIRE(ParseHeaderLine("X-Team:  ops team \t", &name, &value, &error));
  CHECK(name == "X-Team");
  CHECK(value == "ops team");
  REQUIRE(ParseHeaderLine("X-Empty:", &name, &value, &error));
  CHECK(value == "");
  CHECK_FALSE(ParseHeaderLine("Authorization Bearer s3cret", &name, &value, &error));
  CHECK_THAT(error, Catch::Contains("no ':'"));
  CHECK_THAT(error, !Catch::Contains("s3cret"));
  CHECK_FALSE(ParseHeaderLine("Authorization Bearer: s3cret", &name, &value, &error));
  CHECK_THAT(error, !Catch::Contains("s3cret"));
  CHECK_FALSE(ParseHeaderLine("Host: evil", &name, &value, &error));
  CHECK_THAT(error, Catch::Contains("\"Host\""));
}

}  // namespace
}  // namespace pushrun::metrics
