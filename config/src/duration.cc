#include "pushrun/config/duration.h"

#include <array>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace pushrun::config {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t millis;
};

// Largest first: a duration lists its parts in this order, each at most once.
constexpr std::array<Unit, 4> kUnits = {{
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUnitChar(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Adds `digits` (already checked to be digits) times `scale` into `*total`; false on overflow.
bool Accumulate(std::string_view digits, std::int64_t scale, std::int64_t* total) {
  std::int64_t value = 0;
  for (char c : digits) {
    if (__builtin_mul_overflow(value, std::int64_t{10}, &value) ||
        __builtin_add_overflow(value, std::int64_t{c - '0'}, &value)) {
      return false;
    }
  }
  std::int64_t scaled = 0;
  return !__builtin_mul_overflow(value, scale, &scaled) &&
         !__builtin_add_overflow(*total, scaled, total);
}

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<Duration> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return fail("empty duration");
  if (text == "0") return Duration{0};
  if (text.front() == '-') return fail("negative duration " + quoted);
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t number_begin = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    std::string_view whole = text.substr(number_begin, pos - number_begin);
    std::string_view fraction;
    if (pos < text.size() && text[pos] == '.') {
      const std::size_t fraction_begin = ++pos;
      while (pos < text.size() && IsDigit(text[pos])) ++pos;
      fraction = text.substr(fraction_begin, pos - fraction_begin);
      if (fraction.empty()) return fail("missing digits after '.' in " + quoted);
    }
    if (whole.empty() && fraction.empty()) {
      return fail("expected a number at \"" + std::string(text.substr(number_begin)) + "\" in " +
                  quoted);
    }
    const std::size_t unit_begin = pos;
    while (pos < text.size() && IsUnitChar(text[pos])) ++pos;
    const std::string_view unit_name = text.substr(unit_begin, pos - unit_begin);
    if (unit_name.empty()) {
      if (pos < text.size()) {
        return fail("unexpected character '" + std::string(1, text[pos]) + "' in " + quoted);
      }
      return fail("missing unit after \"" + std::string(text.substr(number_begin)) + "\" in " +
                  quoted);
    }
    std::size_t unit_index = kUnits.size();
    for (std::size_t i = 0; i < kUnits.size(); ++i) {
      if (kUnits[i].name == unit_name) unit_index = i;
    }
    if (unit_index == kUnits.size()) {
      return fail("unknown unit \"" + std::string(unit_name) + "\" in " + quoted);
    }
    if (unit_index < next_unit) {
      return fail("units must go from largest to smallest, each once, in " + quoted);
    }
    next_unit = unit_index + 1;
    const std::int64_t scale = kUnits[unit_index].millis;
    if (!Accumulate(whole, scale, &total)) return fail("duration " + quoted + " is too large");
    // The fraction in milliseconds: digits * scale / 10^len, which must be a whole number.
    std::int64_t divisor = 1;
    for (std::size_t i = 0; i < fraction.size(); ++i) {
      if (__builtin_mul_overflow(divisor, std::int64_t{10}, &divisor)) {
        return fail("too many digits after '.' in " + quoted);
      }
    }
    std::int64_t fraction_scaled = 0;
    if (!Accumulate(fraction, scale, &fraction_scaled)) {
      return fail("too many digits after '.' in " + quoted);
    }
    if (fraction_scaled % divisor != 0) {
      return fail(quoted + " is finer than one millisecond");
    }
    if (__builtin_add_overflow(total, fraction_scaled / divisor, &total)) {
      return fail("duration " + quoted + " is too large");
    }
  }
  return Duration{total};
}

std::string FormatDuration(Duration duration) {
  std::int64_t left = duration.count();
  if (left < 0) throw std::invalid_argument("FormatDuration: negative duration");
  if (left == 0) return "0s";
  std::string text;
  for (const Unit& unit : kUnits) {
    if (left >= unit.millis) {
      text += std::to_string(left / unit.millis);
      text += unit.name;
      left %= unit.millis;
    }
  }
  return text;
}

}  // namespace pushrun::config
