// The Pushgateway's group path: /metrics/job/<job>{/<name>/<value>}, encoded so that the
// gateway reads back exactly the strings the caller gave (docs/PROTOCOL.md, "The group's URL").

#include <string>
#include <string_view>

#include "pushrun/metrics/names.h"
#include "pushrun/metrics/pushgateway.h"

namespace pushrun::metrics {
namespace {

// Bytes that survive the gateway's path decoding unchanged. Everything else ('/', '%', '+',
// spaces, '@', UTF-8) is sent base64url-encoded, because the gateway splits the *decoded*
// path and treats '+' inconsistently across versions.
bool IsSafeByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '-';
}

bool NeedsBase64(std::string_view value) {
  // "." and ".." are dot segments: HTTP clients (curl) remove them from the path before
  // sending, and the gateway redirects them, so the push would land in another group.
  if (value.empty() || value == "." || value == "..") return true;
  for (char c : value) {
    if (!IsSafeByte(c)) return true;
  }
  return false;
}

// RFC 4648 section 5 ("base64url"), without padding: the gateway strips it anyway.
std::string Base64Url(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == in.size()) {
    unsigned n = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == in.size()) {
    unsigned n =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

void AppendPair(std::string& path, std::string_view name, std::string_view value) {
  path += '/';
  path += name;
  if (!NeedsBase64(value)) {
    path += '/';
    path += value;
  } else if (value.empty()) {
    // The one spelling of an empty value the gateway accepts; "//" would be redirected.
    path += "@base64/=";
  } else {
    path += "@base64/";
    path += Base64Url(value);
  }
}

}  // namespace

std::string GroupPath(const PushParams& params) {
  if (params.job_name.empty()) {
    throw PushError(ErrorCategory::kValidation, "the job name is empty");
  }
  // The gateway answers 400 to a push whose group is not UTF-8, yet keeps the group, and then
  // its /metrics page fails every scrape until the group is deleted: never send one.
  if (!IsValidUtf8(params.job_name)) {
    throw PushError(ErrorCategory::kValidation,
                    "the job name is not valid UTF-8: the Pushgateway cannot store it");
  }
  std::string path = "/metrics";
  AppendPair(path, "job", params.job_name);
  for (const auto& [name, value] : params.groupings) {
    if (name == "job") {
      throw PushError(ErrorCategory::kValidation,
                      "grouping label \"job\" is not allowed: the job name is set by job_name");
    }
    if (!IsValidUserLabelName(name)) {
      throw PushError(ErrorCategory::kValidation,
                      "grouping label name \"" + name +
                          "\" is invalid: it must match [a-zA-Z_][a-zA-Z0-9_]* and not start "
                          "with \"__\"");
    }
    if (!IsValidUtf8(value)) {
      throw PushError(ErrorCategory::kValidation,
                      "the value of grouping label \"" + name +
                          "\" is not valid UTF-8: the Pushgateway cannot store it");
    }
    AppendPair(path, name, value);
  }
  return path;
}

}  // namespace pushrun::metrics
