// Two metrics of one registry must never be exposed under the same name in either format:
// OpenMetrics names a counter "x" (family "x_total" here) "x", and a histogram "x" has samples
// "x_bucket", "x_sum" and "x_count".

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/registry.h"

using namespace pushrun::metrics;

namespace {

using Make = std::function<void(Registry&)>;

Make MakeCounter(std::string name) {
  return [name](Registry& r) { Counter({.name = name, .registries = {&r}}); };
}
Make MakeGauge(std::string name) {
  return [name](Registry& r) { Gauge({.name = name, .registries = {&r}}); };
}
Make MakeHistogram(std::string name) {
  return [name](Registry& r) { Histogram({{.name = name, .registries = {&r}}, {}}); };
}

// The "# TYPE" lines of an exposition: one per family, so each name may appear once.
std::vector<std::string> TypeLines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string line = text.substr(start, end - start);
    if (line.starts_with("# TYPE ")) lines.push_back(line.substr(7, line.find(' ', 7) - 7));
    start = end + 1;
  }
  return lines;
}

}  // namespace

TEST_CASE("Registry: a counter x and a gauge x clash (OpenMetrics family x), in either order",
          "[metrics][registry]") {
  Registry registry(ExpositionFormat::kOpenMetrics);
  const bool counter_first = GENERATE(true, false);
  CAPTURE(counter_first);
  const Make first = counter_first ? MakeCounter("x") : MakeGauge("x");
  const Make second = counter_first ? MakeGauge("x") : MakeCounter("x");
  first(registry);
  try {
    second(registry);
    FAIL("the second registration was accepted");
  } catch (const UsageError& error) {
    const std::string message = error.what();
    CHECK_THAT(message, Catch::Contains("counter \"x_total\" is the OpenMetrics family \"x\""));
    CHECK_THAT(message, Catch::Contains("gauge \"x\""));
    CHECK_THAT(message, Catch::Contains("both would be exposed as \"x\" in OpenMetrics"));
  }
  // Whatever was refused left nothing behind: one family per name in both formats.
  CHECK(TypeLines(registry.Serialize()) == std::vector<std::string>{"x"});
  registry.set_format(ExpositionFormat::kPrometheusText);
  CHECK(TypeLines(registry.Serialize()).size() == 1);
}

TEST_CASE("Registry: a histogram x clashes with x_bucket, x_sum, x_count, in either order",
          "[metrics][registry]") {
  const std::string sample = GENERATE(as<std::string>{}, "x_bucket", "x_sum", "x_count");
  const bool histogram_first = GENERATE(true, false);
  CAPTURE(sample, histogram_first);
  // Both a gauge of that name and a counter whose OpenMetrics family has it.
  const bool gauge = GENERATE(true, false);
  CAPTURE(gauge);
  Registry registry;
  const Make other = gauge ? MakeGauge(sample) : MakeCounter(sample);
  (histogram_first ? MakeHistogram("x") : other)(registry);
  CHECK_THROWS_WITH((histogram_first ? other : MakeHistogram("x"))(registry),
                    Catch::Contains("histogram \"x\" has the samples \"" + sample + "\"") &&
                        Catch::Contains("rename one of them"));
  CHECK(registry.Collect().size() == 1);
}

TEST_CASE("Registry: a counter x and a histogram x clash in OpenMetrics", "[metrics][registry]") {
  Registry registry;
  MakeHistogram("x")(registry);
  CHECK_THROWS_WITH(MakeCounter("x")(registry), Catch::Contains("in OpenMetrics"));
}

TEST_CASE("Registry: names that only look alike do not clash", "[metrics][registry]") {
  Registry registry(ExpositionFormat::kOpenMetrics);
  MakeGauge("x")(registry);
  MakeGauge("x_count")(registry);  // no histogram x: just another gauge
  MakeGauge("requests_total")(registry);
  MakeCounter("y")(registry);
  MakeGauge("y_created")(registry);  // never written: counters get no _created sample here
  MakeHistogram("h")(registry);
  MakeGauge("h_total")(registry);
  CHECK(registry.Collect().size() == 7);
  const std::vector<std::string> types = TypeLines(registry.Serialize());
  CHECK(std::set<std::string>(types.begin(), types.end()).size() == types.size());
}

TEST_CASE("Registry: unregistering a counter frees its OpenMetrics name", "[metrics][registry]") {
  Registry registry;
  MakeCounter("x")(registry);
  CHECK(registry.Unregister("x_total"));
  CHECK_NOTHROW(MakeGauge("x")(registry));
  registry.Clear();
  CHECK_NOTHROW(MakeCounter("x")(registry));
}

TEST_CASE("Registry: one collectable's own families are not checked against each other",
          "[metrics][registry]") {
  // A parsed text 0.0.4 report may hold both; only OpenMetrics could not express them.
  Registry registry;
  std::vector<MetricFamily> families = {{"x_total", "", MetricType::kCounter, {}},
                                        {"x", "", MetricType::kGauge, {}},
                                        {"z_sum", "", MetricType::kGauge, {}}};
  CHECK_NOTHROW(registry.Register(std::make_shared<StaticCollectable>(std::move(families))));
  // Other metrics are checked against each of its families.
  CHECK_THROWS_WITH(MakeHistogram("z")(registry), Catch::Contains("gauge \"z_sum\""));
  CHECK(registry.Collect().size() == 3);
}
