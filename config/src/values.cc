#include "pushrun/config/values.h"

#include <array>
#include <charconv>

#include "pushrun/metrics/names.h"

namespace pushrun::config {

namespace {

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

template <typename T>
std::optional<T> Fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return std::nullopt;
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

std::optional<bool> ParseBool(std::string_view text, std::string* error) {
  const std::string lower = Lower(text);
  for (std::string_view yes : {"true", "1", "yes", "on"}) {
    if (lower == yes) return true;
  }
  for (std::string_view no : {"false", "0", "no", "off"}) {
    if (lower == no) return false;
  }
  return Fail<bool>(error, "not a boolean: \"" + std::string(text) + "\"");
}

std::optional<PushMethod> ParseMethod(std::string_view text, std::string* error) {
  const std::string lower = Lower(text);
  if (lower == "post") return PushMethod::kPost;
  if (lower == "put") return PushMethod::kPut;
  return Fail<PushMethod>(error, "unknown push method \"" + std::string(text) + "\"");
}

std::string_view MethodName(PushMethod method) {
  return method == PushMethod::kPut ? "put" : "post";
}

std::optional<std::string> CheckGatewayUrl(std::string_view url, std::string* error) {
  // Never echo the URL itself: it might carry a password.
  std::string_view rest;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
  } else {
    return Fail<std::string>(error, "the URL must start with http:// or https://");
  }
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  const std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return Fail<std::string>(error,
                             "the URL must not carry credentials; use username and "
                             "password_file or password_env");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Fail<std::string>(error, "the URL must not have a query or fragment");
  }
  std::string_view host = authority;
  std::string_view port;
  if (host.starts_with('[')) {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) {
      return Fail<std::string>(error, "bad IPv6 address in the URL");
    }
    for (char c : host.substr(1, close - 1)) {
      if (!(IsHostChar(c) || c == ':')) {
        return Fail<std::string>(error, "bad IPv6 address in the URL");
      }
    }
    std::string_view after = host.substr(close + 1);
    host = host.substr(0, close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Fail<std::string>(error, "bad host in the URL");
      port = after.substr(1);
      if (port.empty()) return Fail<std::string>(error, "empty port in the URL");
    }
  } else {
    const std::size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
      if (port.empty()) return Fail<std::string>(error, "empty port in the URL");
    }
    if (host.empty()) return Fail<std::string>(error, "the URL has no host");
    for (char c : host) {
      if (!IsHostChar(c)) return Fail<std::string>(error, "bad character in the URL's host");
    }
  }
  if (!port.empty()) {
    int number = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
    if (ec != std::errc() || end != port.data() + port.size() || number < 1 || number > 65535) {
      return Fail<std::string>(error, "bad port in the URL (1-65535)");
    }
  }
  return std::string(url);
}

bool IsValidGroupingName(std::string_view name) {
  return name != "job" && metrics::IsValidUserLabelName(name);
}

std::optional<std::map<std::string, std::string>> ParseGrouping(std::string_view text,
                                                                std::string* error) {
  using Map = std::map<std::string, std::string>;
  Map grouping;
  if (text.empty()) return grouping;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    const std::string_view pair =
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    const std::size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
      return Fail<Map>(error, "missing '=' in \"" + std::string(pair) + "\"");
    }
    const std::string name(pair.substr(0, equals));
    if (name == "job") {
      return Fail<Map>(error, "\"job\" cannot be a grouping label; set the job name instead");
    }
    if (!IsValidGroupingName(name)) {
      return Fail<Map>(error, "bad grouping label name \"" + name + "\"");
    }
    if (grouping.count(name)) {
      return Fail<Map>(error, "grouping label \"" + name + "\" given twice");
    }
    grouping[name] = std::string(pair.substr(equals + 1));
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return grouping;
}

std::optional<long long> ParseCount(std::string_view text, long long min, long long max,
                                    std::string* error) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Fail<long long>(error, "not a whole number: \"" + std::string(text) + "\"");
  }
  if (value < min || value > max) {
    return Fail<long long>(error, std::to_string(value) + " is out of range " +
                                      std::to_string(min) + "-" + std::to_string(max));
  }
  return value;
}

}  // namespace pushrun::config
