// One table of URLs, each with our verdict, held against libcurl's own URL parser (curl_url):
// where we accept a URL, curl must read the same host, port and path from it; where we refuse
// one that curl accepts, the table says why.

#include "pushrun/metrics/url.h"

#include <curl/curl.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>

namespace pushrun::metrics {
namespace {

struct CurlReading {
  std::string host;  // IPv6 literals in brackets, as curl returns them
  int port = 0;
  std::string path;
};

// What libcurl makes of `url`, or nullopt when it refuses it.
std::optional<CurlReading> CurlReads(const std::string& url) {
  CURLU* handle = curl_url();
  REQUIRE(handle != nullptr);
  std::optional<CurlReading> reading;
  if (curl_url_set(handle, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* host = nullptr;
    char* port = nullptr;
    char* path = nullptr;
    if (curl_url_get(handle, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
        curl_url_get(handle, CURLUPART_PATH, &path, 0) == CURLUE_OK) {
      reading = CurlReading{host, std::stoi(port), path};
    }
    curl_free(host);
    curl_free(port);
    curl_free(path);
  }
  curl_url_cleanup(handle);
  return reading;
}

TEST_CASE("Gateway URLs we accept mean the same host, port and path to curl", "[metrics][url]") {
  struct Case {
    const char* url;
    const char* host;  // ours: IPv6 without brackets
    int port;
    const char* path;  // ours: as written
  };
  const Case c = GENERATE(values<Case>({
      {"http://gw:9091", "gw", 9091, ""},
      {"https://gw.example", "gw.example", 443, ""},
      {"HTTP://GW:9091/Pre", "GW", 9091, "/Pre"},
      {"HttpS://gw/", "gw", 443, "/"},
      {"http://gw:9091/route/prefix/", "gw", 9091, "/route/prefix/"},
      {"http://[::1]:9091", "::1", 9091, ""},
      {"http://[::ffff:127.0.0.1]/x", "::ffff:127.0.0.1", 80, "/x"},
      {"http://127.0.0.1:9091", "127.0.0.1", 9091, ""},
      {"http://g_w-1.example.:80", "g_w-1.example.", 80, ""},
      {"http://gw:09091", "gw", 9091, ""},
      {"http://gw:65535", "gw", 65535, ""},
      {"http://gw/a%2Fb/job@base64/=", "gw", 80, "/a%2Fb/job@base64/="},
      {"http://gw/a;b=c,d!$&'()*+~:", "gw", 80, "/a;b=c,d!$&'()*+~:"},
      {"http://gw//x/.hidden", "gw", 80, "//x/.hidden"},
  }));
  CAPTURE(c.url);
  std::string error;
  const std::optional<GatewayUrl> ours = ParseGatewayUrl(c.url, &error);
  REQUIRE(ours.has_value());
  CHECK(ours->host == c.host);
  CHECK(ours->port == c.port);
  CHECK(ours->path == c.path);
  const std::optional<CurlReading> curl = CurlReads(c.url);
  REQUIRE(curl.has_value());
  const std::string bracketed =
      ours->host.find(':') != std::string::npos ? "[" + ours->host + "]" : ours->host;
  CHECK(curl->host == bracketed);
  CHECK(curl->port == ours->port);
  CHECK(curl->path == (ours->path.empty() ? "/" : ours->path));
  // The form we hand on parses to the same URL again.
  const std::optional<GatewayUrl> again = ParseGatewayUrl(ours->ToString(), &error);
  REQUIRE(again.has_value());
  CHECK(again->ToString() == ours->ToString());
}

TEST_CASE("Gateway URLs we refuse: curl's verdict and the reason we differ", "[metrics][url]") {
  struct Case {
    const char* url;
    bool curl_accepts;
    const char* reason;  // in our error message
    const char* why;     // why we refuse what curl takes, or what curl makes of it
  };
  const Case c = GENERATE(values<Case>({
      {"", false, "empty", ""},
      {"gw:9091", false, "http:// or https://", ""},
      {"ftp://gw", true, "http:// or https://", "pushrun speaks only http and https"},
      {"http://", false, "no host", ""},
      {"http://:9091", false, "no host", ""},
      {"http://g w", false, "whitespace", ""},
      {"http://gw:65536", false, "1 to 65535", ""},
      {"http://gw:+80", false, "1 to 65535", ""},
      {"http://[::1", false, "IPv6", ""},
      {"http://[::1]x", false, "after the IPv6", ""},
      {"http://[1.2.3.4]", false, "IPv6", ""},
      {"http://g%20w", false, "percent-encoded", ""},
      {"http:/gw:9091", true, "two slashes", "curl reads it as http://gw:9091"},
      {"http:///gw", true, "two slashes", "curl reads it as http://gw"},
      {"http://gw:0", true, "1 to 65535", "nothing listens on port 0"},
      {"http://gw:", true, "empty port", "curl takes the default port"},
      {"http://gw\\@evil/", true, "backslash", "curl sends it to host evil as user gw\\"},
      {"http://%67w", true, "percent-encoded", "curl decodes it to host gw"},
      {"http://127.1", true, "127.0.0.1", "curl reads it as 127.0.0.1"},
      {"http://0x7f.1", true, "four decimal parts", "curl reads it as 127.0.0.1"},
      {"http://2130706433", true, "four decimal parts", "curl reads it as 127.0.0.1"},
      {"http://0177.0.0.1", true, "four decimal parts", "curl reads octal: 127.0.0.1"},
      {"http://01.2.3.4", true, "four decimal parts", "curl drops the zero: 1.2.3.4"},
      {"http://256.1.1.1", true, "four decimal parts", "not an address, but curl resolves it"},
      {"http://1.2.3.4.5", true, "four decimal parts", "not an address, but curl resolves it"},
      {"http://gw..x", true, "empty label", "no such name can exist"},
      {"http://.gw", true, "empty label", "no such name can exist"},
      {"http://[fe80::1%25eth0]", true, "percent-encoded", "a zone is local to one machine"},
      {"http://::1:9091", false, "brackets", ""},
      {"http://u:s3cret@gw:9091", true, "credentials", "they would end up in logs"},
      {"http://s3cret@gw", true, "credentials", "they would end up in logs"},
      {"http://gw:9091/x?s3cret=1", true, "query", "the gateway's path carries the group"},
      {"http://gw#frag", true, "fragment", "never sent, so it means nothing"},
      {"http://gw/a/../b", true, "segment", "curl sends /b"},
      {"http://gw/a/.", true, "segment", "curl sends /a/"},
      {"http://gw/%2e%2E/x", true, "segment", "a server may decode it to .."},
      {"http://gw/%zz", true, "percent-encoding", "curl sends it as it is"},
      {"http://gw/{x}", true, "percent-encode", "curl sends it raw"},
      {"http://gw/\"<>", true, "percent-encode", "curl sends it raw"},
      {"http://gw/\xc3\xa9", true, "non-ASCII", "curl sends raw UTF-8"},
      {"http://\xc3\xbc.de", true, "non-ASCII", "curl converts it with IDN"},
  }));
  CAPTURE(c.url, c.why);
  std::string error;
  CHECK_FALSE(ParseGatewayUrl(c.url, &error).has_value());
  CHECK_THAT(error, Catch::Contains(c.reason));
  CHECK_THAT(error, !Catch::Contains("s3cret"));
  CHECK(CurlReads(c.url).has_value() == c.curl_accepts);
}

TEST_CASE("Gateway URLs: an overlong URL is refused without being quoted", "[metrics][url]") {
  const std::string url = "http://gw/" + std::string(kMaxGatewayUrlLength, 'a');
  std::string error;
  CHECK_FALSE(ParseGatewayUrl(url, &error).has_value());
  CHECK_THAT(error, Catch::Contains("longer than"));
  CHECK(error.size() < 200);
}

TEST_CASE("Gateway URLs: the Host header form keeps IPv6 brackets and a given port",
          "[metrics][url]") {
  std::string error;
  CHECK(ParseGatewayUrl("http://[::1]:9091/p", &error)->Authority() == "[::1]:9091");
  CHECK(ParseGatewayUrl("http://gw/p", &error)->Authority() == "gw");
  CHECK(ParseGatewayUrl("HTTPS://gw:443/p", &error)->ToString() == "https://gw:443/p");
}

}  // namespace
}  // namespace pushrun::metrics
