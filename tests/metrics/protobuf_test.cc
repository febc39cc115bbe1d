// The protobuf exposition: its bytes for a small family, and, against the real Pushgateway,
// that every kind of family pushed as protobuf is stored exactly as the same text pushed as
// text.

#include "pushrun/metrics/protobuf.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "support/pushgateway_process.h"

namespace {

using namespace pushrun::metrics;

// Every family kind, labels in odd orders, escapes, specials, interleaved histogram series.
constexpr const char* kText = R"(# HELP requests_total Requests "served"\nby path \\ kind.
# TYPE requests_total counter
requests_total{path="/a",code="200"} 12
requests_total{code="500",path="/b"} 3
# TYPE temperature gauge
temperature{room="lab"} -4.5
temperature{room="hall"} NaN
temperature{room="roof"} +Inf
# TYPE things untyped
things 7
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{op="r",le="0.1"} 1
latency_seconds_bucket{le="0.1",op="w"} 0
latency_seconds_bucket{op="r",le="1"} 3
latency_seconds_bucket{op="w",le="1"} 2
latency_seconds_bucket{op="r",le="+Inf"} 4
latency_seconds_bucket{op="w",le="+Inf"} 2
latency_seconds_sum{op="r"} 2.5
latency_seconds_count{op="r"} 4
latency_seconds_sum{op="w"} 0.75
latency_seconds_count{op="w"} 2
# TYPE size_bytes summary
size_bytes{quantile="0.5",kind="x"} 100
size_bytes{quantile="0.99",kind="x"} 2000
size_bytes_sum{kind="x"} 12345
size_bytes_count{kind="x"} 42
)";

std::vector<MetricFamily> Families() {
  ParseResult parsed = ParseText(kText);
  REQUIRE(parsed.ok());
  return std::move(parsed.families);
}

// The gateway's lines for `job`, with the job label taken out so two jobs compare equal.
std::vector<std::string> Stored(const pushrun::testing::PushgatewayProcess& gateway,
                                const std::string& job) {
  std::vector<std::string> lines;
  for (const char* name :
       {"requests_total", "temperature", "things", "latency_seconds_bucket", "latency_seconds_sum",
        "latency_seconds_count", "size_bytes", "size_bytes_sum", "size_bytes_count"}) {
    for (std::string line : gateway.Lines(name, {"job=\"" + job + "\""})) {
      const std::string label = "job=\"" + job + "\"";
      line.erase(line.find(label), label.size());
      lines.push_back(line);
    }
  }
  return lines;
}

}  // namespace

TEST_CASE("Protobuf: a gauge family is one length-delimited MetricFamily message",
          "[metrics][protobuf]") {
  MetricFamily family{.name = "g", .help = "", .type = MetricType::kGauge, .samples = {}};
  family.samples.push_back(
      Sample{.name = "g", .labels = {{"a", "b"}}, .value = 1.0, .timestamp_ms = {}});
  // name "g"; type GAUGE (1); metric { label { name "a" value "b" } gauge { value 1.0 } }
  const std::string expected(
      "\x1a\x0a\x01g\x18\x01\x22\x13\x0a\x06\x0a\x01\x61\x12\x01\x62"
      "\x12\x09\x09\x00\x00\x00\x00\x00\x00\xf0\x3f",
      27);
  CHECK(WriteProtobuf(std::vector<MetricFamily>{family}) == expected);
}

TEST_CASE("Pushgateway (real): every family kind pushed as protobuf is stored as its text is",
          "[metrics][protobuf][integration]") {
  pushrun::testing::PushgatewayProcess gateway;
  for (const BodyFormat format : {BodyFormat::kText, BodyFormat::kProtobuf}) {
    Registry registry;
    registry.Register(std::make_shared<StaticCollectable>(Families()));
    PushOptions options;
    options.format = format;
    const Pushgateway client(gateway.url(), options, registry);
    const std::string job = format == BodyFormat::kText ? "as_text" : "as_protobuf";
    CHECK(client.Push({.job_name = job}).status == 200);
  }
  const std::vector<std::string> text = Stored(gateway, "as_text");
  CHECK(text.size() == 20);
  CHECK(Stored(gateway, "as_protobuf") == text);
}

TEST_CASE("Pushgateway: extra protobuf bytes go after the registry's in a protobuf push",
          "[metrics][protobuf][integration]") {
  pushrun::testing::PushgatewayProcess gateway;
  Registry registry;
  registry.Register(std::make_shared<StaticCollectable>(Families()));
  PushOptions options;
  options.format = BodyFormat::kProtobuf;
  const Pushgateway client(gateway.url(), options, registry);
  MetricFamily extra{
      .name = "extra_rows", .help = "Rows.", .type = MetricType::kGauge, .samples = {}};
  extra.samples.push_back(
      Sample{.name = "extra_rows", .labels = {}, .value = 9, .timestamp_ms = {}});
  std::string bytes;
  AppendProtobuf(bytes, extra);
  CHECK(client.PushAdd({.job_name = "both"}, bytes).status == 200);
  CHECK(gateway.Lines("extra_rows", {"job=\"both\""}).size() == 1);
  CHECK(Stored(gateway, "both").size() == 20);
}

TEST_CASE("Protobuf: a family without samples is a MetricFamily without Metric",
          "[metrics][protobuf]") {
  const MetricFamily empty{.name = "g", .help = "", .type = MetricType::kUntyped, .samples = {}};
  // name "g"; type UNTYPED (3); nothing else.
  CHECK(WriteProtobuf(std::vector<MetricFamily>{empty}) == std::string("\x05\x0a\x01g\x18\x03", 6));
}

// Undocumented Pushgateway behaviour pushrun's heartbeats rely on to leave no trace (tried on
// 1.5.1): a POST in protobuf replaces each family it names, and a family with no metrics
// replaces it with nothing.
TEST_CASE("Pushgateway (real): a protobuf POST of an empty family deletes only that family",
          "[metrics][protobuf][integration]") {
  pushrun::testing::PushgatewayProcess gateway;
  const PushParams group{.job_name = "nightly", .groupings = {{"instance", "db1"}}};
  {
    ParseResult parsed = ParseText(
        "# TYPE a gauge\na{part=\"x\"} 1\na{part=\"y\"} 2\n# TYPE b gauge\nb 3\n"
        "# TYPE last_success gauge\nlast_success 1.7e9\n");
    REQUIRE(parsed.ok());
    Registry registry;
    registry.Register(std::make_shared<StaticCollectable>(std::move(parsed.families)));
    REQUIRE(Pushgateway(gateway.url(), {}, registry).PushAdd(group).status == 200);
  }
  const std::vector<std::string> instance = {"instance=\"db1\"", "job=\"nightly\""};
  REQUIRE(gateway.Lines("a", instance).size() == 2);
  REQUIRE(gateway.Lines("push_time_seconds", instance).size() == 1);

  SECTION("a text \"# TYPE\" line without samples changes nothing") {
    Registry registry;
    const Pushgateway text(gateway.url(), {}, registry);
    REQUIRE(text.PushAdd(group, "# TYPE a gauge\n").status == 200);
    CHECK(gateway.Lines("a", instance).size() == 2);
  }
  SECTION("an empty family in protobuf removes every series of it, and only it") {
    Registry registry;
    registry.Register(std::make_shared<StaticCollectable>(std::vector<MetricFamily>{
        {.name = "a", .help = "", .type = MetricType::kUntyped, .samples = {}}}));
    PushOptions options;
    options.format = BodyFormat::kProtobuf;
    REQUIRE(Pushgateway(gateway.url(), options, registry).PushAdd(group).status == 200);
    CHECK(gateway.Lines("a", instance).empty());
    CHECK(gateway.Lines("b", instance).size() == 1);
    CHECK(gateway.Lines("last_success", instance).size() == 1);
    CHECK(gateway.Lines("push_time_seconds", instance).size() == 1);
  }
}
