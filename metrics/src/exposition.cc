#include "pushrun/metrics/exposition.h"

#include <charconv>
#include <cmath>
#include <cstdint>

namespace pushrun::metrics {
namespace {

constexpr std::string_view kTotalSuffix = "_total";

// Escapes backslash and line feed, and the double quote when `quote` is set. Most texts need
// no escaping, so they are appended in one piece.
void AppendEscaped(std::string& out, std::string_view text, bool quote) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char* replacement = nullptr;
    if (c == '\\') {
      replacement = "\\\\";
    } else if (c == '\n') {
      replacement = "\\n";
    } else if (c == '"' && quote) {
      replacement = "\\\"";
    } else {
      continue;
    }
    out.append(text, start, i - start);
    out += replacement;
    start = i + 1;
  }
  out.append(text, start, std::string_view::npos);
}

void AppendInteger(std::string& out, std::uint64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// OpenMetrics timestamps are seconds; ours are integer milliseconds, written exactly.
void AppendMillisAsSeconds(std::string& out, std::int64_t millis) {
  std::uint64_t magnitude = static_cast<std::uint64_t>(millis);
  if (millis < 0) {
    out += '-';
    magnitude = ~magnitude + 1;
  }
  AppendInteger(out, magnitude / 1000);
  unsigned fraction = static_cast<unsigned>(magnitude % 1000);
  if (fraction == 0) return;
  char digits[4] = {static_cast<char>('.'), static_cast<char>('0' + fraction / 100),
                    static_cast<char>('0' + fraction / 10 % 10),
                    static_cast<char>('0' + fraction % 10)};
  std::size_t length = 4;
  while (digits[length - 1] == '0') --length;
  out.append(digits, length);
}

void AppendLabels(std::string& out, const Labels& labels) {
  if (labels.empty()) return;
  char separator = '{';
  for (const Label& label : labels) {
    out += separator;
    out += label.name;
    out += "=\"";
    AppendEscaped(out, label.value, true);
    out += '"';
    separator = ',';
  }
  out += '}';
}

std::string_view OpenMetricsTypeName(MetricType type) {
  return type == MetricType::kUntyped ? "unknown" : TypeName(type);
}

void AppendFamily(std::string& out, const MetricFamily& family, bool open_metrics) {
  const bool om_counter = open_metrics && family.type == MetricType::kCounter;
  // OpenMetrics names a counter family without "_total" and its samples with it; the text
  // format names the family exactly like its samples.
  std::string_view name = family.name;
  if (om_counter && name.ends_with(kTotalSuffix)) name.remove_suffix(kTotalSuffix.size());

  if (!family.help.empty()) {
    out += "# HELP ";
    out += name;
    out += ' ';
    AppendEscaped(out, family.help, open_metrics);
    out += '\n';
  }
  out += "# TYPE ";
  out += name;
  out += ' ';
  out += open_metrics ? OpenMetricsTypeName(family.type) : TypeName(family.type);
  out += '\n';

  for (const Sample& sample : family.samples) {
    out += sample.name;
    // A counter parsed from the text format may be named without the suffix.
    if (om_counter && !sample.name.ends_with(kTotalSuffix) && !sample.name.ends_with("_created")) {
      out += kTotalSuffix;
    }
    AppendLabels(out, sample.labels);
    out += ' ';
    AppendNumber(out, sample.value);
    if (sample.timestamp_ms) {
      out += ' ';
      if (open_metrics) {
        AppendMillisAsSeconds(out, *sample.timestamp_ms);
      } else {
        char buffer[24];
        const auto result = std::to_chars(buffer, buffer + sizeof buffer, *sample.timestamp_ms);
        out.append(buffer, result.ptr);
      }
    }
    out += '\n';
  }
}

}  // namespace

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
    case MetricType::kUntyped:
      break;
  }
  return "untyped";
}

std::string_view ContentTypeOf(ExpositionFormat format) {
  return format == ExpositionFormat::kOpenMetrics ? kOpenMetricsContentType : kTextContentType;
}

void AppendNumber(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buffer[32];
  std::to_chars_result result;
  // Below 2^53 every integer is exact, so counts, bytes and timestamps print as plain digits
  // ("100000", not "1e+05"); -0 keeps its sign through the general path.
  constexpr double kExactIntegers = 9007199254740992.0;
  if (value == std::trunc(value) && std::fabs(value) < kExactIntegers &&
      !(value == 0 && std::signbit(value))) {
    result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(value));
  } else {
    // Shortest representation that parses back to the same double; never locale dependent.
    result = std::to_chars(buffer, buffer + sizeof buffer, value);
  }
  out.append(buffer, result.ptr);
}

std::string FormatNumber(double value) {
  std::string out;
  AppendNumber(out, value);
  return out;
}

void AppendExposition(std::string& out, std::span<const MetricFamily> families,
                      ExpositionFormat format) {
  const bool open_metrics = format == ExpositionFormat::kOpenMetrics;
  std::size_t estimate = 0;
  for (const MetricFamily& family : families) {
    estimate += 2 * family.name.size() + family.help.size() + 32 + 64 * family.samples.size();
  }
  out.reserve(out.size() + estimate + 8);
  for (const MetricFamily& family : families) AppendFamily(out, family, open_metrics);
  if (open_metrics) out += "# EOF\n";
}

std::string WriteText(std::span<const MetricFamily> families) {
  std::string out;
  AppendExposition(out, families, ExpositionFormat::kPrometheusText);
  return out;
}

std::string WriteOpenMetrics(std::span<const MetricFamily> families) {
  std::string out;
  AppendExposition(out, families, ExpositionFormat::kOpenMetrics);
  return out;
}

}  // namespace pushrun::metrics
