#include "pushrun/metrics/names.h"

#include <string>

#include "pushrun/metrics/error.h"

namespace pushrun::metrics {
namespace {

constexpr bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool IsValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c));
    if (!ok) return false;
  }
  return true;
}

bool IsValidUserLabelName(std::string_view name) {
  return IsValidLabelName(name) && !name.starts_with("__");
}

std::size_t Utf8SequenceLength(std::string_view text) {
  if (text.empty()) return 0;
  const auto c = static_cast<unsigned char>(text[0]);
  if (c < 0x80) return 1;
  std::size_t extra;
  char32_t min;
  char32_t code;
  if ((c & 0xE0) == 0xC0) {
    extra = 1, min = 0x80, code = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    extra = 2, min = 0x800, code = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    extra = 3, min = 0x10000, code = c & 0x07;
  } else {
    return 0;
  }
  if (text.size() <= extra) return 0;
  for (std::size_t k = 1; k <= extra; ++k) {
    const auto next = static_cast<unsigned char>(text[k]);
    if ((next & 0xC0) != 0x80) return 0;
    code = (code << 6) | (next & 0x3F);
  }
  // Overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8.
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return extra + 1;
}

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    const std::size_t length = Utf8SequenceLength(text);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

void CheckMetricName(std::string_view name) {
  if (!IsValidMetricName(name)) {
    throw UsageError("invalid metric name \"" + std::string(name) +
                     "\": must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
}

void CheckUserLabelName(std::string_view name) {
  if (!IsValidLabelName(name)) {
    throw UsageError("invalid label name \"" + std::string(name) +
                     "\": must match [a-zA-Z_][a-zA-Z0-9_]*");
  }
  if (name.starts_with("__")) {
    throw UsageError("invalid label name \"" + std::string(name) +
                     "\": names starting with \"__\" are reserved for Prometheus");
  }
}

}  // namespace pushrun::metrics
