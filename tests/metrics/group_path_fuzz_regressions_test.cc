// Inputs found by tests/fuzz/group_path_fuzz.cc.

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "support/pushgateway_process.h"

using pushrun::metrics::GroupPath;
using pushrun::metrics::PushParams;

TEST_CASE(
    "Pushgateway: a job or grouping value of \".\" or \"..\" is sent base64url-encoded, since "
    "clients and the gateway rewrite dot segments",
    "[metrics][push][fuzz]") {
  CHECK(GroupPath({.job_name = "nightly", .groupings = {{"shard", ".."}}}) ==
        "/metrics/job/nightly/shard@base64/Li4");
  CHECK(GroupPath({.job_name = ".", .groupings = {{"shard", "."}}}) ==
        "/metrics/job@base64/Lg/shard@base64/Lg");
  // Only whole dot segments are special.
  CHECK(GroupPath({.job_name = "...", .groupings = {{"v", ".a."}}}) == "/metrics/job/.../v/.a.");
}

TEST_CASE("Pushgateway: a push with grouping value \"..\" lands in exactly that group",
          "[metrics][push][fuzz][integration]") {
  pushrun::testing::PushgatewayProcess gateway;
  pushrun::metrics::MetricFamily family;
  family.name = "pushrun_dots_test";
  family.type = pushrun::metrics::MetricType::kGauge;
  family.samples.push_back({.name = family.name, .labels = {}, .value = 7, .timestamp_ms = {}});
  pushrun::metrics::Registry registry;
  registry.Register(std::make_shared<pushrun::metrics::StaticCollectable>(
      std::vector<pushrun::metrics::MetricFamily>{family}));
  pushrun::metrics::Pushgateway client(gateway.url(), {}, registry);
  client.PushAdd({.job_name = "nightly", .groupings = {{"shard", ".."}}});
  const auto lines = gateway.Lines("pushrun_dots_test", {"job=\"nightly\"", "shard=\"..\""});
  REQUIRE(lines.size() == 1);
  CHECK_THAT(lines[0], Catch::EndsWith(" 7"));
}
