// The Pushgateway client against Debian's real prometheus-pushgateway (started per test on a
// free loopback port, memory only) and against a scripted fault server. What the gateway stored
// is read back from its /metrics page.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "support/fault_server.h"
#include "support/hostile_server.h"
#include "support/pushgateway_process.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

namespace {

using namespace pushrun::metrics;
using pushrun::testing::FaultServer;
using pushrun::testing::HostileServer;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::ScriptedResponse;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The transport every client uses: libcurl.
std::shared_ptr<Transport> AnyTransport() { return MakeCurlTransport(); }

// A self-signed certificate for 127.0.0.1 in `dir`: {cert, key}.
std::pair<std::string, std::string> LoopbackCertificate(const TempDir& dir) {
  const std::string cert = dir.path + "/cert.pem";
  const std::string key = dir.path + "/key.pem";
  const std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key + "' -out '" + cert + "' >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  return {cert, key};
}

PushOptions WithTransport(std::shared_ptr<Transport> transport) {
  PushOptions options;
  options.transport = std::move(transport);
  return options;
}

// A registry holding gauges with fixed values.
class Gauges {
 public:
  Gauges& Set(const std::string& name, double value) {
    Gauge gauge({.name = name, .help = "Test gauge.", .registries = {&registry}});
    gauge.Set(value);
    return *this;
  }
  Registry registry;
};

}  // namespace

TEST_CASE("Pushgateway (real): PUT replaces the group, POST only the families sent",
          "[metrics][push][integration]") {
  PushgatewayProcess gateway;
  const PushOptions options = WithTransport(AnyTransport());
  const PushParams group{.job_name = "batch", .groupings = {{"instance", "a"}}};

  Gauges both;
  both.Set("pushrun_it_a", 1).Set("pushrun_it_b", 2);
  REQUIRE(Pushgateway(gateway.url(), options, both.registry).Push(group).status == 200);
  CHECK(gateway.Lines("pushrun_it_b", {"instance=\"a\"", "job=\"batch\""}).size() == 1);

  SECTION("PUT with only a: b is gone") {
    Gauges only_a;
    only_a.Set("pushrun_it_a", 10);
    Pushgateway(gateway.url(), options, only_a.registry).Push(group);
    CHECK(gateway.Lines("pushrun_it_a", {"instance=\"a\""}) ==
          std::vector<std::string>{"pushrun_it_a{instance=\"a\",job=\"batch\"} 10"});
    CHECK(gateway.Lines("pushrun_it_b").empty());
  }
  SECTION("POST with only a: a is replaced (not summed), b is kept") {
    Gauges only_a;
    only_a.Set("pushrun_it_a", 10);
    Pushgateway(gateway.url(), options, only_a.registry).PushAdd(group);
    CHECK(gateway.Lines("pushrun_it_a", {"instance=\"a\""}) ==
          std::vector<std::string>{"pushrun_it_a{instance=\"a\",job=\"batch\"} 10"});
    CHECK(gateway.Lines("pushrun_it_b", {"instance=\"a\""}) ==
          std::vector<std::string>{"pushrun_it_b{instance=\"a\",job=\"batch\"} 2"});
  }
  SECTION("POST replaces all series of a family it names") {
    Registry labelled;
    Gauge a({.name = "pushrun_it_a",
             .help = "Test gauge.",
             .label_names = {"x"},
             .registries = {&labelled}});
    a.Labels({"1"}).Set(1);
    a.Labels({"2"}).Set(2);
    Pushgateway(gateway.url(), options, labelled).Push(group);
    Registry one;
    Gauge a1({.name = "pushrun_it_a",
              .help = "Test gauge.",
              .label_names = {"x"},
              .registries = {&one}});
    a1.Labels({"1"}).Set(5);
    Pushgateway(gateway.url(), options, one).PushAdd(group);
    CHECK(gateway.Lines("pushrun_it_a", {"x=\"1\""}).size() == 1);
    CHECK(gateway.Lines("pushrun_it_a", {"x=\"2\""}).empty());
  }
}

TEST_CASE("Pushgateway (real): DELETE removes exactly the group and no other",
          "[metrics][push][integration]") {
  PushgatewayProcess gateway;
  const PushOptions options = WithTransport(AnyTransport());
  Gauges metrics;
  metrics.Set("pushrun_it_g", 1);
  Pushgateway client(gateway.url(), options, metrics.registry);
  client.Push({.job_name = "j", .groupings = {{"i", "1"}}});
  client.Push({.job_name = "j", .groupings = {{"i", "2"}}});
  client.Push({.job_name = "j"});
  REQUIRE(gateway.Lines("pushrun_it_g").size() == 3);

  PushResult result = client.Delete({.job_name = "j", .groupings = {{"i", "1"}}});
  CHECK(result.status == 202);
  // The gateway applies a DELETE after its 202 answer, so the deletion is polled for.
  CHECK(WaitUntil([&] { return gateway.Lines("pushrun_it_g", {"i=\"1\""}).empty(); }));
  CHECK(gateway.Lines("pushrun_it_g", {"i=\"2\""}).size() == 1);
  CHECK(gateway.Lines("pushrun_it_g").size() == 2);
}

TEST_CASE("Pushgateway (real): awkward grouping values and job names are stored exactly",
          "[metrics][push][integration]") {
  PushgatewayProcess gateway;
  const PushOptions options = WithTransport(AnyTransport());
  Gauges metrics;
  metrics.Set("pushrun_it_v", 1);
  Pushgateway client(gateway.url(), options, metrics.registry);
  const std::vector<std::string> values = {
      "a/b", "",        "two words", "a+b", "100%", "user@host", "na\xc3\xafve/\xf0\x9f\x98\x80",
      "//",  "Az09._~-"};
  for (size_t i = 0; i < values.size(); ++i) {
    CAPTURE(values[i]);
    REQUIRE(client.Push({.job_name = "job/" + std::to_string(i), .groupings = {{"v", values[i]}}})
                .status == 200);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    CAPTURE(values[i]);
    CHECK(gateway
              .Lines("pushrun_it_v",
                     {"job=\"job/" + std::to_string(i) + "\"", "v=\"" + values[i] + "\""})
              .size() == 1);
  }
  CHECK(gateway.Lines("pushrun_it_v").size() == values.size());
}

TEST_CASE("Pushgateway (real): a type conflict fails with the gateway's own explanation",
          "[metrics][push][integration]") {
  PushgatewayProcess gateway;
  Gauges as_gauge;
  as_gauge.Set("pushrun_it_conflict", 1);
  Pushgateway(gateway.url(), {}, as_gauge.registry).Push({.job_name = "first"});

  Registry as_counter;
  MetricFamily family{
      .name = "pushrun_it_conflict", .help = "Test.", .type = MetricType::kCounter, .samples = {}};
  family.samples.push_back(
      Sample{.name = "pushrun_it_conflict", .labels = {}, .value = 1, .timestamp_ms = {}});
  as_counter.Register(std::make_shared<StaticCollectable>(std::vector{family}));
  try {
    Pushgateway(gateway.url(), {}, as_counter).Push({.job_name = "second"});
    FAIL("the gateway accepted a conflicting type");
  } catch (const PushError& e) {
    CHECK(e.category() == ErrorCategory::kHttp);
    CHECK(e.status() == 400);
    CHECK_THAT(e.body(), Catch::Contains("pushrun_it_conflict"));
    std::string body = e.body();
    while (!body.empty() && (body.back() == '\n' || body.back() == ' ')) body.pop_back();
    CHECK_THAT(e.what(), Catch::Contains("HTTP 400 Bad Request: " + body));
    CHECK(e.attempts() == 1);
  }
}

TEST_CASE("Pushgateway (real): gzip bodies are accepted", "[metrics][push][integration]") {
  PushgatewayProcess gateway;
  PushOptions options = WithTransport(AnyTransport());
  options.gzip = true;
  Gauges metrics;
  metrics.Set("pushrun_it_gzip", 42);
  CHECK(Pushgateway(gateway.url(), options, metrics.registry).Push({.job_name = "z"}).status ==
        200);
  CHECK(gateway.Lines("pushrun_it_gzip", {"job=\"z\""}) ==
        std::vector<std::string>{"pushrun_it_gzip{instance=\"\",job=\"z\"} 42"});
}

TEST_CASE("Pushgateway (real): a base URL with a path prefix reaches --web.route-prefix",
          "[metrics][push][integration]") {
  PushgatewayProcess::Options gateway_options;
  gateway_options.route_prefix = "/pgw";
  PushgatewayProcess gateway(gateway_options);
  Gauges metrics;
  metrics.Set("pushrun_it_prefix", 7);
  Pushgateway client(gateway.url() + "/", WithTransport(AnyTransport()), metrics.registry);
  CHECK(client.UrlFor({.job_name = "p"}) == gateway.url() + "/metrics/job/p");
  CHECK(client.Push({.job_name = "p"}).status == 200);
  CHECK(gateway.Lines("pushrun_it_prefix", {"job=\"p\""}).size() == 1);
}

TEST_CASE("Pushgateway (real): TLS with basic auth from --web.config.file",
          "[metrics][push][integration]") {
  TempDir dir;
  const auto [cert, key] = LoopbackCertificate(dir);
  // bcrypt (cost 4) of "pushrun-test-password", made once with Python's crypt module.
  const std::string web_config =
      dir.File("web.yml", "tls_server_config:\n  cert_file: " + cert + "\n  key_file: " + key +
                              "\nbasic_auth_users:\n  alice: "
                              "$2b$04$5P4PKW15znLVqyOoFnCnfuFxNrjDhrETCzpTiZRLbX/DGgEUtSp.m\n");
  PushgatewayProcess::Options gateway_options;
  gateway_options.web_config_file = web_config;
  gateway_options.https = true;
  PushgatewayProcess gateway(gateway_options);
  REQUIRE(gateway.url().starts_with("https://127.0.0.1:"));

  Gauges metrics;
  metrics.Set("pushrun_it_tls", 1);
  PushOptions options;
  options.basic_auth = BasicAuth{"alice", "pushrun-test-password"};
  options.tls.ca_file = cert;

  SECTION("the right password and the CA file succeed") {
    CHECK(Pushgateway(gateway.url(), options, metrics.registry).Push({.job_name = "t"}).status ==
          200);
  }
  SECTION("a wrong password is a 401 error") {
    options.basic_auth->password = "wrong-password";
    try {
      Pushgateway(gateway.url(), options, metrics.registry).Push({.job_name = "t"});
      FAIL("accepted a wrong password");
    } catch (const PushError& e) {
      CHECK(e.category() == ErrorCategory::kHttp);
      CHECK(e.status() == 401);
      CHECK_THAT(e.what(), !Catch::Contains("wrong-password"));
    }
  }
  SECTION("an unknown CA fails verification") {
    options.tls.ca_file.clear();
    try {
      Pushgateway(gateway.url(), options, metrics.registry).Push({.job_name = "t"});
      FAIL("trusted an unknown CA");
    } catch (const PushError& e) {
      CHECK(e.category() == ErrorCategory::kTransport);
      CHECK(e.status() == 0);
    }
    SECTION("unless verification is switched off") {
      options.tls.insecure_skip_verify = true;
      CHECK(Pushgateway(gateway.url(), options, metrics.registry).Push({.job_name = "t"}).status ==
            200);
    }
  }
}

TEST_CASE("Pushgateway (capturing server): a body pushed over http and over https is the same",
          "[metrics][push][integration]") {
  TempDir dir;
  const auto [cert, key] = LoopbackCertificate(dir);
  HostileServer plain("capture");
  HostileServer tls("capture", cert, key);
  REQUIRE(tls.url().starts_with("https://"));

  Gauges metrics;
  metrics.Set("pushrun_it_same", 1.5).Set("pushrun_it_other", -2);
  PushOptions options;
  options.gzip = GENERATE(false, true);
  options.format = GENERATE(BodyFormat::kText, BodyFormat::kProtobuf);
  options.tls.ca_file = cert;
  const PushParams group{.job_name = "same", .groupings = {{"odd", "a/b c"}}};
  CHECK(Pushgateway(plain.url(), options, metrics.registry).Push(group).status == 200);
  CHECK(Pushgateway(tls.url(), options, metrics.registry).Push(group).status == 200);

  const std::string sent = plain.CapturedBodies();
  CHECK_FALSE(sent.empty());
  CHECK(tls.CapturedBodies() == sent);
  CHECK(plain.Log() == tls.Log());  // the same method, path and size
}

TEST_CASE("Pushgateway (fault server): a server that never answers fails within the timeout",
          "[metrics][push][integration]") {
  FaultServer server({ScriptedResponse::NeverAnswer()});
  PushOptions options = WithTransport(AnyTransport());
  options.timeout = milliseconds(500);
  Gauges metrics;
  metrics.Set("pushrun_it_hang", 1);
  const auto start = Clock::now();
  try {
    Pushgateway(server.url(), options, metrics.registry).Push({.job_name = "h"});
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(e.category() == ErrorCategory::kTransport);
  }
  CHECK(Clock::now() - start < std::chrono::seconds(5));  // generous: the point is no hang
  CHECK(server.request_count() == 1);
}

TEST_CASE("Pushgateway (fault server): 503, 503, 200 succeeds on the third attempt",
          "[metrics][push][integration]") {
  FaultServer server({ScriptedResponse::Status(503, "busy"), ScriptedResponse::Status(503),
                      ScriptedResponse::Status(200)});
  PushOptions options = WithTransport(AnyTransport());
  options.retry.max_retries = 3;
  options.retry.initial_backoff = milliseconds(5);
  Gauges metrics;
  metrics.Set("pushrun_it_retry", 1);
  CHECK(Pushgateway(server.url(), options, metrics.registry)
            .PushAdd({.job_name = "r", .groupings = {{"v", "a b"}}})
            .status == 200);
  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  for (const auto& request : requests) {
    CHECK(request.method == "POST");
    CHECK(request.path == "/metrics/job/r/v@base64/YSBi");
    CHECK(request.Header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(request.body == requests[0].body);
  }
  CHECK_THAT(requests[0].body, Catch::Contains("pushrun_it_retry 1\n"));
}

TEST_CASE("Pushgateway (fault server): a 400 is tried exactly once",
          "[metrics][push][integration]") {
  FaultServer server({ScriptedResponse::Status(400, "bad push"), ScriptedResponse::Status(200)});
  PushOptions options = WithTransport(AnyTransport());
  options.retry.max_retries = 3;
  options.retry.initial_backoff = milliseconds(5);
  Gauges metrics;
  metrics.Set("pushrun_it_once", 1);
  try {
    Pushgateway(server.url(), options, metrics.registry).Push({.job_name = "o"});
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(e.status() == 400);
    CHECK(e.body() == "bad push");
    CHECK(e.attempts() == 1);
  }
  CHECK(server.request_count() == 1);
}
