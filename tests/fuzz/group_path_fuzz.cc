// Fuzzes the Pushgateway group path encoder (GroupPath). Properties checked on every input:
// - it throws PushError(kValidation) exactly when the job is empty, the job or a grouping value
//   is not UTF-8, or a grouping label name is not allowed ("job", not [a-zA-Z_][a-zA-Z0-9_]*,
//   or "__..."), and nothing else ever escapes;
// - an accepted path starts with "/metrics/job/" (or "job@base64/"), holds only bytes that no
// server or client
//   rewrites ([A-Za-z0-9._~-], '/', '@', '='), never "//", '%', '+', nor a "." or ".." segment
//   (clients and servers remove dot segments from paths);
// - decoding it (plain segments as they are, "<name>@base64/<base64url>" decoded) gives back
//   exactly the job and grouping labels.
//
// Input layout: the job, then label name/value pairs, each field ended by a 0 byte.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/metrics/names.h"
#include "pushrun/metrics/pushgateway.h"

namespace {

using pushrun::metrics::ErrorCategory;
using pushrun::metrics::PushError;
using pushrun::metrics::PushParams;

[[noreturn]] void Die(const char* what, std::string_view detail) {
  std::fprintf(stderr, "group_path_fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

// RFC 4648 section 5 with optional padding; nothing for anything else.
std::optional<std::string> DecodeBase64Url(std::string_view in) {
  while (!in.empty() && in.back() == '=') in.remove_suffix(1);
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    const int value = sextet(c);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

bool IsAllowedByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '-' || c == '/' || c == '@' || c == '=';
}

bool IsValidName(const std::string& name) {
  if (name.empty() || name == "job" || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

std::vector<std::string> Split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// "/metrics/job/<job>{/<name>/<value>}" back into the job and labels.
PushParams Decode(const std::string& path) {
  std::vector<std::string> parts = Split(path, '/');
  if (parts.size() < 4 || !parts[0].empty() || parts[1] != "metrics" || parts.size() % 2 != 0) {
    Die("path does not have the /metrics/<name>/<value>... shape", path);
  }
  PushParams params;
  for (std::size_t i = 2; i < parts.size(); i += 2) {
    std::string name = parts[i];
    std::string value = parts[i + 1];
    if (name.ends_with("@base64")) {
      name.resize(name.size() - 7);
      auto decoded = DecodeBase64Url(value);
      if (!decoded) Die("value is not base64url", path);
      value = *decoded;
    } else if (value.empty()) {
      Die("empty plain value", path);
    }
    if (i == 2) {
      if (name != "job") Die("first pair is not the job", path);
      params.job_name = value;
    } else {
      if (params.groupings.count(name)) Die("label repeated in the path", path);
      params.groupings[name] = value;
    }
  }
  return params;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> fields =
      Split(std::string_view(reinterpret_cast<const char*>(data), size), '\0');
  PushParams params;
  params.job_name = fields[0];
  for (std::size_t i = 1; i + 1 < fields.size(); i += 2)
    params.groupings[fields[i]] = fields[i + 1];

  bool valid = !params.job_name.empty() && pushrun::metrics::IsValidUtf8(params.job_name);
  for (const auto& [name, value] : params.groupings) {
    valid = valid && IsValidName(name) && pushrun::metrics::IsValidUtf8(value);
  }

  std::string path;
  try {
    path = pushrun::metrics::GroupPath(params);
  } catch (const PushError& error) {
    if (error.category() != ErrorCategory::kValidation) Die("not a validation error", error.what());
    if (valid) Die("valid job and labels refused", error.what());
    return 0;
  }
  if (!valid) Die("invalid job or label accepted", path);
  if (!path.starts_with("/metrics/job/") && !path.starts_with("/metrics/job@base64/")) {
    Die("path does not start with the job", path);
  }
  if (path.find("//") != std::string::npos) Die("path contains //", path);
  for (char c : path) {
    if (!IsAllowedByte(c)) Die("path contains an unsafe byte", path);
  }
  for (const std::string& segment : Split(path, '/')) {
    if (segment == "." || segment == "..") Die("path contains a dot segment", path);
  }
  if (Decode(path).job_name != params.job_name || Decode(path).groupings != params.groupings) {
    Die("path does not decode to the job and labels", path);
  }
  return 0;
}
