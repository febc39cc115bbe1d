#include "pushrun/config/values.h"

#include <algorithm>
#include <array>
#include <charconv>

#include "pushrun/metrics/names.h"
#include "pushrun/metrics/url.h"

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
  if (!metrics::ParseGatewayUrl(url, error)) return std::nullopt;
  return std::string(url);
}

std::optional<std::vector<std::string>> ParseUrlList(std::string_view text, std::string* error) {
  constexpr std::string_view kBlanks = " \t\r\n";
  std::vector<std::string> urls;
  for (std::size_t start = text.find_first_not_of(kBlanks); start != std::string_view::npos;
       start = text.find_first_not_of(kBlanks, start)) {
    const std::size_t end = std::min(text.find_first_of(kBlanks, start), text.size());
    std::string problem;
    if (!CheckGatewayUrl(text.substr(start, end - start), &problem)) {
      return Fail<std::vector<std::string>>(
          error, "URL " + std::to_string(urls.size() + 1) + " of the list: " + problem);
    }
    urls.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return urls;
}

std::string UrlKey(std::string_view url) {
  std::optional<metrics::GatewayUrl> parsed = metrics::ParseGatewayUrl(url, nullptr);
  if (!parsed) return std::string(url);
  parsed->host = Lower(parsed->host);
  parsed->port_given = true;  // "https://gw" and "https://gw:443" alike
  while (parsed->path.ends_with('/')) parsed->path.pop_back();
  return parsed->ToString();
}

std::string PrintableUrl(std::string_view url) {
  const std::optional<metrics::GatewayUrl> parsed = metrics::ParseGatewayUrl(url, nullptr);
  return parsed ? parsed->ToString() : "(a URL that is not valid)";
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
