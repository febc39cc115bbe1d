#include "pushrun/config/values.h"

#include <catch2/catch.hpp>
#include <string>

namespace pushrun::config {
namespace {

TEST_CASE("Gateway URLs: http(s) in any case with a host, optional port and path",
          "[config][values]") {
  const char* good = GENERATE("http://127.0.0.1:9091", "https://pushgateway.example",
                              "http://gw:9091/route/prefix", "http://[::1]:9091",
                              "https://gw.example:443/", "HTTP://gw:9091", "Https://gw");
  CAPTURE(good);
  std::string error;
  CHECK(CheckGatewayUrl(good, &error).has_value());
}

TEST_CASE("Gateway URLs: other schemes, missing hosts, credentials, queries are refused",
          "[config][values]") {
  struct Case {
    const char* url;
    const char* message;
  };
  const Case c = GENERATE(values<Case>({
      {"", "http:// or https://"},
      {"gw:9091", "http:// or https://"},
      {"ftp://gw", "http:// or https://"},
      {"http://", "no host"},
      {"http://:9091", "no host"},
      {"http://gw:", "empty port"},
      {"http://gw:99999", "bad port"},
      {"http://gw:90a1", "bad port"},
      {"http://u:secret@gw:9091", "credentials"},
      {"http://gw:9091/x?y=1", "query"},
      {"http://gw#frag", "fragment"},
      {"http://g w", "whitespace"},
      {"http://g+w", "bad character"},
      {"http://gw:0", "bad port"},
      {"http:/gw:9091", "two slashes"},
      {"http://[::1", "IPv6"},
  }));
  CAPTURE(c.url);
  std::string error;
  CHECK_FALSE(CheckGatewayUrl(c.url, &error).has_value());
  CHECK_THAT(error, Catch::Contains(c.message));
  CHECK_THAT(error, !Catch::Contains("secret"));
}

TEST_CASE("Groupings: k=v pairs; values may be empty or hold '='", "[config][values]") {
  std::string error;
  const auto grouping = ParseGrouping("a=1,b=,c=x=y", &error);
  REQUIRE(grouping.has_value());
  CHECK(*grouping == std::map<std::string, std::string>{{"a", "1"}, {"b", ""}, {"c", "x=y"}});
  CHECK(ParseGrouping("", &error)->empty());
  CHECK_FALSE(ParseGrouping("a=1,a=2", &error).has_value());
  CHECK_THAT(error, Catch::Contains("twice"));
  CHECK_FALSE(ParseGrouping("a=1,", &error).has_value());
}

TEST_CASE("Booleans and methods: the spellings people use", "[config][values]") {
  std::string error;
  CHECK(ParseBool("TRUE", &error) == true);
  CHECK(ParseBool("off", &error) == false);
  CHECK_FALSE(ParseBool("2", &error).has_value());
  CHECK(ParseMethod("Post", &error) == PushMethod::kPost);
  CHECK(MethodName(PushMethod::kPut) == "put");
}

}  // namespace
}  // namespace pushrun::config
