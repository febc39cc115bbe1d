#include "pushrun/metrics/exposition.h"

#include <catch2/catch.hpp>
#include <charconv>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <locale>
#include <random>
#include <string>
#include <vector>

#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/registry.h"

using namespace pushrun::metrics;

namespace {

// Parses with std::from_chars, which no locale touches, and checks bit equality so that -0
// and every NaN-free value must survive exactly.
bool RoundTrips(double value) {
  const std::string text = FormatNumber(value);
  double parsed = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return false;
  return std::memcmp(&parsed, &value, sizeof value) == 0;
}

// A registry with one of each type, labels that need escaping and a histogram.
std::string SampleText(ExpositionFormat format) {
  Registry registry(format);
  Counter counter({.name = "jobs_total",
                   .help = "Jobs \"run\".\nBackslash: \\",
                   .label_names = {"path"},
                   .registries = {&registry}});
  counter.Labels({"C:\\tmp \"x\"\nnext"}).Inc(2);
  Gauge gauge({.name = "temperature_celsius", .registries = {&registry}});
  gauge.Set(-0.5);
  Histogram histogram(
      {{.name = "latency_seconds", .help = "Latency.", .registries = {&registry}}, {0.25, 1}});
  histogram.Observe(0.1);
  histogram.Observe(2);
  return registry.Serialize();
}

struct DecimalComma : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

}  // namespace

TEST_CASE("Exposition: text 0.0.4 of counter, gauge and histogram", "[metrics][exposition]") {
  CHECK(SampleText(ExpositionFormat::kPrometheusText) ==
        "# HELP jobs_total Jobs \"run\".\\nBackslash: \\\\\n"
        "# TYPE jobs_total counter\n"
        "jobs_total{path=\"C:\\\\tmp \\\"x\\\"\\nnext\"} 2\n"
        "# HELP latency_seconds Latency.\n"
        "# TYPE latency_seconds histogram\n"
        "latency_seconds_bucket{le=\"0.25\"} 1\n"
        "latency_seconds_bucket{le=\"1\"} 1\n"
        "latency_seconds_bucket{le=\"+Inf\"} 2\n"
        "latency_seconds_sum 2.1\n"
        "latency_seconds_count 2\n"
        "# TYPE temperature_celsius gauge\n"
        "temperature_celsius -0.5\n");
}

TEST_CASE("Exposition: OpenMetrics names counters without _total and ends with # EOF",
          "[metrics][exposition]") {
  CHECK(SampleText(ExpositionFormat::kOpenMetrics) ==
        "# HELP jobs Jobs \\\"run\\\".\\nBackslash: \\\\\n"
        "# TYPE jobs counter\n"
        "jobs_total{path=\"C:\\\\tmp \\\"x\\\"\\nnext\"} 2\n"
        "# HELP latency_seconds Latency.\n"
        "# TYPE latency_seconds histogram\n"
        "latency_seconds_bucket{le=\"0.25\"} 1\n"
        "latency_seconds_bucket{le=\"1\"} 1\n"
        "latency_seconds_bucket{le=\"+Inf\"} 2\n"
        "latency_seconds_sum 2.1\n"
        "latency_seconds_count 2\n"
        "# TYPE temperature_celsius gauge\n"
        "temperature_celsius -0.5\n"
        "# EOF\n");
}

TEST_CASE("Exposition: families as the parser builds them", "[metrics][exposition]") {
  // A counter written without the suffix in the text format, an untyped family, timestamps.
  const std::vector<MetricFamily> families = {
      {"requests", "", MetricType::kCounter, {{"requests", {{"a", "b"}}, 7, std::nullopt}}},
      {"raw", "Raw.", MetricType::kUntyped, {{"raw", {}, 1.5, 1700000000123}}},
      {"old", "", MetricType::kGauge, {{"old", {}, 1, -1500}, {"old", {{"x", "y"}}, 2, 2000}}},
  };
  SECTION("text 0.0.4 prints names as written and timestamps in milliseconds") {
    CHECK(WriteText(families) ==
          "# TYPE requests counter\n"
          "requests{a=\"b\"} 7\n"
          "# HELP raw Raw.\n"
          "# TYPE raw untyped\n"
          "raw 1.5 1700000000123\n"
          "# TYPE old gauge\n"
          "old 1 -1500\n"
          "old{x=\"y\"} 2 2000\n");
  }
  SECTION("OpenMetrics adds _total to counter samples, says unknown, timestamps in seconds") {
    CHECK(WriteOpenMetrics(families) ==
          "# TYPE requests counter\n"
          "requests_total{a=\"b\"} 7\n"
          "# HELP raw Raw.\n"
          "# TYPE raw unknown\n"
          "raw 1.5 1700000000.123\n"
          "# TYPE old gauge\n"
          "old 1 -1.5\n"
          "old{x=\"y\"} 2 2\n"
          "# EOF\n");
  }
}

TEST_CASE("Exposition: empty input and the append form", "[metrics][exposition]") {
  CHECK(WriteText({}).empty());
  CHECK(WriteOpenMetrics({}) == "# EOF\n");
  std::string out = "prefix\n";
  const std::vector<MetricFamily> families = {{"g", "", MetricType::kGauge, {{"g", {}, 1, {}}}}};
  AppendExposition(out, families, ExpositionFormat::kPrometheusText);
  CHECK(out == "prefix\n# TYPE g gauge\ng 1\n");
  CHECK(ContentTypeOf(ExpositionFormat::kPrometheusText) == kTextContentType);
  CHECK(ContentTypeOf(ExpositionFormat::kOpenMetrics) == kOpenMetricsContentType);
}

TEST_CASE("Exposition: type names", "[metrics][exposition]") {
  CHECK(TypeName(MetricType::kCounter) == "counter");
  CHECK(TypeName(MetricType::kGauge) == "gauge");
  CHECK(TypeName(MetricType::kHistogram) == "histogram");
  CHECK(TypeName(MetricType::kSummary) == "summary");
  CHECK(TypeName(MetricType::kUntyped) == "untyped");
}

TEST_CASE("Numbers: special values and chosen forms", "[metrics][exposition][numbers]") {
  using Limits = std::numeric_limits<double>;
  const auto [value, text] = GENERATE(table<double, std::string>({
      {Limits::infinity(), "+Inf"},
      {-Limits::infinity(), "-Inf"},
      {Limits::quiet_NaN(), "NaN"},
      {-Limits::quiet_NaN(), "NaN"},
      {0.0, "0"},
      {-0.0, "-0"},
      {1.0, "1"},
      {-3.0, "-3"},
      {0.1, "0.1"},
      {2.5, "2.5"},
      {100000.0, "100000"},                      // integers print as digits, not 1e+05
      {1700000000.0, "1700000000"},              // timestamps
      {9007199254740991.0, "9007199254740991"},  // 2^53 - 1
      {1e16, "1e+16"},                           // beyond 2^53: shortest form
      {1e300, "1e+300"},
      {1e-300, "1e-300"},
      {0.000001, "1e-06"},
      {123456.789, "123456.789"},
      {5e-324, "5e-324"},  // the smallest denormal
      {Limits::max(), "1.7976931348623157e+308"},
  }));
  CAPTURE(value);
  CHECK(FormatNumber(value) == text);
}

TEST_CASE("Numbers: formatting round-trips exactly", "[metrics][exposition][numbers]") {
  using Limits = std::numeric_limits<double>;
  SECTION("chosen values") {
    const double value =
        GENERATE(0.1, 0.2, 0.1 + 0.2, 1.0 / 3, 1e-300, 1e300, 5e-324, Limits::denorm_min() * 12345,
                 Limits::min(), Limits::max(), -Limits::max(), -0.0, 0.0, 9007199254740992.0,
                 9007199254740993.0, 18446744073709551616.0, 1e22, 1e23, 123456789012345678.0,
                 -1e-5, 2.2250738585072009e-308, 3.14159265358979, 1e21 + 1e5);
    CAPTURE(value);
    CHECK(RoundTrips(value));
  }
  SECTION("random bit patterns") {
    std::mt19937_64 random(20261125);
    int failures = 0;
    for (int i = 0; i < 20'000; ++i) {
      std::uint64_t bits = random();
      double value;
      std::memcpy(&value, &bits, sizeof value);
      if (std::isnan(value) || std::isinf(value)) continue;
      if (!RoundTrips(value)) {
        ++failures;
        UNSCOPED_INFO(FormatNumber(value));
      }
    }
    CHECK(failures == 0);
  }
  SECTION("random integers and decimals") {
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> decimal(-1e6, 1e6);
    int failures = 0;
    for (int i = 0; i < 20'000; ++i) {
      const double integer = static_cast<double>(static_cast<std::int64_t>(random() >> (i % 64)));
      failures += !RoundTrips(integer) + !RoundTrips(-integer) + !RoundTrips(decimal(random));
    }
    CHECK(failures == 0);
  }
}

TEST_CASE("Numbers: output does not depend on the C or C++ locale",
          "[metrics][exposition][numbers][locale]") {
  const std::string text_before = SampleText(ExpositionFormat::kPrometheusText);
  const std::string om_before = SampleText(ExpositionFormat::kOpenMetrics);
  const std::vector<double> values = {0.5, -1234567.25, 1e-7, 1234567.0, 2.5e300};
  std::vector<std::string> formatted;
  for (double value : values) formatted.push_back(FormatNumber(value));
  CHECK(formatted ==
        std::vector<std::string>{"0.5", "-1234567.25", "1e-07", "1234567", "2.5e+300"});

  SECTION("a global C++ locale with a decimal comma and thousands grouping") {
    const std::locale previous =
        std::locale::global(std::locale(std::locale::classic(), new DecimalComma));
    std::vector<std::string> after;
    for (double value : values) after.push_back(FormatNumber(value));
    const std::string text_after = SampleText(ExpositionFormat::kPrometheusText);
    const std::string om_after = SampleText(ExpositionFormat::kOpenMetrics);
    std::locale::global(previous);
    CHECK(after == formatted);
    CHECK(text_after == text_before);
    CHECK(om_after == om_before);
  }
  SECTION("a C locale with a decimal comma, when the system has one") {
    const std::string previous = std::setlocale(LC_ALL, nullptr);
    const char* found = nullptr;
    for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8"}) {
      if (std::setlocale(LC_ALL, name) != nullptr) {
        found = name;
        break;
      }
    }
    if (found == nullptr) {
      WARN("no decimal-comma C locale installed; only the C++ locale case was checked");
    } else {
      INFO("locale " << found);
      const bool comma = std::localeconv()->decimal_point[0] == ',';
      std::vector<std::string> after;
      for (double value : values) after.push_back(FormatNumber(value));
      const std::string text_after = SampleText(ExpositionFormat::kPrometheusText);
      std::setlocale(LC_ALL, previous.c_str());
      CHECK(comma);
      CHECK(after == formatted);
      CHECK(text_after == text_before);
    }
    std::setlocale(LC_ALL, previous.c_str());
  }
}
