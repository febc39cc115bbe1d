#include "http_url.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace pushrun::metrics {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The URL with anything between "://" and the last '@' of the authority removed, for messages
// about URLs too broken to parse.
std::string RedactRaw(std::string_view url) {
  std::size_t start = url.find("://");
  if (start == std::string_view::npos) return std::string(url);
  start += 3;
  std::size_t end = url.find_first_of("/?#", start);
  std::string_view authority = url.substr(start, end == std::string_view::npos ? end : end - start);
  std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  return std::string(url.substr(0, start)) + "***@" + std::string(url.substr(start + at + 1));
}

[[noreturn]] void Bad(std::string_view url, const std::string& why) {
  throw std::invalid_argument("invalid URL \"" + RedactRaw(url) + "\": " + why +
                              " (expected http[s]://host[:port][/path])");
}

}  // namespace

std::string HttpUrl::Redacted() const {
  return scheme + "://" + authority + (path_and_query == "/" ? "" : path_and_query);
}

HttpUrl ParseHttpUrl(std::string_view url) {
  HttpUrl out;
  std::size_t colon = url.find("://");
  if (colon == std::string_view::npos) Bad(url, "no scheme");
  out.scheme = Lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") Bad(url, "the scheme must be http or https");
  std::string_view rest = url.substr(colon + 3);
  std::size_t path_start = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (!path.empty() && path.front() == '#') path = {};
  if (std::size_t hash = path.find('#'); hash != std::string_view::npos)
    path = path.substr(0, hash);

  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    out.userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (!host.empty() && host.front() == '[') {
    std::size_t close = host.find(']');
    if (close == std::string_view::npos) Bad(url, "unterminated IPv6 address");
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') Bad(url, "unexpected text after the IPv6 address");
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (std::size_t c = host.rfind(':'); c != std::string_view::npos) {
    port = host.substr(c + 1);
    host = host.substr(0, c);
  }
  if (host.empty()) Bad(url, "no host");
  for (char c : host) {
    if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '\\') {
      Bad(url, "the host contains an invalid character");
    }
  }
  out.host = std::string(host);
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    int value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value < 1 || value > 65535) {
      Bad(url, "the port must be a number from 1 to 65535");
    }
    out.port = value;
  } else if (authority.size() > 0 && authority.back() == ':') {
    Bad(url, "empty port");
  }
  out.authority = std::string(authority);
  out.path_and_query = path.empty() ? "/" : std::string(path);
  return out;
}

}  // namespace pushrun::metrics
