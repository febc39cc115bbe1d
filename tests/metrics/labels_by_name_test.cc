// Labels by name, as prom-client's labels({status: "ok"}): any order, each name once.

#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>
#include <string>

#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/registry.h"

using namespace pushrun::metrics;

namespace {

std::string MessageOf(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("Labels by name: any order picks the same child as the positional form",
          "[metrics][metric][labels]") {
  Registry registry;
  Counter counter(
      {.name = "jobs_processed", .label_names = {"job_type", "status"}, .registries = {&registry}});
  counter.Labels({{"status", "success"}, {"job_type", "data_processing"}}).Inc();
  counter.Labels({{"job_type", "data_processing"}, {"status", "success"}}).Inc(2);
  CHECK(counter.Labels({"data_processing", "success"}).Value() == 3);
  // The swapped positional values are a different series, untouched.
  CHECK(counter.Labels({"success", "data_processing"}).Value() == 0);
}

TEST_CASE("Labels by name: every metric kind takes them", "[metrics][metric][labels]") {
  Registry registry;
  Gauge gauge({.name = "queue", .label_names = {"a", "b"}, .registries = {&registry}});
  gauge.Labels({{"b", "2"}, {"a", "1"}}).Set(7);
  CHECK(gauge.Labels({"1", "2"}).Value() == 7);

  Histogram histogram(
      {{.name = "latency", .label_names = {"route", "code"}, .registries = {&registry}}, {0.1, 1}});
  histogram.Labels({{"code", "200"}, {"route", "/"}}).Observe(0.5);
  CHECK(histogram.Labels({"/", "200"}).Count() == 1);
}

TEST_CASE("Labels by name: a missing, unknown or repeated name is refused by name",
          "[metrics][metric][labels]") {
  Registry registry;
  Counter counter({.name = "c", .label_names = {"job_type", "status"}, .registries = {&registry}});
  CHECK_THROWS_AS(counter.Labels({{"status", "ok"}}), UsageError);
  CHECK_THAT(MessageOf([&] {
               counter.Labels({{"status", "ok"}});
             }),
             Catch::Contains("\"job_type\"") && Catch::Contains("missing"));
  CHECK_THAT(MessageOf([&] {
               counter.Labels({{"status", "ok"}, {"jobtype", "x"}});
             }),
             Catch::Contains("no label named \"jobtype\"") &&
                 Catch::Contains("its labels: job_type, status"));
  CHECK_THAT(MessageOf([&] {
               counter.Labels({{"status", "ok"}, {"status", "bad"}, {"job_type", "x"}});
             }),
             Catch::Contains("\"status\"") && Catch::Contains("twice"));
  // Nothing was created by the refused calls.
  CHECK(registry.Collect().front().samples.empty());
}
