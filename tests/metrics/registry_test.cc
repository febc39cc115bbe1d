#include "pushrun/metrics/registry.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pushrun/metrics/metric.h"

using namespace pushrun::metrics;

namespace {

std::vector<std::string> Names(const std::vector<MetricFamily>& families) {
  std::vector<std::string> names;
  for (const MetricFamily& family : families) names.push_back(family.name);
  return names;
}

std::shared_ptr<StaticCollectable> Static(std::vector<std::string> names) {
  std::vector<MetricFamily> families;
  for (std::string& name : names) {
    families.push_back(MetricFamily{std::move(name), "", MetricType::kGauge, {}});
  }
  return std::make_shared<StaticCollectable>(std::move(families));
}

}  // namespace

TEST_CASE("Registry: a second family with the same name is refused, naming it",
          "[metrics][registry]") {
  Registry registry;
  Gauge first({.name = "dup", .registries = {&registry}});
  CHECK_THROWS_WITH(Gauge({.name = "dup", .registries = {&registry}}),
                    Catch::Contains("\"dup\"") && Catch::Contains("already registered"));
  CHECK_THROWS_AS(Histogram({{.name = "dup", .registries = {&registry}}, {}}), UsageError);
  // A counter "x" is the family "x_total", so it clashes with a gauge named that way.
  Counter counter({.name = "x", .registries = {&registry}});
  CHECK_THROWS_WITH(Gauge({.name = "x_total", .registries = {&registry}}),
                    Catch::Contains("\"x_total\""));
  CHECK_THROWS_AS(Counter({.name = "x_total", .registries = {&registry}}), UsageError);
  CHECK(Names(registry.Collect()) == std::vector<std::string>{"dup", "x_total"});
}

TEST_CASE("Registry: one metric registered in several registries is seen by each",
          "[metrics][registry]") {
  Registry a;
  Registry b(ExpositionFormat::kOpenMetrics);
  Counter counter({.name = "shared", .registries = {&a, &b}});
  counter.Inc(3);
  CHECK(a.Collect().at(0).samples.at(0).value == 3);
  CHECK(b.Collect().at(0).samples.at(0).value == 3);
  CHECK(a.Serialize() == "# TYPE shared_total counter\nshared_total 3\n");
  CHECK(b.Serialize() == "# TYPE shared counter\nshared_total 3\n# EOF\n");
}

TEST_CASE("Registry: a conflict in a later registry leaves no registration behind",
          "[metrics][registry]") {
  Registry a;
  Registry b;
  Gauge taken({.name = "g", .registries = {&b}});
  CHECK_THROWS_AS(Gauge({.name = "g", .registries = {&a, &b}}), UsageError);
  CHECK(a.Collect().empty());
  CHECK_THROWS_AS(Gauge({.name = "h", .registries = {&a, &a}}), UsageError);
  CHECK(a.Collect().empty());
}

TEST_CASE("Registry: Unregister removes a family and frees its name", "[metrics][registry]") {
  Registry registry;
  Counter old({.name = "c", .registries = {&registry}});
  old.Inc(5);
  CHECK_FALSE(registry.Unregister("c"));  // the family is "c_total"
  CHECK(registry.Unregister("c_total"));
  CHECK_FALSE(registry.Unregister("c_total"));
  CHECK(registry.Collect().empty());
  Counter fresh({.name = "c", .registries = {&registry}});
  CHECK(registry.Collect().at(0).samples.at(0).value == 0);
  old.Inc();  // the old handle still works, it is just no longer exposed
  CHECK(old.Value() == 6);
}

TEST_CASE("Registry: Unregister removes every family of a collectable", "[metrics][registry]") {
  Registry registry;
  registry.Register(Static({"a", "b"}));
  CHECK(registry.Unregister("b"));
  CHECK(registry.Collect().empty());
  CHECK_NOTHROW(registry.Register(Static({"a"})));
}

TEST_CASE("Registry: Collect is sorted by family name whatever the registration order",
          "[metrics][registry]") {
  Registry registry;
  Gauge zeta({.name = "zeta", .registries = {&registry}});
  registry.Register(Static({"mu", "alpha"}));
  Histogram beta({{.name = "beta", .registries = {&registry}}, {1}});
  CHECK(Names(registry.Collect()) == std::vector<std::string>{"alpha", "beta", "mu", "zeta"});
  CHECK(registry.Serialize() == registry.Serialize());
}

TEST_CASE("Registry: static collectables may not repeat a name", "[metrics][registry]") {
  Registry registry;
  CHECK_THROWS_WITH(registry.Register(Static({"a", "b", "a"})), Catch::Contains("\"a\""));
  registry.Register(Static({"a"}));
  CHECK_THROWS_AS(registry.Register(Static({"b", "a"})), UsageError);
  CHECK(Names(registry.Collect()) == std::vector<std::string>{"a"});
  CHECK_THROWS_AS(registry.Register(nullptr), UsageError);
}

TEST_CASE("Registry: Clear empties it", "[metrics][registry]") {
  Registry registry;
  Gauge g({.name = "g", .registries = {&registry}});
  registry.Clear();
  CHECK(registry.Collect().empty());
  CHECK(registry.Serialize().empty());
  CHECK_NOTHROW(Gauge({.name = "g", .registries = {&registry}}));
}

TEST_CASE("Registry: metrics without registries go to the default registry",
          "[metrics][registry]") {
  const std::string name = "pushrun_registry_test_default_gauge";
  Gauge gauge({.name = name});
  gauge.Set(42);
  bool found = false;
  for (const MetricFamily& family : DefaultRegistry().Collect()) {
    if (family.name == name) found = family.samples.at(0).value == 42;
  }
  CHECK(found);
  CHECK_THROWS_AS(Gauge({.name = name}), UsageError);
  CHECK(DefaultRegistry().Unregister(name));
  CHECK(&DefaultRegistry() == &DefaultRegistry());
}

TEST_CASE("Registry: format and content type", "[metrics][registry]") {
  Registry registry;
  CHECK(registry.format() == ExpositionFormat::kPrometheusText);
  CHECK(registry.ContentType() == "text/plain; version=0.0.4; charset=utf-8");
  registry.set_format(ExpositionFormat::kOpenMetrics);
  CHECK(registry.ContentType() == "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(registry.Serialize() == "# EOF\n");
}

// A data race only a ThreadSanitizer build (`make tsan`, tag [concurrency]) sees: before the
// format became atomic it reported set_format writing while Serialize read.
TEST_CASE("Registry: set_format while other threads serialize is no data race",
          "[metrics][registry][concurrency]") {
  Registry registry;
  std::thread reader([&registry] {
    for (int i = 0; i < 200; ++i) {
      const std::string text = registry.Serialize();
      CHECK((text.empty() || text == "# EOF\n"));
    }
  });
  for (int i = 0; i < 200; ++i) {
    registry.set_format(i % 2 ? ExpositionFormat::kOpenMetrics : ExpositionFormat::kPrometheusText);
  }
  reader.join();
}
