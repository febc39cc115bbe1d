#include "pushrun/metrics/metric.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "pushrun/metrics/registry.h"

using namespace pushrun::metrics;

namespace {

MetricFamily Only(const Registry& registry) {
  std::vector<MetricFamily> families = registry.Collect();
  REQUIRE(families.size() == 1);
  return families.front();
}

double Now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("Counter: starts at zero, goes up and refuses to go down", "[metrics][metric]") {
  Registry registry;
  Counter counter({.name = "jobs", .help = "Jobs run.", .registries = {&registry}});
  CHECK(counter.Value() == 0);
  counter.Inc();
  counter.Inc(2.5);
  CHECK(counter.Value() == 3.5);
  CHECK_THROWS_AS(counter.Inc(-1), UsageError);
  CHECK_THROWS_AS(counter.Inc(NAN), UsageError);
  CHECK(counter.Value() == 3.5);

  const MetricFamily family = Only(registry);
  CHECK(family.type == MetricType::kCounter);
  CHECK(family.help == "Jobs run.");
  REQUIRE(family.samples.size() == 1);
  CHECK(family.samples[0].name == "jobs_total");
  CHECK(family.samples[0].labels.empty());
  CHECK(family.samples[0].value == 3.5);
}

TEST_CASE("Counter: the name may be given with or without _total; the family is <name>_total",
          "[metrics][metric]") {
  const std::string name = GENERATE("jobs", "jobs_total");
  Registry registry;
  Counter counter({.name = name, .registries = {&registry}});
  const MetricFamily family = Only(registry);
  CHECK(family.name == "jobs_total");
  CHECK(family.samples.at(0).name == "jobs_total");
}

TEST_CASE("Gauge: set, inc, dec and set to the current time", "[metrics][metric]") {
  Registry registry;
  Gauge gauge({.name = "temperature", .registries = {&registry}});
  CHECK(gauge.Value() == 0);
  gauge.Set(21.5);
  gauge.Inc();
  gauge.Dec(3);
  CHECK(gauge.Value() == 19.5);
  gauge.Set(-4);
  gauge.Inc(-1);
  CHECK(gauge.Value() == -5);

  const double before = Now();
  gauge.SetToCurrentTime();
  CHECK(gauge.Value() >= std::floor(before));
  CHECK(gauge.Value() <= Now() + 1);

  const MetricFamily family = Only(registry);
  CHECK(family.name == "temperature");
  CHECK(family.type == MetricType::kGauge);
  CHECK(family.samples.at(0).name == "temperature");
}

TEST_CASE("Histogram: cumulative buckets with le, _sum and _count", "[metrics][metric]") {
  Registry registry;
  Histogram histogram({{.name = "latency_seconds", .registries = {&registry}}, {0.1, 1, 5}});
  for (double value : {0.05, 0.1, 0.5, 1.0, 3.0, 7.0}) histogram.Observe(value);
  CHECK(histogram.Count() == 6);
  CHECK(histogram.Sum() == Approx(11.65));

  const MetricFamily family = Only(registry);
  CHECK(family.name == "latency_seconds");
  CHECK(family.type == MetricType::kHistogram);
  REQUIRE(family.samples.size() == 6);
  const std::vector<std::pair<std::string, double>> buckets = {
      {"0.1", 2}, {"1", 4}, {"5", 5}, {"+Inf", 6}};
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    const Sample& sample = family.samples[i];
    CHECK(sample.name == "latency_seconds_bucket");
    CHECK(sample.labels == Labels{{"le", buckets[i].first}});
    CHECK(sample.value == buckets[i].second);
  }
  CHECK(family.samples[4].name == "latency_seconds_sum");
  CHECK(family.samples[4].value == Approx(11.65));
  CHECK(family.samples[5].name == "latency_seconds_count");
  CHECK(family.samples[5].value == 6);
}

TEST_CASE("Histogram: default buckets, +Inf written out, NaN observations", "[metrics][metric]") {
  Registry registry;
  SECTION("empty buckets mean the default buckets") {
    Histogram histogram({{.name = "h", .registries = {&registry}}, {}});
    CHECK(DefaultBuckets() ==
          std::vector<double>{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10});
    CHECK(Only(registry).samples.size() == DefaultBuckets().size() + 1 + 2);
  }
  SECTION("a trailing +Inf bound is accepted and not doubled") {
    Histogram histogram({{.name = "h", .registries = {&registry}}, {1, INFINITY}});
    CHECK(Only(registry).samples.size() == 2 + 2);
  }
  SECTION("NaN lands in the +Inf bucket only") {
    Histogram histogram({{.name = "h", .registries = {&registry}}, {1}});
    histogram.Observe(NAN);
    const MetricFamily family = Only(registry);
    CHECK(family.samples[0].value == 0);
    CHECK(family.samples[1].value == 1);
    CHECK(std::isnan(histogram.Sum()));
  }
}

TEST_CASE("Histogram: bucket helpers", "[metrics][metric]") {
  CHECK(LinearBuckets(1, 2, 4) == std::vector<double>{1, 3, 5, 7});
  CHECK(ExponentialBuckets(1, 2, 4) == std::vector<double>{1, 2, 4, 8});
  CHECK_THROWS_AS(LinearBuckets(0, 0, 3), UsageError);
  CHECK_THROWS_AS(LinearBuckets(0, 1, 0), UsageError);
  CHECK_THROWS_AS(ExponentialBuckets(0, 2, 3), UsageError);
  CHECK_THROWS_AS(ExponentialBuckets(1, 1, 3), UsageError);
}

TEST_CASE("Histogram: bounds must be finite and strictly increasing", "[metrics][metric]") {
  Registry registry;
  const std::vector<double> bounds =
      GENERATE(std::vector<double>{1, 1}, std::vector<double>{2, 1}, std::vector<double>{NAN},
               std::vector<double>{-INFINITY, 1}, std::vector<double>{1, INFINITY, 2});
  CHECK_THROWS_AS(Histogram({{.name = "h", .registries = {&registry}}, bounds}), UsageError);
  CHECK(registry.Collect().empty());
}

TEST_CASE("Labels: each tuple of values is its own child, created on first use",
          "[metrics][metric]") {
  Registry registry;
  Counter counter({.name = "requests",
                   .help = "Requests.",
                   .label_names = {"method", "code"},
                   .registries = {&registry}});
  CHECK(Only(registry).samples.empty());  // no children yet, metadata only

  counter.Labels({"GET", "200"}).Inc();
  counter.Labels({"GET", "200"}).Inc();
  CounterChild post = counter.Labels({"POST", "500"});
  post.Inc(5);
  counter.Labels({"GET", "404"}).Inc(0);
  CHECK(counter.Labels({"GET", "200"}).Value() == 2);
  CHECK(post.Value() == 5);

  const MetricFamily family = Only(registry);
  REQUIRE(family.samples.size() == 3);
  // Ordered by label values, whatever the creation order.
  CHECK(family.samples[0].labels == Labels{{"method", "GET"}, {"code", "200"}});
  CHECK(family.samples[0].value == 2);
  CHECK(family.samples[1].labels == Labels{{"method", "GET"}, {"code", "404"}});
  CHECK(family.samples[2].labels == Labels{{"method", "POST"}, {"code", "500"}});
  CHECK(family.samples[2].value == 5);
}

TEST_CASE("Labels: gauge and histogram children", "[metrics][metric]") {
  Registry registry;
  Gauge gauge({.name = "g", .label_names = {"disk"}, .registries = {&registry}});
  GaugeChild sda = gauge.Labels({"sda"});
  sda.Set(3);
  sda.Inc(2);
  sda.Dec();
  CHECK(gauge.Labels({"sda"}).Value() == 4);
  CHECK(gauge.Labels({"sdb"}).Value() == 0);

  Histogram histogram({{.name = "h", .label_names = {"path"}, .registries = {&registry}}, {1}});
  histogram.Labels({"/a"}).Observe(0.5);
  histogram.Labels({"/a"}).Observe(2);
  CHECK(histogram.Labels({"/a"}).Count() == 2);
  CHECK(histogram.Labels({"/a"}).Sum() == 2.5);
  CHECK(histogram.Labels({"/b"}).Count() == 0);

  const std::vector<MetricFamily> families = registry.Collect();
  REQUIRE(families.size() == 2);
  const MetricFamily& h = families[1];
  REQUIRE(h.samples.size() == 8);
  CHECK(h.samples[0].labels == Labels{{"path", "/a"}, {"le", "1"}});
  CHECK(h.samples[2].labels == Labels{{"path", "/a"}});  // _sum carries no le
}

TEST_CASE("Labels: wrong number of values, unlabelled shorthands and bad values are refused",
          "[metrics][metric]") {
  Registry registry;
  Counter labelled({.name = "c", .label_names = {"a", "b"}, .registries = {&registry}});
  CHECK_THROWS_WITH(labelled.Labels({"x"}),
                    Catch::Contains("2 label name(s)") && Catch::Contains("1 label value(s)"));
  CHECK_THROWS_AS(labelled.Labels({"x", "y", "z"}), UsageError);
  CHECK_THROWS_AS(labelled.Inc(), UsageError);
  CHECK_THROWS_AS(labelled.Value(), UsageError);
  CHECK_THROWS_WITH(labelled.Labels({"ok", "\xFF"}), Catch::Contains("UTF-8"));

  Gauge unlabelled({.name = "g", .registries = {&registry}});
  CHECK_THROWS_AS(unlabelled.Labels({"x"}), UsageError);
  unlabelled.Labels({}).Set(7);  // the unlabelled child itself
  CHECK(unlabelled.Value() == 7);

  // Any UTF-8 is a fine label value, including the characters that need escaping.
  CHECK_NOTHROW(labelled.Labels({"", "Grüße \"\\\n"}).Inc());
}

TEST_CASE("Validation: bad metric and label names name the offending string", "[metrics][metric]") {
  Registry registry;
  CHECK_THROWS_WITH(Gauge({.name = "0bad", .registries = {&registry}}),
                    Catch::Contains("\"0bad\""));
  CHECK_THROWS_WITH(Gauge({.name = "g", .label_names = {"bad-label"}, .registries = {&registry}}),
                    Catch::Contains("\"bad-label\""));
  CHECK_THROWS_WITH(Gauge({.name = "g", .label_names = {"__x"}, .registries = {&registry}}),
                    Catch::Contains("\"__x\""));
  CHECK_THROWS_WITH(Gauge({.name = "g", .label_names = {"a", "a"}, .registries = {&registry}}),
                    Catch::Contains("\"a\"") && Catch::Contains("twice"));
  CHECK_THROWS_WITH(
      Histogram({{.name = "h", .label_names = {"le"}, .registries = {&registry}}, {}}),
      Catch::Contains("\"le\"") && Catch::Contains("reserved"));
  CHECK_THROWS_WITH(Counter({.name = "c", .help = "\xC0\xAF", .registries = {&registry}}),
                    Catch::Contains("UTF-8"));
  CHECK(registry.Collect().empty());  // nothing half-registered

  // "le" is only reserved for histograms.
  CHECK_NOTHROW(Gauge({.name = "g", .label_names = {"le"}, .registries = {&registry}}));
}

TEST_CASE("Metrics: copies are handles to the same state", "[metrics][metric]") {
  Registry registry;
  Counter counter({.name = "c", .registries = {&registry}});
  Counter copy = counter;
  copy.Inc(4);
  CHECK(counter.Value() == 4);
}

TEST_CASE("Metrics: concurrent updates from several threads add up exactly",
          "[metrics][metric][threads][concurrency]") {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20'000;
  Registry registry;
  Counter counter({.name = "c", .registries = {&registry}});
  Counter labelled({.name = "l", .label_names = {"worker"}, .registries = {&registry}});
  Gauge gauge({.name = "g", .registries = {&registry}});
  Histogram histogram({{.name = "h", .registries = {&registry}}, {0.5}});

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counter.Inc();
        labelled.Labels({std::to_string(i % 4)}).Inc(0.5);
        gauge.Inc(2);
        gauge.Dec();
        histogram.Observe((i + t) % 2 == 0 ? 0.25 : 1.0);
        if (i % 1000 == 0) registry.Collect();  // collection races with updates
      }
    });
  }
  for (auto& thread : threads) thread.join();

  constexpr double kTotal = double{kThreads} * kPerThread;
  CHECK(counter.Value() == kTotal);
  CHECK(gauge.Value() == kTotal);
  CHECK(histogram.Count() == kThreads * kPerThread);
  CHECK(histogram.Sum() == Approx(kTotal / 2 * 0.25 + kTotal / 2 * 1.0));
  double labelled_total = 0;
  for (int w = 0; w < 4; ++w) labelled_total += labelled.Labels({std::to_string(w)}).Value();
  CHECK(labelled_total == kTotal * 0.5);
}
