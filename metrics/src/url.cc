#include "pushrun/metrics/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <optional>

namespace pushrun::metrics {
namespace {

std::optional<GatewayUrl> Fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// RFC 3986 pchar without '%' (checked separately), plus '/'.
bool IsPathChar(char c) {
  return IsAlpha(c) || IsDigit(c) ||
         std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
}

// A label that curl (and browsers) read as a number, which makes the whole host an IPv4
// address in one of its many spellings: "127.1", "0x7f.1", "2130706433", "0177.0.0.1".
bool IsNumericLabel(std::string_view label) {
  if (label.size() > 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
    label.remove_prefix(2);
    for (char c : label) {
      if (!IsHex(c)) return false;
    }
    return true;
  }
  if (label.empty()) return false;
  for (char c : label) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool IsDotSegment(std::string_view segment) {
  const std::string lower = Lower(segment);
  return lower == "." || lower == ".." || lower == "%2e" || lower == "%2e%2e" || lower == ".%2e" ||
         lower == "%2e.";
}

// Empty when `host` (not bracketed) is acceptable, else the problem.
std::string CheckHostName(std::string_view host) {
  if (host.empty()) return "the URL has no host";
  for (char c : host) {
    if (c == '%') {
      return "the URL's host is percent-encoded; write it plainly (an IPv6 zone such as "
             "%25eth0 is not accepted either)";
    }
    if (!(IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_')) {
      return std::string("bad character '") + c + "' in the URL's host";
    }
  }
  std::string_view labels = host;
  if (labels.back() == '.') labels.remove_suffix(1);  // a fully qualified name: "gw.example."
  if (labels.empty() || labels.front() == '.' || labels.find("..") != std::string_view::npos) {
    return "empty label in the URL's host (a leading dot or two dots in a row)";
  }
  const std::size_t last_dot = labels.rfind('.');
  const std::string_view last =
      last_dot == std::string_view::npos ? labels : labels.substr(last_dot + 1);
  if (IsNumericLabel(last)) {
    in_addr address{};
    const std::string text(host);
    if (inet_pton(AF_INET, text.c_str(), &address) != 1) {
      return "the URL's host \"" + text +
             "\" is not an IPv4 address in four decimal parts (0-255, no leading zeros), which "
             "curl would guess at (it reads 127.1 as 127.0.0.1): write all four numbers";
    }
  }
  return "";
}

}  // namespace

std::string GatewayUrl::Authority() const {
  std::string authority = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port_given) authority += ":" + std::to_string(port);
  return authority;
}

std::string GatewayUrl::ToString() const { return scheme + "://" + Authority() + path; }

std::optional<GatewayUrl> ParseGatewayUrl(std::string_view url, std::string* error) {
  // The URL is never quoted in an error: it may hold a password.
  if (url.empty()) return Fail(error, "the URL is empty; it must start with http:// or https://");
  if (url.size() > kMaxGatewayUrlLength) {
    return Fail(error,
                "the URL is longer than " + std::to_string(kMaxGatewayUrlLength) + " characters");
  }
  for (char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f) {
      return Fail(error, "the URL contains whitespace or a control character");
    }
    if (byte >= 0x80) {
      return Fail(error,
                  "the URL contains a non-ASCII character; write the host in its ASCII "
                  "(punycode) form and percent-encode the path");
    }
    if (c == '\\') {
      // curl 7.88 reads "http://gw\@evil/" as user "gw\" at host "evil".
      return Fail(error, "the URL contains a backslash; use '/' in paths");
    }
  }
  if (url.find_first_of("?#") != std::string_view::npos) {
    return Fail(error, "the URL must not have a query (?) or fragment (#)");
  }

  GatewayUrl out;
  const std::size_t colon = url.find(':');
  if (colon == std::string_view::npos) {
    return Fail(error, "the URL must start with http:// or https://");
  }
  out.scheme = Lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") {
    return Fail(error, "the URL must start with http:// or https://");
  }
  std::string_view rest = url.substr(colon + 1);
  const std::size_t slashes = std::min(rest.find_first_not_of('/'), rest.size());
  if (slashes != 2) {
    // curl 7.88 reads "http:/gw" and "http:///gw" as "http://gw".
    return Fail(error, "the URL must have exactly two slashes after \"" + out.scheme + ":\" (" +
                           out.scheme + "://host)");
  }
  rest.remove_prefix(2);

  const std::size_t authority_end = rest.find('/');
  std::string_view authority = rest.substr(0, authority_end);
  const std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return Fail(error,
                "the URL must not carry credentials (user:password@); give them separately "
                "(username and password, or a bearer token)");
  }

  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Fail(error, "bad IPv6 address in the URL: no ']'");
    const std::string literal(authority.substr(1, close - 1));
    if (literal.find('%') != std::string::npos) {
      return Fail(error,
                  "the URL's host is percent-encoded; an IPv6 zone such as %25eth0 is not "
                  "accepted");
    }
    in6_addr address{};
    if (inet_pton(AF_INET6, literal.c_str(), &address) != 1) {
      return Fail(error, "bad IPv6 address in the URL: \"" + literal + "\"");
    }
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Fail(error, "unexpected text after the IPv6 address in the URL");
      }
      has_port = true;
      port = after.substr(1);
    }
    out.host = literal;
  } else {
    const std::size_t port_colon = authority.find(':');
    if (port_colon != std::string_view::npos) {
      if (authority.find(':', port_colon + 1) != std::string_view::npos) {
        return Fail(error, "an IPv6 address in a URL must be in brackets, like http://[::1]:9091");
      }
      has_port = true;
      port = authority.substr(port_colon + 1);
      authority = authority.substr(0, port_colon);
    }
    if (std::string problem = CheckHostName(authority); !problem.empty()) {
      return Fail(error, std::move(problem));
    }
    out.host = std::string(authority);
  }

  out.port = out.scheme == "https" ? 443 : 80;
  if (has_port) {
    // curl 7.88 takes "gw:" as the default port and accepts port 0.
    if (port.empty()) return Fail(error, "empty port in the URL; leave out the ':' or give one");
    int number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (!IsDigit(port.front()) || ec != std::errc() || end != port.data() + port.size() ||
        number < 1 || number > 65535) {
      return Fail(error, "bad port in the URL: it must be a number from 1 to 65535");
    }
    out.port = number;
    out.port_given = true;
  }

  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '%') {
      if (i + 2 >= path.size() || !IsHex(path[i + 1]) || !IsHex(path[i + 2])) {
        return Fail(error, "bad percent-encoding in the URL's path ('%' must start %XX)");
      }
    } else if (!IsPathChar(c)) {
      return Fail(error, std::string("the character '") + c +
                             "' is not allowed in the URL's path; percent-encode it");
    }
  }
  for (std::size_t start = 1; start <= path.size();) {
    std::size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (IsDotSegment(path.substr(start, end - start))) {
      // curl 7.88 removes them: "/a/../b" would be sent as "/b".
      return Fail(error, "the URL's path has a \".\" or \"..\" segment; write the path it means");
    }
    start = end + 1;
  }
  out.path = std::string(path);
  return out;
}

}  // namespace pushrun::metrics
