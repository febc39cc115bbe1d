// Fuzzes what pushrun still parses itself rather than through libcurl: the gateway URL check
// (ParseGatewayUrl), the Retry-After parser and the cleaner for a gateway's error text
// (CleanLine). Properties checked on every input:
// - CleanLine gives one line without control bytes, at most 1 KiB plus the note of what was cut;
// - ParseRetryAfter gives nothing or a wait in [0, kMaxRetryAfter];
// - an accepted URL is what libcurl reads too (scheme, host, port, path), has a port in
//   1-65535, and prints to a form that parses to itself; a refusal has a reason that never
//   quotes what could be credentials.

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "../../metrics/src/clean_line.h"
#include "../../metrics/src/retry.h"
#include "pushrun/metrics/url.h"

namespace {

using namespace pushrun::metrics;

[[noreturn]] void Die(const char* what, std::string_view input) {
  std::fprintf(stderr, "%s: \"%.*s\"\n", what, static_cast<int>(input.size()), input.data());
  std::abort();
}

void CheckCleanLine(std::string_view input) {
  const std::string line = detail::CleanLine(input);
  for (char c : line) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) Die("CleanLine let a control byte through", input);
  }
  if (line.size() > detail::kMaxShownReplyBytes + 40) Die("CleanLine line too long", input);
}

void CheckRetryAfter(std::string_view input) {
  const auto now = std::chrono::system_clock::time_point(std::chrono::hours(480'000));
  const auto wait = detail::ParseRetryAfter(input, now);
  if (wait && (*wait < std::chrono::seconds(0) || *wait > detail::kMaxRetryAfter)) {
    Die("Retry-After out of bounds", input);
  }
}

std::string CurlPart(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, flags) != CURLUE_OK) return "<none>";
  std::string out(text);
  curl_free(text);
  return out;
}

// IPv6 literals compared as addresses: curl prints them in its own canonical form.
bool SameHost(const GatewayUrl& ours, std::string curl_host) {
  if (ours.host.find(':') == std::string::npos) return curl_host == ours.host;
  if (curl_host.size() < 2 || curl_host.front() != '[') return false;
  curl_host = curl_host.substr(1, curl_host.size() - 2);
  in6_addr a{}, b{};
  return inet_pton(AF_INET6, ours.host.c_str(), &a) == 1 &&
         inet_pton(AF_INET6, curl_host.c_str(), &b) == 1 && std::memcmp(&a, &b, sizeof a) == 0;
}

void CheckUrl(std::string_view input) {
  std::string error;
  const std::optional<GatewayUrl> url = ParseGatewayUrl(input, &error);
  if (!url) {
    if (error.empty()) Die("URL refused without a reason", input);
    // With credentials in the authority, the error quotes nothing of the URL: only a host, an
    // IPv6 literal or one path character is ever quoted, and none of them is read then.
    const std::size_t start = input.find("://");
    if (start != std::string_view::npos) {
      const std::string_view authority =
          input.substr(start + 3).substr(0, input.substr(start + 3).find('/'));
      const bool quotes = error.starts_with("the URL's host \"") ||
                          error.starts_with("bad IPv6 address in the URL: \"") ||
                          error.starts_with("bad character '") ||
                          error.starts_with("the character '");
      if (authority.find('@') != std::string_view::npos && quotes) {
        Die("URL error quotes part of a URL with credentials", input);
      }
    }
    return;
  }
  if (url->port < 1 || url->port > 65535) Die("accepted port out of range", input);
  const std::optional<GatewayUrl> again = ParseGatewayUrl(url->ToString(), &error);
  if (!again || again->ToString() != url->ToString()) Die("ToString does not parse back", input);

  CURLU* handle = curl_url();
  const std::string text(input);
  if (curl_url_set(handle, CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) {
    Die("accepted a URL curl refuses", input);
  }
  if (CurlPart(handle, CURLUPART_SCHEME) != url->scheme) Die("curl reads another scheme", input);
  if (!SameHost(*url, CurlPart(handle, CURLUPART_HOST))) Die("curl reads another host", input);
  if (CurlPart(handle, CURLUPART_PORT, CURLU_DEFAULT_PORT) != std::to_string(url->port)) {
    Die("curl reads another port", input);
  }
  if (CurlPart(handle, CURLUPART_PATH) != (url->path.empty() ? "/" : url->path)) {
    Die("curl reads another path", input);
  }
  if (CurlPart(handle, CURLUPART_USER) != "<none>" ||
      CurlPart(handle, CURLUPART_QUERY) != "<none>") {
    Die("curl reads credentials or a query", input);
  }
  curl_url_cleanup(handle);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  CheckCleanLine(input);
  CheckRetryAfter(input);
  CheckUrl(input);
  return 0;
}
