// RemoteWriter and its WriteRequest encoder, checked with an independent decoder
// (tests/support/remote_write_decoder) and a scripted HTTP server on loopback.

#include "pushrun/metrics/remote_write.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/registry.h"
#include "support/fault_server.h"
#include "support/remote_write_decoder.h"

namespace {

using namespace pushrun::metrics;
using pushrun::testing::DecodedSeries;
using pushrun::testing::DecodeWriteRequest;
using pushrun::testing::FaultServer;
using pushrun::testing::ScriptedResponse;
using pushrun::testing::SnappyUncompress;
using LabelMap = std::map<std::string, std::string>;

constexpr std::int64_t kTimestamp = 1'764'000'000'123;

std::vector<MetricFamily> Parse(const std::string& text) {
  ParseResult result = ParseText(text);
  REQUIRE(result.ok());
  return result.families;
}

LabelMap LabelsOf(const DecodedSeries& series) {
  return LabelMap(series.labels.begin(), series.labels.end());
}

// The decoded series by their labels, each checked to hold exactly one sample.
std::map<LabelMap, double> SeriesByLabels(const std::string& protobuf, std::int64_t timestamp) {
  std::map<LabelMap, double> out;
  for (const DecodedSeries& series : DecodeWriteRequest(protobuf).series) {
    REQUIRE(series.samples.size() == 1);
    CHECK(series.samples[0].second == timestamp);
    CHECK(out.emplace(LabelsOf(series), series.samples[0].first).second);
  }
  return out;
}

PushOptions Quick(int retries = 0) {
  PushOptions options;
  options.timeout = std::chrono::seconds(5);
  options.retry.max_retries = retries;
  options.retry.initial_backoff = std::chrono::milliseconds(1);
  options.retry.max_backoff = std::chrono::milliseconds(5);
  return options;
}

}  // namespace

TEST_CASE("RemoteWriter: a write is one POST of snappy protobuf with the remote-write headers",
          "[metrics][remote-write]") {
  Registry registry;
  Gauge gauge({.name = "job_duration_seconds", .registries = {&registry}});
  gauge.Set(2.5);
  FaultServer server({ScriptedResponse::Status(204)});
  RemoteWriter writer(server.url() + "/api/v1/write", Quick(), registry);

  const PushResult result = writer.Write(
      {.job_name = "backup", .labels = {{"instance", "db1"}}, .timestamp_ms = kTimestamp});

  CHECK(result.status == 204);
  REQUIRE(server.request_count() == 1);
  const auto request = server.requests()[0];
  CHECK(request.method == "POST");
  CHECK(request.path == "/api/v1/write");
  CHECK(request.Header("content-encoding") == "snappy");
  CHECK(request.Header("content-type") == "application/x-protobuf");
  CHECK(request.Header("x-prometheus-remote-write-version") == "0.1.0");
  CHECK(request.Header("user-agent").rfind("pushrun/", 0) == 0);
  // Snappy's block format, not the framed one (which starts with a stream identifier chunk).
  CHECK(request.body.rfind("\xff\x06\x00\x00sNaPpY", 0) != 0);
  const std::string protobuf = SnappyUncompress(request.body);
  CHECK(protobuf ==
        writer.BodyFor(
            {.job_name = "backup", .labels = {{"instance", "db1"}}, .timestamp_ms = kTimestamp}));
  const auto series = SeriesByLabels(protobuf, kTimestamp);
  CHECK(series ==
        std::map<LabelMap, double>{
            {{{"__name__", "job_duration_seconds"}, {"instance", "db1"}, {"job", "backup"}}, 2.5}});
}

TEST_CASE("RemoteWriter: labels are sorted by name, __name__ among them, with no empty value",
          "[metrics][remote-write]") {
  const auto families = Parse("x{zeta=\"1\",Alpha=\"2\",empty=\"\",b=\"3\"} 7\n");
  const std::string protobuf = EncodeWriteRequest(
      families,
      {.job_name = "j", .labels = {{"instance", ""}, {"env", "prod"}}, .timestamp_ms = kTimestamp});
  const auto decoded = DecodeWriteRequest(protobuf);
  REQUIRE(decoded.series.size() == 1);
  std::vector<std::string> names;
  for (const auto& [name, value] : decoded.series[0].labels) {
    names.push_back(name);
    CHECK_FALSE(value.empty());
  }
  // Byte order, as Prometheus compares them: upper case before '_' before lower case.
  CHECK(names == std::vector<std::string>{"Alpha", "__name__", "b", "env", "job", "zeta"});
}

TEST_CASE("RemoteWriter: every sample of a family is a series of its own with one sample",
          "[metrics][remote-write]") {
  Registry registry;
  Counter counter({.name = "files", .label_names = {"kind"}, .registries = {&registry}});
  counter.Labels({"full"}).Inc(3);
  counter.Labels({"diff"}).Inc(1);
  const auto series = SeriesByLabels(
      EncodeWriteRequest(registry.Collect(), {.job_name = "j", .timestamp_ms = kTimestamp}),
      kTimestamp);
  CHECK(series == std::map<LabelMap, double>{
                      {{{"__name__", "files_total"}, {"job", "j"}, {"kind", "full"}}, 3},
                      {{{"__name__", "files_total"}, {"job", "j"}, {"kind", "diff"}}, 1}});
}

TEST_CASE(
    "RemoteWriter: histograms go as _bucket with le, _sum and _count; summaries as "
    "quantiles, _sum and _count",
    "[metrics][remote-write]") {
  Registry registry;
  Histogram histogram({{.name = "latency_seconds", .registries = {&registry}}, {0.1, 1}});
  histogram.Observe(0.05);
  histogram.Observe(0.5);
  histogram.Observe(3);
  std::vector<MetricFamily> families = registry.Collect();
  for (MetricFamily& family : Parse("# TYPE rpc summary\n"
                                    "rpc{quantile=\"0.5\"} 0.2\n"
                                    "rpc{quantile=\"0.99\"} 0.9\n"
                                    "rpc_sum 12\n"
                                    "rpc_count 40\n")) {
    families.push_back(std::move(family));
  }
  const auto series = SeriesByLabels(
      EncodeWriteRequest(families, {.job_name = "j", .timestamp_ms = kTimestamp}), kTimestamp);
  CHECK(series == std::map<LabelMap, double>{
                      {{{"__name__", "latency_seconds_bucket"}, {"job", "j"}, {"le", "0.1"}}, 1},
                      {{{"__name__", "latency_seconds_bucket"}, {"job", "j"}, {"le", "1"}}, 2},
                      {{{"__name__", "latency_seconds_bucket"}, {"job", "j"}, {"le", "+Inf"}}, 3},
                      {{{"__name__", "latency_seconds_sum"}, {"job", "j"}}, 3.55},
                      {{{"__name__", "latency_seconds_count"}, {"job", "j"}}, 3},
                      {{{"__name__", "rpc"}, {"job", "j"}, {"quantile", "0.5"}}, 0.2},
                      {{{"__name__", "rpc"}, {"job", "j"}, {"quantile", "0.99"}}, 0.9},
                      {{{"__name__", "rpc_sum"}, {"job", "j"}}, 12},
                      {{{"__name__", "rpc_count"}, {"job", "j"}}, 40},
                  });
  // Metadata gives each family's type (prompb: histogram 3, summary 5) and help.
  const auto metadata =
      DecodeWriteRequest(EncodeWriteRequest(families, {.job_name = "j", .timestamp_ms = 1}))
          .metadata;
  REQUIRE(metadata.size() == 2);
  CHECK(metadata[0].family_name == "latency_seconds");
  CHECK(metadata[0].type == 3);
  CHECK(metadata[1].family_name == "rpc");
  CHECK(metadata[1].type == 5);
}

TEST_CASE("RemoteWriter: extra families are written after the registry's",
          "[metrics][remote-write]") {
  Registry registry;
  Gauge gauge({.name = "own", .registries = {&registry}});
  gauge.Set(1);
  FaultServer server({ScriptedResponse::Status(200)});
  RemoteWriter writer(server.url() + "/write", Quick(), registry);
  const auto sidecar = Parse("rows_written 42\n");
  writer.Write({.job_name = "j", .timestamp_ms = kTimestamp}, sidecar);
  REQUIRE(server.request_count() == 1);
  const auto series = SeriesByLabels(SnappyUncompress(server.requests()[0].body), kTimestamp);
  CHECK(series == std::map<LabelMap, double>{{{{"__name__", "own"}, {"job", "j"}}, 1},
                                             {{{"__name__", "rows_written"}, {"job", "j"}}, 42}});
}

TEST_CASE("RemoteWriter: a write without a timestamp is stamped with the time of the call",
          "[metrics][remote-write]") {
  Registry registry;
  Gauge gauge({.name = "g", .registries = {&registry}});
  RemoteWriter writer("http://127.0.0.1:1/api/v1/write", Quick(), registry);
  const auto now = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = now();
  const auto decoded = DecodeWriteRequest(writer.BodyFor({.job_name = "j"}));
  const std::int64_t after = now();
  REQUIRE(decoded.series.size() == 1);
  CHECK(decoded.series[0].samples[0].second >= before);
  CHECK(decoded.series[0].samples[0].second <= after);
}

TEST_CASE("RemoteWriter: invalid writes fail validation before any request is sent",
          "[metrics][remote-write]") {
  FaultServer server({ScriptedResponse::Status(204)});
  Registry registry;
  RemoteWriteParams params{.job_name = "j", .labels = {{"env", "prod"}}, .timestamp_ms = 1};
  std::string text = "ok 1\n";
  std::string expected;
  SECTION("empty job") {
    params.job_name.clear();
    expected = "job name is empty";
  }
  SECTION("bad label name") {
    params.labels = {{"a-b", "x"}};
    expected = "label name \"a-b\"";
  }
  SECTION("reserved label name") {
    params.labels = {{"__x", "x"}};
    expected = "label name \"__x\"";
  }
  SECTION("job among the labels") {
    params.labels = {{"job", "x"}};
    expected = "\"job\"";
  }
  SECTION("a series carrying job") {
    text = "x{job=\"other\"} 1\n";
    expected = "carries the label \"job\"";
  }
  SECTION("a series carrying one of the labels") {
    text = "x{env=\"dev\"} 1\n";
    expected = "carries the label \"env\"";
  }
  SECTION("a sample with its own timestamp") {
    text = "x 1 1700000000000\n";
    expected = "has its own timestamp";
  }
  RemoteWriter writer(server.url() + "/api/v1/write", Quick(), registry);
  try {
    writer.Write(params, Parse(text));
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(e.category() == ErrorCategory::kValidation);
    CHECK_THAT(e.what(), Catch::Contains(expected));
    CHECK_THAT(e.what(), Catch::Contains("POST " + server.url() + "/api/v1/write failed"));
  }
  CHECK(server.request_count() == 0);
}

TEST_CASE("RemoteWriter: malformed URLs and options are refused at construction",
          "[metrics][remote-write]") {
  CHECK_THROWS_AS(RemoteWriter("ftp://host/api/v1/write"), UsageError);
  CHECK_THROWS_AS(RemoteWriter("http://host/api/v1/write#x"), UsageError);
  CHECK_THROWS_AS(RemoteWriter("http://host/api v1"), UsageError);
  PushOptions options;
  options.timeout = std::chrono::milliseconds(0);
  CHECK_THROWS_AS(RemoteWriter("http://host/api/v1/write", options), UsageError);
  // Checked as a gateway URL is: credentials belong in the options, where logs never see them.
  CHECK_THROWS_AS(RemoteWriter("http://u:secret@host/api/v1/write"), UsageError);
  CHECK_THROWS_AS(RemoteWriter("http://host/api/v1/write?tenant=a"), UsageError);
  CHECK(RemoteWriter("HTTP://host:9428/api/v1/write").url() == "http://host:9428/api/v1/write");
}

TEST_CASE("RemoteWriter: credentials and extra headers go with the write, never into errors",
          "[metrics][remote-write]") {
  FaultServer server({ScriptedResponse::Status(401, "no")});
  Registry registry;
  PushOptions options = Quick();
  options.bearer_token = "s3cret-token";
  options.headers = {{"X-Scope-OrgID", "team-a"}};
  RemoteWriter writer(server.url() + "/api/v1/push", options, registry);
  try {
    writer.Write({.job_name = "j", .timestamp_ms = 1});
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(e.status() == 401);
    CHECK_THAT(e.what(), !Catch::Contains("s3cret-token"));
  }
  REQUIRE(server.request_count() == 1);
  CHECK(server.requests()[0].Header("authorization") == "Bearer s3cret-token");
  CHECK(server.requests()[0].Header("x-scope-orgid") == "team-a");
}

TEST_CASE("RemoteWriter: a receiver's 400 is not retried and its answer is in the error",
          "[metrics][remote-write]") {
  FaultServer server({ScriptedResponse::Status(400, "out of order sample\n")});
  Registry registry;
  RemoteWriter writer(server.url() + "/api/v1/write", Quick(3), registry);
  try {
    writer.Write({.job_name = "j", .timestamp_ms = 1});
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(e.category() == ErrorCategory::kHttp);
    CHECK(e.status() == 400);
    CHECK(e.body() == "out of order sample\n");
    CHECK(e.attempts() == 1);
    CHECK_THAT(e.what(), Catch::Contains("HTTP 400 Bad Request: out of order sample"));
  }
  CHECK(server.request_count() == 1);
}

TEST_CASE("RemoteWriter: 503 and 429 with Retry-After are retried within the deadline",
          "[metrics][remote-write]") {
  const int status = GENERATE(503, 429);
  ScriptedResponse busy = ScriptedResponse::Status(status, "busy");
  busy.headers = {{"Retry-After", "1"}};
  Registry registry;
  PushOptions options = Quick(2);
  options.retry.deadline = std::chrono::seconds(10);

  SECTION("the retry after the wait succeeds") {
    FaultServer server({busy, ScriptedResponse::Status(204)});
    RemoteWriter writer(server.url() + "/api/v1/write", options, registry);
    const auto start = std::chrono::steady_clock::now();
    CHECK(writer.Write({.job_name = "j", .timestamp_ms = 1}).status == 204);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(900));
    REQUIRE(server.request_count() == 2);
    // The same body both times: a retry resends the whole request.
    CHECK(server.requests()[0].body == server.requests()[1].body);
  }
  SECTION("a Retry-After past the deadline ends the write at once") {
    busy.headers = {{"Retry-After", "60"}};
    FaultServer server({busy, ScriptedResponse::Status(204)});
    RemoteWriter writer(server.url() + "/api/v1/write", options, registry);
    try {
      writer.Write({.job_name = "j", .timestamp_ms = 1});
      FAIL("no error");
    } catch (const PushError& e) {
      CHECK(e.status() == status);
      CHECK_THAT(e.what(), Catch::Contains("Retry-After is past the deadline"));
    }
    CHECK(server.request_count() == 1);
  }
}

TEST_CASE("RemoteWriter: the async form resolves to the same result", "[metrics][remote-write]") {
  FaultServer server({ScriptedResponse::Status(204)});
  Registry registry;
  RemoteWriter writer(server.url() + "/api/v1/write", Quick(), registry);
  auto future = writer.WriteAsync({.job_name = "j", .timestamp_ms = 1});
  CHECK(future.get().status == 204);
  CHECK(server.request_count() == 1);
}

namespace {

// Random families of every type with random labels (some empty), names and values (NaN, ±Inf,
// -0, subnormals), and what a receiver must make of them: one series per sample with __name__,
// job and the extra labels, empty values dropped.
struct RandomCase {
  std::vector<MetricFamily> families;
  RemoteWriteParams params;
  std::map<LabelMap, double> expected;
};

RandomCase MakeRandomCase(std::mt19937_64& random) {
  auto pick = [&](int n) { return static_cast<int>(random() % n); };
  auto word = [&](std::string_view first_chars) {
    static constexpr std::string_view kChars =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789";
    std::string out(1, first_chars[pick(static_cast<int>(first_chars.size()))]);
    for (int i = pick(12); i > 0; --i) out += kChars[pick(static_cast<int>(kChars.size()))];
    return out;
  };
  auto value_text = [&] {
    std::string out;
    for (int i = pick(20); i > 0; --i) out += static_cast<char>(' ' + pick(95));
    if (pick(4) == 0) out += "\xc3\xa9\xe2\x82\xac";  // UTF-8
    return pick(5) == 0 ? std::string() : out;
  };
  auto number = [&]() -> double {
    switch (pick(8)) {
      case 0:
        return std::nan("");
      case 1:
        return pick(2) ? INFINITY : -INFINITY;
      case 2:
        return -0.0;
      case 3:
        return 4.9e-324;
      default: {
        double d;
        std::uint64_t bits = random();
        std::memcpy(&d, &bits, sizeof d);
        return std::isnan(d) ? 1.5 : d;
      }
    }
  };

  RandomCase c;
  c.params.job_name = value_text();
  if (c.params.job_name.empty()) c.params.job_name = "job";
  c.params.timestamp_ms = static_cast<std::int64_t>(random()) >> pick(40);
  for (int i = pick(4); i > 0; --i) c.params.labels["x" + word("abc")] = value_text();

  const MetricType types[] = {MetricType::kCounter, MetricType::kGauge, MetricType::kHistogram,
                              MetricType::kSummary, MetricType::kUntyped};
  for (int f = pick(6); f > 0; --f) {
    MetricFamily family;
    family.name = word("abcdefghijklmnopqrstuvwxyz_:") + std::to_string(f);
    family.type = types[pick(5)];
    family.help = pick(2) ? value_text() : "";
    for (int s = 1 + pick(8); s > 0; --s) {
      Sample sample;
      sample.name = family.name + (pick(2) ? "_sum" : "");
      sample.value = number();
      // Distinct label sets: a serial label, plus random ones not clashing with the extras.
      sample.labels.push_back({"serial", std::to_string(s)});
      for (int l = pick(4); l > 0; --l) {
        std::string name = "l" + word("abc") + std::to_string(l);
        sample.labels.push_back({name, value_text()});
      }
      LabelMap expected{{"__name__", sample.name}, {"job", c.params.job_name}};
      for (const Label& label : sample.labels) {
        if (!label.value.empty()) expected[label.name] = label.value;
      }
      for (const auto& [name, value] : c.params.labels) {
        if (!value.empty()) expected[name] = value;
      }
      c.expected[expected] = sample.value;
      family.samples.push_back(std::move(sample));
    }
    // Sample names differ per family (the family name is in them) and label sets per sample.
    c.families.push_back(std::move(family));
  }
  return c;
}

bool SameValue(double a, double b) {
  return std::memcmp(&a, &b, sizeof a) == 0;  // NaN payloads and -0 too
}

}  // namespace

TEST_CASE("RemoteWriter: random writes decode back to the same series, through snappy too",
          "[metrics][remote-write]") {
  std::mt19937_64 random(20261129);
  for (int round = 0; round < 300; ++round) {
    RandomCase c = MakeRandomCase(random);
    INFO("round " << round);
    const std::string protobuf = EncodeWriteRequest(c.families, c.params);
    const auto decoded = DecodeWriteRequest(protobuf);
    std::size_t sample_count = 0;
    for (const auto& family : c.families) sample_count += family.samples.size();
    REQUIRE(decoded.series.size() == sample_count);
    CHECK(decoded.metadata.size() == c.families.size());
    for (const DecodedSeries& series : decoded.series) {
      REQUIRE(series.samples.size() == 1);
      CHECK(series.samples[0].second == c.params.timestamp_ms);
      for (std::size_t i = 1; i < series.labels.size(); ++i) {
        CHECK(series.labels[i - 1].first < series.labels[i].first);
      }
      const auto found = c.expected.find(LabelsOf(series));
      REQUIRE(found != c.expected.end());
      CHECK(SameValue(found->second, series.samples[0].first));
    }
  }
  // And the same through the wire: what the receiver gets uncompresses to the encoder's output.
  FaultServer server({ScriptedResponse::Status(204)});
  for (int round = 0; round < 5; ++round) {
    RandomCase c = MakeRandomCase(random);
    Registry registry;
    RemoteWriter writer(server.url() + "/api/v1/write", Quick(), registry);
    writer.Write(c.params, c.families);
    CHECK(SnappyUncompress(server.requests().back().body) ==
          EncodeWriteRequest(c.families, c.params));
  }
}
