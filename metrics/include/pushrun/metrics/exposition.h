#pragma once
// Writers for the Prometheus text format 0.0.4 and OpenMetrics 1.0. Output never depends on
// the C or C++ locale and always uses "\n" line endings.

#include <span>
#include <string>
#include <string_view>

#include "pushrun/metrics/family.h"

namespace pushrun::metrics {

enum class ExpositionFormat { kPrometheusText, kOpenMetrics };

inline constexpr std::string_view kTextContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

std::string_view ContentTypeOf(ExpositionFormat format);

// Appends the families to `out` in the given format (OpenMetrics ends with "# EOF\n").
void AppendExposition(std::string& out, std::span<const MetricFamily> families,
                      ExpositionFormat format);
std::string WriteText(std::span<const MetricFamily> families);
std::string WriteOpenMetrics(std::span<const MetricFamily> families);

// Shortest text that parses back to exactly `value`; "+Inf", "-Inf", "NaN" for the specials.
std::string FormatNumber(double value);
void AppendNumber(std::string& out, double value);

}  // namespace pushrun::metrics
