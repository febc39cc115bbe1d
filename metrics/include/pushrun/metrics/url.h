#pragma once
// The one check of a Pushgateway URL, shared by the library, config files, flags and the
// environment, so that the same URL gets the same verdict everywhere. It is our own small parser
// because it runs before the wrapped command starts, when libcurl is not loaded yet.
//
// Accepted: http://host[:port][/path] and https://..., the scheme in any case, host a name, a
// dotted-quad IPv4 address or a bracketed IPv6 literal. Each accepted URL means to libcurl what
// it means here (tests/metrics/url_test.cc holds both to one table). Refused where curl would
// guess: credentials (given separately, so they never end up in logs), queries and fragments,
// ports outside 1-65535, backslashes, percent-encoded or shorthand-numeric hosts, dot segments,
// and anything but one "//" after the scheme.

#include <optional>
#include <string>
#include <string_view>

namespace pushrun::metrics {

struct GatewayUrl {
  std::string scheme;  // "http" or "https", lower-cased
  std::string host;    // as written; an IPv6 literal without its brackets
  int port = 0;        // as written, or the scheme's default (80, 443)
  bool port_given = false;
  std::string path;  // as written: empty or starting with '/'; a path prefix is kept

  // host[:port] as sent in the Host header: IPv6 brackets kept, the port only when given.
  std::string Authority() const;
  // scheme://authority/path, which parses to the same URL again.
  std::string ToString() const;
};

// URLs longer than this are refused: settings are untrusted input.
inline constexpr std::size_t kMaxGatewayUrlLength = 65536;

// The parts of `url`, or nullopt with `*error` (if not null) saying what is wrong. The error
// never quotes the URL: it may hold a password.
std::optional<GatewayUrl> ParseGatewayUrl(std::string_view url, std::string* error);

}  // namespace pushrun::metrics
