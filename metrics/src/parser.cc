#include "pushrun/metrics/parser.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

// One forward pass over the input with a cursor. Every loop advances the cursor, nothing
// recurses, and every per-sample check is linear or n·log n in the size of that sample, so
// no input can make the parser hang. Where the Prometheus text format leaves room, the
// rules follow what the Pushgateway (Go's expfmt) accepts, and are stricter where expfmt
// silently drops or merges data.

namespace pushrun::metrics {

std::string ParseError::Format(std::string_view source) const {
  std::string out;
  out.reserve(source.size() + message.size() + 24);
  out.append(source);
  out += ':';
  out += std::to_string(line);
  out += ':';
  out += std::to_string(column);
  out += ": ";
  out += message;
  return out;
}

namespace {

// ---- Character classes -------------------------------------------------------------------

enum : std::uint8_t {
  kNameStart = 1 << 0,   // [a-zA-Z_:]
  kNameChar = 1 << 1,    // [a-zA-Z0-9_:]
  kLabelStart = 1 << 2,  // [a-zA-Z_]
  kLabelChar = 1 << 3,   // [a-zA-Z0-9_]
  kPlainValue = 1 << 4,  // label value bytes copied as they are (ASCII except " \ \n NUL)
  kPlainHelp = 1 << 5,   // HELP bytes copied as they are (ASCII except \ \n \r NUL)
};

constexpr std::array<std::uint8_t, 256> kClass = [] {
  std::array<std::uint8_t, 256> table{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    std::uint8_t bits = 0;
    if (alpha || c == '_' || c == ':') bits |= kNameStart;
    if (alpha || digit || c == '_' || c == ':') bits |= kNameChar;
    if (alpha || c == '_') bits |= kLabelStart;
    if (alpha || digit || c == '_') bits |= kLabelChar;
    if (c < 0x80 && c != '"' && c != '\\' && c != '\n' && c != 0) bits |= kPlainValue;
    if (c < 0x80 && c != '\\' && c != '\n' && c != '\r' && c != 0) bits |= kPlainHelp;
    table[c] = bits;
  }
  return table;
}();

inline bool Has(char c, std::uint8_t bits) {
  return (kClass[static_cast<unsigned char>(c)] & bits) != 0;
}
inline bool IsBlank(char c) { return c == ' ' || c == '\t'; }
// Printable ASCII and every non-ASCII byte: what a value or timestamp token may hold.
inline bool IsTokenByte(char c) { return static_cast<unsigned char>(c) > 0x20; }

// Length of the well-formed UTF-8 sequence starting at `p` (as Go's utf8.ValidString sees
// it: no overlong forms, no surrogates, nothing above U+10FFFF), or 0.
int Utf8Length(const char* p, const char* end) {
  const auto b0 = static_cast<unsigned char>(p[0]);
  if (b0 < 0x80) return 1;
  int length;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    length = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    length = 3;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    length = 4;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (end - p < length) return 0;
  const auto b1 = static_cast<unsigned char>(p[1]);
  if (b1 < low || b1 > high) return 0;
  for (int i = 2; i < length; ++i) {
    const auto b = static_cast<unsigned char>(p[i]);
    if (b < 0x80 || b > 0xBF) return 0;
  }
  return length;
}

// ---- Numbers -----------------------------------------------------------------------------

bool EqualsIgnoreCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Accepts exactly what expfmt's parseFloat accepts: Go's strconv.ParseFloat without hex
// floats and underscores. That is an optional sign, decimal digits with an optional point and
// exponent, "Inf"/"Infinity" with an optional sign and "NaN", case-insensitively. Overflow is
// an error; underflow gives zero (both as in Go).
std::optional<double> ParseFloat(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t i = 0;
  bool negative = false;
  if (text[0] == '+' || text[0] == '-') {
    negative = text[0] == '-';
    i = 1;
  }
  // Fast path: plain integers (counts, bytes, most values) up to 15 digits are exact doubles.
  if (text.size() - i <= 15 && i < text.size()) {
    std::uint64_t integer = 0;
    std::size_t k = i;
    while (k < text.size() && IsDigit(text[k]))
      integer = integer * 10 + static_cast<unsigned>(text[k++] - '0');
    if (k == text.size()) {
      const double magnitude = static_cast<double>(integer);
      return negative ? -magnitude : magnitude;
    }
  }
  const std::string_view rest = text.substr(i);
  if (EqualsIgnoreCase(rest, "inf") || EqualsIgnoreCase(rest, "infinity")) {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (i == 0 && EqualsIgnoreCase(rest, "nan")) return std::numeric_limits<double>::quiet_NaN();

  // Validate the decimal grammar ourselves: from_chars would also take "nan(...)", a second
  // sign, or stop early on trailing junk.
  const std::size_t mantissa_begin = i;
  std::size_t integer_digits = 0;
  std::size_t fraction_digits = 0;
  while (i < text.size() && IsDigit(text[i])) ++i, ++integer_digits;
  std::size_t point = std::string_view::npos;
  if (i < text.size() && text[i] == '.') {
    point = i++;
    while (i < text.size() && IsDigit(text[i])) ++i, ++fraction_digits;
  }
  if (integer_digits + fraction_digits == 0) return std::nullopt;
  const std::size_t mantissa_end = i;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (i == text.size() || !IsDigit(text[i])) return std::nullopt;
    while (i < text.size() && IsDigit(text[i])) ++i;
  }
  if (i != text.size()) return std::nullopt;

  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  const char* last = text.data() + text.size();
  double value = 0;
  const auto result = std::from_chars(first, last, value, std::chars_format::general);
  if (result.ec == std::errc() && result.ptr == last) return value;
  if (result.ec != std::errc::result_out_of_range) return std::nullopt;

  // Out of range: tell underflow (Go returns zero) from overflow (Go fails) by the decimal
  // magnitude of the first significant digit.
  std::int64_t magnitude = 0;
  bool found = false;
  std::int64_t position = static_cast<std::int64_t>(integer_digits) - 1;
  for (std::size_t k = mantissa_begin; k < mantissa_end; ++k) {
    if (k == point) continue;
    if (text[k] != '0') {
      magnitude = position;
      found = true;
      break;
    }
    --position;
  }
  if (!found) return negative ? -0.0 : 0.0;
  std::int64_t exponent = 0;
  bool exponent_negative = false;
  std::size_t k = mantissa_end;
  if (k < text.size()) {
    ++k;  // 'e'
    if (text[k] == '+' || text[k] == '-') exponent_negative = text[k++] == '-';
    for (; k < text.size(); ++k) {
      exponent = std::min<std::int64_t>(exponent * 10 + (text[k] - '0'), 1'000'000'000);
    }
  }
  magnitude += exponent_negative ? -exponent : exponent;
  if (magnitude < 0) return negative ? -0.0 : 0.0;
  return std::nullopt;
}

// Go's strconv.ParseInt(text, 10, 64): optional sign, decimal digits, no overflow.
std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::size_t i = 0;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) i = 1;
  if (i == text.size()) return std::nullopt;
  for (std::size_t k = i; k < text.size(); ++k) {
    if (!IsDigit(text[k])) return std::nullopt;
  }
  const char* first = text.data() + (text[0] == '+' ? 1 : 0);
  const char* last = text.data() + text.size();
  std::int64_t value = 0;
  const auto result = std::from_chars(first, last, value);
  if (result.ec != std::errc() || result.ptr != last) return std::nullopt;
  return value;
}

// ---- Messages ----------------------------------------------------------------------------

// A token quoted for a message: escaped, and shortened so a 1 MB line gives a short error.
std::string Quote(std::string_view text) {
  constexpr std::size_t kMax = 60;
  std::string out = "\"";
  const std::size_t shown = std::min(text.size(), kMax);
  for (std::size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (shown < text.size()) out += "...";
  out += '"';
  return out;
}

// Messages quote metric and label names as they are; a 1 MB name must still give a short
// error (found by the bad-input tests). Quoted runs longer than any Quote() result (at most
// 60 bytes of 4-byte escapes) are cut like Quote() cuts.
std::string ShortenQuotedNames(std::string message) {
  constexpr std::size_t kLongest = 4 * 60 + 3;
  constexpr std::size_t kShown = 60;
  if (message.size() <= 2 * kLongest) return message;
  std::string out;
  std::size_t i = 0;
  while (i < message.size()) {
    const std::size_t open = message.find('"', i);
    if (open == std::string::npos) break;
    std::size_t close = open + 1;
    while (close < message.size() && message[close] != '"') close += message[close] == '\\' ? 2 : 1;
    if (close >= message.size()) break;
    out.append(message, i, open + 1 - i);
    const std::size_t length = close - open - 1;
    if (length > kLongest) {
      out.append(message, open + 1, kShown);
      out += "...";
    } else {
      out.append(message, open + 1, length);
    }
    out += '"';
    i = close + 1;
  }
  out.append(message, std::min(i, message.size()), std::string::npos);
  return out;
}

constexpr std::string_view kTypeList = "counter, gauge, histogram, summary or untyped";

std::optional<MetricType> ParseType(std::string_view text) {
  if (text == "counter") return MetricType::kCounter;
  if (text == "gauge") return MetricType::kGauge;
  if (text == "histogram") return MetricType::kHistogram;
  if (text == "summary") return MetricType::kSummary;
  if (text == "untyped") return MetricType::kUntyped;
  return std::nullopt;
}

// ---- Hashing for duplicate series --------------------------------------------------------

inline std::uint64_t Mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// A fast non-cryptographic hash, eight bytes per step.
inline std::uint64_t HashBytes(std::string_view text) {
  constexpr std::uint64_t kMultiplier = 0x9fb21c651e98df25ULL;
  const char* p = text.data();
  std::size_t n = text.size();
  std::uint64_t h = 0x243f6a8885a308d3ULL ^ (n * kMultiplier);
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);
    h = (h ^ word) * kMultiplier;
    h ^= h >> 29;
  }
  if (n > 0) {
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < n; ++i)
      word |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
    h = (h ^ word) * kMultiplier;
  }
  return Mix(h);
}

// "le"="1" and "le"="1.0" are the same bucket, so numeric labels hash by value.
inline std::uint64_t HashNumber(double value) {
  if (std::isnan(value)) return 0x7ff8000000000001ULL;
  if (value == 0) value = 0;  // -0 and +0 are one bucket
  std::uint64_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return Mix(bits + 0x9e3779b97f4a7c15ULL);
}

// Order-insensitive: the hashes of the label pairs are summed.
inline std::uint64_t HashLabel(std::string_view name, std::uint64_t value_hash) {
  return Mix(HashBytes(name) ^ Mix(value_hash + 0x632be59bd9b4e019ULL));
}

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const { return HashBytes(text); }
};

// ---- The parser --------------------------------------------------------------------------

// What a sample name means inside the family it belongs to.
enum class Role : std::uint8_t {
  kOwn,  // the family's own name: resolved by the family's type
  kPlain,
  kBucket,
  kHistogramSum,
  kHistogramCount,
  kBareHistogram,
  kQuantile,
  kSummarySum,
  kSummaryCount,
};

struct NameEntry {
  std::uint32_t family;
  Role role;
};

struct FamilyState {
  std::size_t first_line = 0;   // first HELP, TYPE or sample line
  std::size_t help_line = 0;    // 0: none yet
  std::size_t type_line = 0;    // 0: none yet
  std::size_t sample_line = 0;  // first sample, 0: none yet
  std::size_t last_line = 0;    // last line of this family before another family's line
  bool closed = false;          // had samples, then another family's line came
};

// Series of the current family (samples of a family are contiguous, so a duplicate can
// only be in the same run); the table restarts small for each family to stay in cache.
struct SeriesSlot {
  std::uint64_t hash = 0;
  std::uint32_t sample = kEmpty;  // index in the family's samples
  static constexpr std::uint32_t kEmpty = std::numeric_limits<std::uint32_t>::max();
};
constexpr std::size_t kInitialSeriesSlots = 16;

// Labels per sample up to which duplicate names are found by comparing with each earlier
// one; above it, by sorting once the label set is complete.
constexpr std::size_t kLinearLabelLimit = 16;
constexpr std::uint32_t kNoFamily = std::numeric_limits<std::uint32_t>::max();

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options)
      : options_(options),
        begin_(text.data()),
        p_(text.data()),
        end_(text.data() + text.size()),
        line_start_(text.data()) {}

  ParseResult Run() {
    ParseResult result;
    const std::size_t size = static_cast<std::size_t>(end_ - begin_);
    if (size > options_.max_bytes) {
      result.error =
          ParseError{1, 1,
                     "input is " + std::to_string(size) + " bytes, more than the limit of " +
                         std::to_string(options_.max_bytes)};
      return result;
    }
    families_.reserve(16);
    states_.reserve(16);
    while (p_ < end_) {
      if (!ParseLine()) {
        result.error = std::move(error_);
        return result;
      }
    }
    if (current_ != kNoFamily && states_[current_].sample_line != 0 &&
        !FinishFamily(current_, p_)) {
      result.error = std::move(error_);
      return result;
    }
    // Families declared by HELP or TYPE but without samples are dropped, as in expfmt.
    result.families.reserve(families_.size());
    for (std::size_t f = 0; f < families_.size(); ++f) {
      if (states_[f].sample_line != 0) result.families.push_back(std::move(families_[f]));
    }
    return result;
  }

 private:
  // ---- Errors --------------------------------------------------------------------------

  bool Fail(const char* at, std::string message) {
    error_.line = line_;
    error_.column = static_cast<std::size_t>(at - line_start_) + 1;
    error_.message = ShortenQuotedNames(std::move(message));
    return false;
  }

  // Describes the byte at `at` for "..., found X" messages.
  std::string Found(const char* at) const {
    if (at >= end_) return "end of input";
    const auto c = static_cast<unsigned char>(*at);
    switch (c) {
      case '\n':
        return "end of line";
      case '\r':
        return "'\\r' (lines must end with \"\\n\", not \"\\r\\n\")";
      case '\t':
        return "'\\t'";
      case 0:
        return "a NUL byte";
      default:
        break;
    }
    if (c < 0x20 || c >= 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      return std::string("byte 0x") + kHex[c >> 4] + kHex[c & 15];
    }
    return std::string("'") + static_cast<char>(c) + "'";
  }

  // For places where a line may end: an unterminated last line gets a hint.
  std::string FoundAtLineEnd(const char* at) const {
    if (at >= end_) return "end of input (the last line must end with \"\\n\" too)";
    return Found(at);
  }

  // ---- Cursor helpers ------------------------------------------------------------------

  void SkipBlanks() {
    while (p_ < end_ && IsBlank(*p_)) ++p_;
  }
  bool At(char c) const { return p_ < end_ && *p_ == c; }
  std::string_view ReadName() {
    const char* start = p_;
    while (p_ < end_ && Has(*p_, kNameChar)) ++p_;
    return {start, static_cast<std::size_t>(p_ - start)};
  }
  // A token runs to the next space, tab, control byte or the end.
  std::string_view ReadToken() {
    const char* start = p_;
    while (p_ < end_ && IsTokenByte(*p_)) ++p_;
    return {start, static_cast<std::size_t>(p_ - start)};
  }
  void EndLine() {
    ++p_;  // the '\n'
    ++line_;
    line_start_ = p_;
  }

  // ---- Lines ---------------------------------------------------------------------------

  bool ParseLine() {
    SkipBlanks();
    if (p_ == end_) return Fail(p_, "expected \"\\n\" at the end of the line, found " + Found(p_));
    const char c = *p_;
    if (c == '\n') {
      EndLine();
      return true;
    }
    if (c == '#') return ParseComment();
    if (Has(c, kNameStart)) return ParseSample();
    return Fail(p_, "expected a metric name, '#' or an empty line, found " + Found(p_));
  }

  bool ParseComment() {
    ++p_;  // '#'
    SkipBlanks();
    const std::string_view keyword = ReadToken();
    const bool help = keyword == "HELP";
    if ((help || keyword == "TYPE") && (p_ == end_ || IsBlank(*p_) || *p_ == '\n')) {
      return ParseMetadata(help);
    }
    return SkipCommentText();
  }

  // Comments are ignored, but they are still lines: no NUL bytes, no "\r\n".
  bool SkipCommentText() {
    const char* newline =
        static_cast<const char*>(std::memchr(p_, '\n', static_cast<std::size_t>(end_ - p_)));
    const char* stop = newline ? newline : end_;
    const std::size_t length = static_cast<std::size_t>(stop - p_);
    const char* bad_nul = static_cast<const char*>(std::memchr(p_, '\0', length));
    const char* bad_cr = static_cast<const char*>(std::memchr(p_, '\r', length));
    const char* bad = bad_nul && (!bad_cr || bad_nul < bad_cr) ? bad_nul : bad_cr;
    if (bad) return Fail(bad, "expected comment text or end of line, found " + Found(bad));
    p_ = stop;
    if (!newline) return Fail(p_, "expected \"\\n\" at the end of the comment, found " + Found(p_));
    EndLine();
    return true;
  }

  bool ParseMetadata(bool help) {
    const char* keyword = help ? "HELP" : "TYPE";
    SkipBlanks();
    const char* name_begin = p_;
    if (p_ == end_ || !Has(*p_, kNameStart)) {
      return Fail(
          p_, std::string("expected a metric name after # ") + keyword + ", found " + Found(p_));
    }
    const std::string_view name = ReadName();
    if (p_ < end_ && !IsBlank(*p_) && *p_ != '\n') {
      return Fail(p_, std::string("expected whitespace after metric name \"") + std::string(name) +
                          "\" in # " + keyword + " line, found " + Found(p_));
    }
    last_name_ = {};  // metadata may change what sample names mean
    return help ? ParseHelp(name, name_begin) : ParseTypeLine(name, name_begin);
  }

  // Looks up the family a HELP or TYPE line names; a suffix of a histogram or summary is
  // refused rather than silently treated as that family.
  bool FamilyForMetadata(std::string_view name, const char* name_begin, const char* keyword,
                         std::uint32_t* family) {
    const auto it = names_.find(name);
    if (it == names_.end()) {
      *family = NewFamily(name);
      return true;
    }
    if (it->second.role != Role::kOwn) {
      const MetricFamily& owner = families_[it->second.family];
      return Fail(name_begin, std::string("expected # ") + keyword +
                                  " for a metric of its own, found \"" + std::string(name) +
                                  "\", which belongs to " + std::string(TypeName(owner.type)) +
                                  " \"" + owner.name + "\" (TYPE at line " +
                                  std::to_string(states_[it->second.family].type_line) + ")");
    }
    *family = it->second.family;
    return true;
  }

  bool ParseHelp(std::string_view name, const char* name_begin) {
    std::uint32_t f;
    if (!FamilyForMetadata(name, name_begin, "HELP", &f)) return false;
    FamilyState& state = states_[f];
    if (state.help_line != 0) {
      return Fail(name_begin, "expected one # HELP line for \"" + std::string(name) +
                                  "\", found a second one (the first is at line " +
                                  std::to_string(state.help_line) + ")");
    }
    if (!Enter(f, name_begin)) return false;
    state.help_line = line_;
    SkipBlanks();
    std::string& help = families_[f].help;
    for (;;) {
      const char* start = p_;
      while (p_ < end_ && Has(*p_, kPlainHelp)) ++p_;
      help.append(start, p_);
      if (p_ == end_) {
        return Fail(p_, "expected \"\\n\" at the end of the # HELP line, found " + Found(p_));
      }
      const char c = *p_;
      if (c == '\n') break;
      if (c == '\\') {
        const char* escape = p_;
        ++p_;
        if (p_ < end_ && *p_ == '\\') {
          help += '\\';
        } else if (p_ < end_ && *p_ == 'n') {
          help += '\n';
        } else {
          return Fail(escape, "expected \\\\ or \\n after '\\' in HELP text, found " + Found(p_));
        }
        ++p_;
        continue;
      }
      if (c == '\r' || c == 0) {
        return Fail(p_, "expected HELP text or end of line, found " + Found(p_));
      }
      const int length = Utf8Length(p_, end_);
      if (length == 0) {
        return Fail(p_, "expected UTF-8 text in HELP for \"" + std::string(name) + "\", found " +
                            Found(p_) + " that is not valid UTF-8");
      }
      help.append(p_, static_cast<std::size_t>(length));
      p_ += length;
    }
    EndLine();
    return true;
  }

  bool ParseTypeLine(std::string_view name, const char* name_begin) {
    SkipBlanks();
    const char* type_begin = p_;
    const std::string_view token = ReadToken();
    if (token.empty()) {
      return Fail(p_, "expected a metric type (" + std::string(kTypeList) + ") after \"" +
                          std::string(name) + "\", found " + Found(p_));
    }
    const std::optional<MetricType> type = ParseType(token);
    if (!type) {
      return Fail(type_begin,
                  "expected a metric type (" + std::string(kTypeList) + "), found " + Quote(token));
    }
    if (p_ == end_ || *p_ != '\n') {
      return Fail(p_, "expected end of line after the type \"" + std::string(token) + "\", found " +
                          FoundAtLineEnd(p_));
    }
    std::uint32_t f;
    if (!FamilyForMetadata(name, name_begin, "TYPE", &f)) return false;
    FamilyState& state = states_[f];
    MetricFamily& family = families_[f];
    if (state.type_line != 0) {
      if (family.type != *type) {
        return Fail(type_begin, "conflicting TYPE for \"" + std::string(name) + "\": found " +
                                    std::string(token) + ", expected " +
                                    std::string(TypeName(family.type)) + " as declared at line " +
                                    std::to_string(state.type_line));
      }
      return Fail(name_begin, "expected one # TYPE line for \"" + std::string(name) +
                                  "\", found a second one (the first is at line " +
                                  std::to_string(state.type_line) + ")");
    }
    if (state.sample_line != 0) {
      return Fail(name_begin, "expected # TYPE for \"" + std::string(name) +
                                  "\" before its samples, found it after them (first sample at "
                                  "line " +
                                  std::to_string(state.sample_line) + ")");
    }
    if (!Enter(f, name_begin)) return false;
    if (*type == MetricType::kHistogram || *type == MetricType::kSummary) {
      if (!ClaimSuffixes(f, name, *type, name_begin)) return false;
    }
    family.type = *type;
    state.type_line = line_;
    EndLine();
    return true;
  }

  // A histogram or summary owns the sample names built from its name and a suffix; those
  // must not already be families of their own.
  bool ClaimSuffixes(std::uint32_t f, std::string_view name, MetricType type,
                     const char* name_begin) {
    struct Suffix {
      std::string_view text;
      Role role;
    };
    static constexpr Suffix kHistogram[] = {{"_bucket", Role::kBucket},
                                            {"_sum", Role::kHistogramSum},
                                            {"_count", Role::kHistogramCount}};
    static constexpr Suffix kSummary[] = {{"_sum", Role::kSummarySum},
                                          {"_count", Role::kSummaryCount}};
    const bool histogram = type == MetricType::kHistogram;
    const std::span<const Suffix> suffixes =
        histogram ? std::span<const Suffix>(kHistogram) : std::span<const Suffix>(kSummary);
    for (const Suffix& suffix : suffixes) {
      std::string full(name);
      full += suffix.text;
      if (const auto it = names_.find(full); it != names_.end()) {
        return Fail(name_begin, "expected \"" + full + "\" to be free for " +
                                    std::string(TypeName(type)) + " \"" + std::string(name) +
                                    "\", found it already used as a family of its own (line " +
                                    std::to_string(states_[it->second.family].first_line) +
                                    "); put the TYPE line before all of its samples");
      }
    }
    for (const Suffix& suffix : suffixes) {
      std::string full(name);
      full += suffix.text;
      names_.emplace(std::move(full), NameEntry{f, suffix.role});
    }
    return true;
  }

  std::uint32_t NewFamily(std::string_view name) {
    const auto f = static_cast<std::uint32_t>(families_.size());
    MetricFamily& family = families_.emplace_back();
    family.name.assign(name);
    FamilyState& state = states_.emplace_back();
    state.first_line = line_;
    names_.emplace(std::string(name), NameEntry{f, Role::kOwn});
    return f;
  }

  // Every line belongs to one family; a family whose samples were followed by another
  // family's line is closed for good.
  bool Enter(std::uint32_t f, const char* at) {
    if (f == current_) {
      states_[f].last_line = line_;
      return true;
    }
    if (current_ != kNoFamily && states_[current_].sample_line != 0) {
      states_[current_].closed = true;
      if (!FinishFamily(current_, at)) return false;
    }
    const FamilyState& state = states_[f];
    if (state.closed) {
      return Fail(at, "expected the lines of \"" + families_[f].name +
                          "\" to be contiguous, found more after other families (its lines "
                          "ended at line " +
                          std::to_string(state.last_line) + ")");
    }
    current_ = f;
    states_[f].last_line = line_;
    return true;
  }

  // A family's samples are complete (its lines are contiguous): the caller may look at it,
  // and without keep_samples its samples are freed.
  bool FinishFamily(std::uint32_t f, const char* at) {
    MetricFamily& family = families_[f];
    if (options_.on_family && !options_.on_family(family)) {
      return Fail(at, "the samples of " + Quote(family.name) + " were refused by the caller");
    }
    if (!options_.keep_samples) std::vector<Sample>().swap(family.samples);
    return true;
  }

  Role ResolveRole(const NameEntry& entry) const {
    if (entry.role != Role::kOwn) return entry.role;
    switch (families_[entry.family].type) {
      case MetricType::kHistogram:
        return Role::kBareHistogram;
      case MetricType::kSummary:
        return Role::kQuantile;
      default:
        return Role::kPlain;
    }
  }

  // ---- Samples -------------------------------------------------------------------------

  bool ParseSample() {
    const char* name_begin = p_;
    std::string_view name;
    bool same_name;
    const std::size_t last_size = last_name_.size();
    if (last_size != 0 && static_cast<std::size_t>(end_ - p_) > last_size &&
        std::memcmp(p_, last_name_.data(), last_size) == 0 && !Has(p_[last_size], kNameChar)) {
      name = std::string_view(p_, last_size);  // the common case: the same name again
      p_ += last_size;
      same_name = true;
    } else {
      name = ReadName();
      same_name = name == last_name_;
    }
    std::uint32_t f;
    Role role;
    if (same_name) {
      f = last_family_;
      role = last_role_;
    } else {
      const auto it = names_.find(name);
      if (it == names_.end()) {
        f = NewFamily(name);
        role = Role::kPlain;
      } else {
        f = it->second.family;
        role = ResolveRole(it->second);
      }
      last_name_ = name;
      last_name_hash_ = Mix(HashBytes(name));
      last_family_ = f;
      last_role_ = role;
    }
    FamilyState& state = states_[f];
    if (!Enter(f, name_begin)) return false;
    if (role == Role::kBareHistogram) {
      return Fail(name_begin, "expected \"" + std::string(name) + "_bucket\", \"" +
                                  std::string(name) + "_sum\" or \"" + std::string(name) +
                                  "_count\" as a sample of histogram \"" + std::string(name) +
                                  "\", found \"" + std::string(name) + "\"");
    }
    if (state.sample_line == 0) {
      state.sample_line = line_;
      ResetSeries();
    }
    if (series_count_ >= options_.max_series) {
      return Fail(name_begin, "expected at most " + std::to_string(options_.max_series) +
                                  " series, found more (the limit of this parse)");
    }

    MetricFamily& family = families_[f];
    Sample& sample = family.samples.emplace_back();
    sample.name.assign(name);
    std::uint64_t series_hash = last_name_hash_;

    if (p_ == end_ || *p_ == '\n') {
      return Fail(p_, "expected a value after metric name \"" + std::string(name) + "\", found " +
                          Found(p_));
    }
    if (!IsBlank(*p_) && *p_ != '{') {
      return Fail(p_, "expected ' ' or '{' after metric name \"" + std::string(name) +
                          "\", found " + Found(p_));
    }
    SkipBlanks();
    bool has_le = false;
    bool has_quantile = false;
    if (At('{')) {
      ++p_;
      if (!ParseLabels(sample, role, &series_hash, &has_le, &has_quantile)) return false;
      SkipBlanks();
    }
    if (role == Role::kBucket && !has_le) {
      return Fail(name_begin, "expected an \"le\" label on histogram bucket \"" +
                                  std::string(name) + "\", found none");
    }
    if (role == Role::kQuantile && !has_quantile) {
      return Fail(name_begin, "expected a \"quantile\" label on sample \"" + std::string(name) +
                                  "\" of summary \"" + family.name + "\", found none");
    }

    // Value.
    const char* value_begin = p_;
    const std::string_view value_text = ReadToken();
    if (value_text.empty()) {
      return Fail(p_,
                  "expected a sample value for \"" + std::string(name) + "\", found " + Found(p_));
    }
    const std::optional<double> value = ParseFloat(value_text);
    if (!value) {
      return Fail(value_begin,
                  "expected a float sample value (like 1, -2.5, 1e3, +Inf or NaN), found " +
                      Quote(value_text));
    }
    sample.value = *value;

    // Optional timestamp, then the end of the line.
    if (!At('\n')) {
      if (p_ == end_ || !IsBlank(*p_)) {
        return Fail(
            p_, "expected ' ' or end of line after the sample value, found " + FoundAtLineEnd(p_));
      }
      const char* blank = p_;
      SkipBlanks();
      if (At('\n')) {
        return Fail(blank,
                    "expected end of line right after the sample value, found trailing "
                    "whitespace");
      }
      const char* timestamp_begin = p_;
      const std::string_view timestamp_text = ReadToken();
      if (timestamp_text.empty()) {
        return Fail(p_, "expected a timestamp or end of line after the sample value, found " +
                            FoundAtLineEnd(p_));
      }
      const std::optional<std::int64_t> timestamp = ParseInt(timestamp_text);
      if (!timestamp) {
        return Fail(timestamp_begin,
                    "expected an integer timestamp in milliseconds after the value, found " +
                        Quote(timestamp_text));
      }
      sample.timestamp_ms = *timestamp;
      if (!At('\n')) {
        const char* after = p_;
        if (p_ < end_ && IsBlank(*p_)) {
          SkipBlanks();
          if (At('\n')) {
            return Fail(after,
                        "expected end of line right after the timestamp, found trailing "
                        "whitespace");
          }
          const std::string_view extra = ReadToken();
          if (!extra.empty()) {
            return Fail(extra.data(),
                        "expected end of line after the timestamp, found " + Quote(extra));
          }
        }
        return Fail(p_, "expected end of line after the timestamp, found " + FoundAtLineEnd(p_));
      }
    }

    if (!InsertSeries(series_hash, f, name_begin, role)) return false;
    ++series_count_;
    last_label_count_ = sample.labels.size();
    EndLine();
    return true;
  }

  bool ParseLabels(Sample& sample, Role role, std::uint64_t* series_hash, bool* has_le,
                   bool* has_quantile) {
    Labels& labels = sample.labels;
    if (last_label_count_ > 0) labels.reserve(std::min<std::size_t>(last_label_count_, 64));
    label_positions_.clear();
    for (;;) {
      SkipBlanks();
      if (At('}')) {
        ++p_;
        break;
      }
      const char* label_begin = p_;
      if (p_ == end_ || !Has(*p_, kLabelStart)) {
        return Fail(p_, std::string(labels.empty() ? "expected a label name or '}'"
                                                   : "expected a label name or '}' after ','") +
                            ", found " + Found(p_));
      }
      while (p_ < end_ && Has(*p_, kLabelChar)) ++p_;
      const std::string_view label_name(label_begin, static_cast<std::size_t>(p_ - label_begin));
      if (label_name.size() == 8 && label_name[0] == '_' && label_name == "__name__") {
        return Fail(label_begin,
                    "expected a label name other than \"__name__\" (reserved for the metric "
                    "name), found \"__name__\"");
      }
      if (labels.size() < kLinearLabelLimit) {
        for (const Label& earlier : labels) {
          if (earlier.name == label_name) {
            return Fail(label_begin, "expected each label name once per sample, found \"" +
                                         std::string(label_name) + "\" a second time");
          }
        }
      }
      SkipBlanks();
      if (!At('=')) {
        return Fail(p_, "expected '=' after label name \"" + std::string(label_name) +
                            "\", found " + Found(p_));
      }
      ++p_;
      SkipBlanks();
      if (!At('"')) {
        return Fail(p_, "expected '\"' to open the value of label \"" + std::string(label_name) +
                            "\", found " + Found(p_));
      }
      ++p_;
      const char* value_begin = p_;
      Label& label = labels.emplace_back();
      label.name.assign(label_name);
      label_positions_.push_back(label_begin);
      if (!ReadLabelValue(label.value, label_name)) return false;

      std::uint64_t value_hash;
      // Gauges, counters and untyped samples (the bulk of most files) skip the special labels.
      const bool special = role != Role::kPlain;
      const bool is_le = special && label_name == "le";
      const bool is_quantile = special && label_name == "quantile";
      if ((role == Role::kBucket && is_le) || (role == Role::kQuantile && is_quantile)) {
        const std::optional<double> number = ParseFloat(label.value);
        if (!number) {
          return Fail(value_begin, "expected a float as the value of label \"" +
                                       std::string(label_name) + "\" (like 0.5 or +Inf), found " +
                                       Quote(label.value));
        }
        value_hash = HashNumber(*number);
        (is_le ? *has_le : *has_quantile) = true;
      } else {
        if (is_le && (role == Role::kHistogramSum || role == Role::kHistogramCount)) {
          return Fail(label_begin, "expected no \"le\" label on \"" + sample.name +
                                       "\" (only _bucket samples have one), found one");
        }
        if (is_quantile && (role == Role::kSummarySum || role == Role::kSummaryCount)) {
          return Fail(label_begin, "expected no \"quantile\" label on \"" + sample.name +
                                       "\" (only the summary's quantile samples have one), found "
                                       "one");
        }
        value_hash = HashBytes(label.value);
      }
      *series_hash += HashLabel(label_name, value_hash);

      SkipBlanks();
      if (At(',')) {
        ++p_;
        continue;
      }
      if (At('}')) {
        ++p_;
        break;
      }
      return Fail(p_, "expected ',' or '}' after the value of label \"" + std::string(label_name) +
                          "\", found " + Found(p_));
    }
    if (labels.size() > kLinearLabelLimit) return CheckDuplicateLabelsSorted(labels);
    return true;
  }

  // For long label sets: sort once, then report the earliest repeated name.
  bool CheckDuplicateLabelsSorted(const Labels& labels) {
    order_.resize(labels.size());
    for (std::uint32_t i = 0; i < order_.size(); ++i) order_[i] = i;
    std::sort(order_.begin(), order_.end(), [&](std::uint32_t a, std::uint32_t b) {
      const int c = labels[a].name.compare(labels[b].name);
      return c != 0 ? c < 0 : a < b;
    });
    std::uint32_t worst = std::numeric_limits<std::uint32_t>::max();
    for (std::size_t i = 1; i < order_.size(); ++i) {
      if (labels[order_[i]].name == labels[order_[i - 1]].name) worst = std::min(worst, order_[i]);
    }
    if (worst == std::numeric_limits<std::uint32_t>::max()) return true;
    return Fail(label_positions_[worst], "expected each label name once per sample, found \"" +
                                             labels[worst].name + "\" a second time");
  }

  bool ReadLabelValue(std::string& value, std::string_view label_name) {
    for (;;) {
      const char* start = p_;
      while (p_ < end_ && Has(*p_, kPlainValue)) ++p_;
      value.append(start, p_);
      if (p_ == end_) {
        return Fail(p_, "expected '\"' to close the value of label \"" + std::string(label_name) +
                            "\", found " + Found(p_));
      }
      const char c = *p_;
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c == '\\') {
        const char* escape = p_++;
        const char e = p_ < end_ ? *p_ : '\0';
        if (p_ < end_ && (e == '\\' || e == '"')) {
          value += e;
        } else if (p_ < end_ && e == 'n') {
          value += '\n';
        } else {
          return Fail(escape, "expected \\\\, \\\" or \\n after '\\' in the value of label \"" +
                                  std::string(label_name) + "\", found " + Found(p_));
        }
        ++p_;
        continue;
      }
      if (c == '\n') {
        return Fail(p_, "expected '\"' to close the value of label \"" + std::string(label_name) +
                            "\", found end of line (write a newline as \\n)");
      }
      if (c == 0) {
        return Fail(p_, "expected text in the value of label \"" + std::string(label_name) +
                            "\", found a NUL byte");
      }
      const int length = Utf8Length(p_, end_);
      if (length == 0) {
        return Fail(p_, "expected UTF-8 text in the value of label \"" + std::string(label_name) +
                            "\", found " + Found(p_) + " that is not valid UTF-8");
      }
      value.append(p_, static_cast<std::size_t>(length));
      p_ += length;
    }
  }

  // ---- Duplicate series ----------------------------------------------------------------

  void ResetSeries() {
    series_.assign(kInitialSeriesSlots, SeriesSlot{});
    series_size_ = 0;
    series_lines_.clear();
  }

  bool InsertSeries(std::uint64_t hash, std::uint32_t f, const char* name_begin, Role role) {
    if ((series_size_ + 1) * 2 > series_.size()) GrowSeries();
    const std::vector<Sample>& samples = families_[f].samples;
    const auto sample_index = static_cast<std::uint32_t>(samples.size() - 1);
    const std::size_t mask = series_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      SeriesSlot& slot = series_[i];
      if (slot.sample == SeriesSlot::kEmpty) {
        slot = SeriesSlot{hash, sample_index};
        ++series_size_;
        series_lines_.push_back(line_);
        return true;
      }
      if (slot.hash == hash && SameSeries(samples[slot.sample], samples[sample_index], role)) {
        return Fail(name_begin, "expected each series once, found \"" + samples[sample_index].name +
                                    "\" with the same labels again (first at line " +
                                    std::to_string(series_lines_[slot.sample]) + ")");
      }
    }
  }

  void GrowSeries() {
    std::vector<SeriesSlot> old = std::move(series_);
    series_.assign(old.size() * 2, SeriesSlot{});
    const std::size_t mask = series_.size() - 1;
    for (const SeriesSlot& slot : old) {
      if (slot.sample == SeriesSlot::kEmpty) continue;
      std::size_t i = slot.hash & mask;
      while (series_[i].sample != SeriesSlot::kEmpty) i = (i + 1) & mask;
      series_[i] = slot;
    }
  }

  // Only called when the hashes match, which is almost always a real duplicate.
  static bool SameSeries(const Sample& a, const Sample& b, Role role) {
    if (a.name != b.name || a.labels.size() != b.labels.size()) return false;
    const std::string_view numeric = role == Role::kBucket     ? "le"
                                     : role == Role::kQuantile ? "quantile"
                                                               : "";
    auto by_name = [](const Labels& labels) {
      std::vector<const Label*> sorted;
      sorted.reserve(labels.size());
      for (const Label& label : labels) sorted.push_back(&label);
      std::sort(sorted.begin(), sorted.end(),
                [](const Label* x, const Label* y) { return x->name < y->name; });
      return sorted;
    };
    const std::vector<const Label*> x = by_name(a.labels);
    const std::vector<const Label*> y = by_name(b.labels);
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i]->name != y[i]->name) return false;
      if (!numeric.empty() && x[i]->name == numeric) {
        const double u = ParseFloat(x[i]->value).value_or(0);
        const double v = ParseFloat(y[i]->value).value_or(0);
        if (!(u == v || (std::isnan(u) && std::isnan(v)))) return false;
      } else if (x[i]->value != y[i]->value) {
        return false;
      }
    }
    return true;
  }

  const ParseOptions& options_;
  const char* const begin_;
  const char* p_;
  const char* const end_;
  const char* line_start_;
  std::size_t line_ = 1;
  ParseError error_;

  std::vector<MetricFamily> families_;
  std::vector<FamilyState> states_;
  std::unordered_map<std::string, NameEntry, StringHash, std::equal_to<>> names_;
  std::uint32_t current_ = kNoFamily;

  // The previous sample's name, resolved: consecutive samples usually share it.
  std::string_view last_name_;
  std::uint64_t last_name_hash_ = 0;
  std::uint32_t last_family_ = 0;
  Role last_role_ = Role::kPlain;
  std::size_t last_label_count_ = 0;

  std::vector<const char*> label_positions_;
  std::vector<std::uint32_t> order_;
  std::vector<SeriesSlot> series_;
  std::size_t series_size_ = 0;
  std::vector<std::size_t> series_lines_;  // line of each sample of the current family
  std::size_t series_count_ = 0;
};

}  // namespace

ParseResult ParseText(std::string_view text, const ParseOptions& options) {
  return Parser(text, options).Run();
}

}  // namespace pushrun::metrics
