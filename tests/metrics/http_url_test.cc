#include "../../metrics/src/http_url.h"

#include <catch2/catch.hpp>

using pushrun::metrics::HttpUrl;
using pushrun::metrics::ParseHttpUrl;

TEST_CASE("HttpUrl: host, port, prefix and credentials are split apart", "[metrics][url]") {
  HttpUrl url = ParseHttpUrl("http://user:s3cret@gw.example:9091/prefix/x?q=1");
  CHECK(url.scheme == "http");
  CHECK(url.userinfo == "user:s3cret");
  CHECK(url.host == "gw.example");
  CHECK(url.port == 9091);
  CHECK(url.authority == "gw.example:9091");
  CHECK(url.path_and_query == "/prefix/x?q=1");
  CHECK(url.Redacted() == "http://gw.example:9091/prefix/x?q=1");
}

TEST_CASE("HttpUrl: default ports, IPv6 literals and an empty path", "[metrics][url]") {
  CHECK(ParseHttpUrl("http://h").port == 80);
  CHECK(ParseHttpUrl("HTTPS://h").port == 443);
  CHECK(ParseHttpUrl("http://h").path_and_query == "/");
  HttpUrl v6 = ParseHttpUrl("http://[::1]:9091");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 9091);
  CHECK(v6.authority == "[::1]:9091");
}

TEST_CASE("HttpUrl: malformed URLs are refused with a reason and no password", "[metrics][url]") {
  auto [text, reason] = GENERATE(table<const char*, const char*>({
      {"gw:9091", "no scheme"},
      {"ftp://gw", "http or https"},
      {"http://", "no host"},
      {"http://:9091", "no host"},
      {"http://gw:0", "port"},
      {"http://gw:99999", "port"},
      {"http://gw:x1", "port"},
      {"http://gw:", "empty port"},
      {"http://[::1", "IPv6"},
      {"http://u:hunter2@gw:x", "port"},
  }));
  try {
    ParseHttpUrl(text);
    FAIL("accepted " << text);
  } catch (const std::invalid_argument& e) {
    std::string message = e.what();
    CHECK_THAT(message, Catch::Contains(reason));
    CHECK_THAT(message, !Catch::Contains("hunter2"));
  }
}
