#pragma once
// The parts of an http(s) URL that the transports and the Pushgateway client need.
// Internal to the metrics library.

#include <string>
#include <string_view>

namespace pushrun::metrics {

struct HttpUrl {
  std::string scheme;          // "http" or "https", lower-cased
  std::string userinfo;        // "user:password" as written, empty if none
  std::string host;            // without IPv6 brackets
  int port = 0;                // explicit or the scheme's default
  std::string authority;       // host[:port] as sent in the Host header (brackets kept)
  std::string path_and_query;  // starts with '/'; "/" when the URL has no path

  // The URL without userinfo: safe to print.
  std::string Redacted() const;
};

// Throws std::invalid_argument naming the URL (redacted) and what is wrong with it.
HttpUrl ParseHttpUrl(std::string_view url);

}  // namespace pushrun::metrics
