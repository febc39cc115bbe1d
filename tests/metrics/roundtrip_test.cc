// Registries with random names, labels and values are written with WriteText and parsed
// back with ParseText; the parser must return exactly the families the registry collected.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/registry.h"

namespace pm = pushrun::metrics;

namespace {

class RandomRegistry {
 public:
  explicit RandomRegistry(std::uint64_t seed) : rng_(seed) {}

  // Label values exercise every escape, raw bytes that need none, and multi-byte UTF-8.
  std::string LabelValue() {
    static const char* const kPieces[] = {
        "a", "Z", "0", " ", "\"",  "\\",   "\n",   "\r", "\t", "{",    "}",    ",",  "=",
        "#", "é", "✓", "🚀", "\\n", "\\\"", "+Inf", "le", "ß",  "日本", "\x7f", "''", "a b c"};
    return Pieces(kPieces, std::size(kPieces), 0, 6);
  }

  // HELP text: escapes, quotes and UTF-8, but no leading blank (the text format, like Go's
  // expfmt, skips blanks before the docstring) and no carriage return (refused by the parser
  // as a "\r\n" line ending).
  std::string Help() {
    static const char* const kPieces[] = {"x", "Help", " ", "\\",  "\n", "\"", "\t",
                                          "é", "✓",    "🚀", "\\n", "{}", "#"};
    std::string help = "h" + Pieces(kPieces, std::size(kPieces), 0, 8);
    return Chance(5) ? std::string() : help;
  }

  // Any double: specials, signed zeros, denormals, huge and tiny magnitudes, integers.
  double Value() {
    switch (Uniform(0, 9)) {
      case 0:
        return std::numeric_limits<double>::quiet_NaN();
      case 1:
        return Chance(2) ? std::numeric_limits<double>::infinity()
                         : -std::numeric_limits<double>::infinity();
      case 2:
        return Chance(2) ? 0.0 : -0.0;
      case 3:
        return std::numeric_limits<double>::denorm_min() * static_cast<double>(Uniform(1, 1000));
      case 4:
        return static_cast<double>(Uniform(-1'000'000, 1'000'000));
      case 5:
        return std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng_),
                          Uniform(-1074, 1023));
      default: {
        const std::uint64_t bits = rng_();
        double value;
        std::memcpy(&value, &bits, sizeof value);
        return value;
      }
    }
  }

  double NonNegative() {
    switch (Uniform(0, 4)) {
      case 0:
        return 0;
      case 1:
        return static_cast<double>(Uniform(1, 1'000'000));
      case 2:
        return std::numeric_limits<double>::infinity();
      default:
        return std::ldexp(std::uniform_real_distribution<double>(0, 1)(rng_), Uniform(-1074, 1023));
    }
  }

  std::vector<std::string> LabelNames(bool histogram) {
    static const char* const kNames[] = {"a",  "code",     "method",     "path", "_x",
                                         "le", "quantile", "instance_2", "Z"};
    std::vector<std::string> names;
    for (const char* name : kNames) {
      if (histogram && std::string_view(name) == "le") continue;
      if (Chance(3)) names.emplace_back(name);
    }
    std::shuffle(names.begin(), names.end(), rng_);
    return names;
  }

  std::vector<std::string> LabelValues(std::size_t count) {
    std::vector<std::string> values;
    for (std::size_t i = 0; i < count; ++i) values.push_back(LabelValue());
    return values;
  }

  void Fill(pm::Registry& registry) {
    const int metrics = Uniform(1, 8);
    for (int m = 0; m < metrics; ++m) {
      const std::string name = "m" + std::to_string(m) + (Chance(2) ? ":sub_" : "_") + "x";
      const int kind = Uniform(0, 2);
      const bool histogram = kind == 2;
      pm::HistogramOptions options;
      options.name = name;
      options.help = Help();
      options.label_names = LabelNames(histogram);
      options.registries = {&registry};
      const int children = options.label_names.empty() ? 1 : Uniform(1, 5);
      if (kind == 0) {
        pm::Gauge gauge(options);
        for (int c = 0; c < children; ++c) {
          if (options.label_names.empty()) {
            gauge.Set(Value());
          } else {
            gauge.Labels(LabelValues(options.label_names.size())).Set(Value());
          }
        }
      } else if (kind == 1) {
        pm::Counter counter(options);
        for (int c = 0; c < children; ++c) {
          if (options.label_names.empty()) {
            counter.Inc(NonNegative());
          } else {
            counter.Labels(LabelValues(options.label_names.size())).Inc(NonNegative());
          }
        }
      } else {
        double bound = std::ldexp(1.0, Uniform(-20, 10));
        const int buckets = Uniform(1, 6);
        for (int b = 0; b < buckets; ++b) {
          options.buckets.push_back(bound);
          bound *= 1 + std::uniform_real_distribution<double>(0.001, 10)(rng_);
        }
        pm::Histogram histogram_metric(options);
        for (int c = 0; c < children; ++c) {
          const int observations = Uniform(0, 20);
          if (options.label_names.empty()) {
            for (int o = 0; o < observations; ++o) histogram_metric.Observe(Value());
          } else {
            pm::HistogramChild child =
                histogram_metric.Labels(LabelValues(options.label_names.size()));
            for (int o = 0; o < observations; ++o) child.Observe(Value());
          }
        }
      }
    }
  }

 private:
  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  bool Chance(int one_in) { return Uniform(1, one_in) == 1; }
  std::string Pieces(const char* const* pieces, std::size_t count, int low, int high) {
    std::string out;
    const int n = Uniform(low, high);
    for (int i = 0; i < n; ++i) out += pieces[Uniform(0, static_cast<int>(count) - 1)];
    return out;
  }

  std::mt19937_64 rng_;
};

bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;
}

std::string Describe(const pm::Sample& sample) {
  std::ostringstream out;
  out << sample.name << "{";
  for (const pm::Label& label : sample.labels) out << label.name << "=" << label.value << ",";
  out << "} " << sample.value;
  return out.str();
}

}  // namespace

TEST_CASE("Round trip: WriteText then ParseText gives back the registry's families and values",
          "[metrics][parser][roundtrip]") {
  const std::uint64_t seed = GENERATE(range(1, 61));
  pm::Registry registry;
  RandomRegistry(seed).Fill(registry);

  std::vector<pm::MetricFamily> expected = registry.Collect();
  // Families without samples are written as a bare TYPE line and dropped by the parser.
  std::erase_if(expected, [](const pm::MetricFamily& family) { return family.samples.empty(); });

  const std::string text = pm::WriteText(registry.Collect());
  INFO("seed " << seed << ", text:\n" << text);
  const pm::ParseResult parsed = pm::ParseText(text);
  if (parsed.error) FAIL(parsed.error->Format("written"));

  REQUIRE(parsed.families.size() == expected.size());
  for (std::size_t f = 0; f < expected.size(); ++f) {
    const pm::MetricFamily& want = expected[f];
    const pm::MetricFamily& got = parsed.families[f];
    INFO("family " << want.name);
    CHECK(got.name == want.name);
    CHECK(got.help == want.help);
    CHECK(got.type == want.type);
    REQUIRE(got.samples.size() == want.samples.size());
    for (std::size_t s = 0; s < want.samples.size(); ++s) {
      INFO("want " << Describe(want.samples[s]) << "\ngot  " << Describe(got.samples[s]));
      CHECK(got.samples[s].name == want.samples[s].name);
      CHECK(got.samples[s].labels == want.samples[s].labels);
      CHECK(SameValue(got.samples[s].value, want.samples[s].value));
      CHECK_FALSE(got.samples[s].timestamp_ms.has_value());
    }
  }
}
