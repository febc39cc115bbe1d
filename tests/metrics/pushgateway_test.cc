// The Pushgateway client without a network: a fake Transport records every request and plays
// back scripted responses, so URLs, headers, bodies, validation and retries are checked exactly.

#include "pushrun/metrics/pushgateway.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/registry.h"

namespace {

using namespace pushrun::metrics;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// One scripted outcome: a response, or a transport failure when `failure` is set.
struct Step {
  int status = 200;
  Headers headers{};
  std::string body{};
  std::string failure{};
};

class FakeTransport : public Transport {
 public:
  explicit FakeTransport(std::vector<Step> script = {Step{}}) : script_(std::move(script)) {}

  HttpResponse Send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    const Step& step = script_[std::min(requests_.size(), script_.size() - 1)];
    requests_.push_back(request);
    if (!step.failure.empty()) throw TransportFailure(step.failure);
    return HttpResponse{step.status, step.headers, step.body};
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Step> script_;
  std::vector<HttpRequest> requests_;
};

std::string Gunzip(const std::string& data) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, 15 + 16) == Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[4096];
  int result;
  do {
    stream.next_out = reinterpret_cast<Bytef*>(chunk);
    stream.avail_out = sizeof chunk;
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - stream.avail_out);
  } while (result == Z_OK);
  inflateEnd(&stream);
  REQUIRE(result == Z_STREAM_END);
  return out;
}

std::string HeaderOf(const HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "<absent>";
}

// A registry with one gauge, and a client over a fake transport.
struct Fixture {
  explicit Fixture(std::vector<Step> script = {Step{}}, PushOptions options = {},
                   std::string url = "http://gw.example:9091")
      : transport(std::make_shared<FakeTransport>(std::move(script))) {
    Gauge gauge({.name = "job_duration_seconds", .help = "How long.", .registries = {&registry}});
    gauge.Set(1.5);
    options.transport = transport;
    gateway = std::make_unique<Pushgateway>(url, options, registry);
  }
  Registry registry;
  std::shared_ptr<FakeTransport> transport;
  std::unique_ptr<Pushgateway> gateway;
};

PushOptions FastRetries(int max_retries) {
  PushOptions options;
  options.retry.max_retries = max_retries;
  options.retry.initial_backoff = milliseconds(1);
  options.retry.max_backoff = milliseconds(4);
  return options;
}

}  // namespace

TEST_CASE("Pushgateway: grouping values are sent plain only when every byte is URL-safe",
          "[metrics][push]") {
  auto [value, segment] = GENERATE(table<std::string, std::string>({
      {"db1", "/v/db1"},
      {"Az09._~-", "/v/Az09._~-"},
      {"", "/v@base64/="},
      {"a/b", "/v@base64/YS9i"},
      {"a b", "/v@base64/YSBi"},
      {"a+b", "/v@base64/YSti"},
      {"100%", "/v@base64/MTAwJQ"},
      {"user@host", "/v@base64/dXNlckBob3N0"},
      {"\xc3\xbc", "/v@base64/w7w"},
      {"na\xc3\xafve/\xf0\x9f\x98\x80", "/v@base64/bmHDr3ZlL_CfmIA"},
  }));
  CAPTURE(value);
  CHECK(GroupPath({.job_name = "j", .groupings = {{"v", value}}}) == "/metrics/job/j" + segment);
}

TEST_CASE("Pushgateway: a job name with '/' is base64url-encoded like a grouping value",
          "[metrics][push]") {
  CHECK(GroupPath({.job_name = "a/b"}) == "/metrics/job@base64/YS9i");
  CHECK(GroupPath({.job_name = "backup"}) == "/metrics/job/backup");
}

TEST_CASE("Pushgateway: groupings appear sorted by name whatever the insertion order",
          "[metrics][push]") {
  PushParams params{.job_name = "j"};
  params.groupings["zone"] = "z1";
  params.groupings["instance"] = "i1";
  params.groupings["app"] = "a1";
  CHECK(GroupPath(params) == "/metrics/job/j/app/a1/instance/i1/zone/z1");
}

TEST_CASE("Pushgateway: the base URL's port and path prefix are kept, trailing '/' dropped",
          "[metrics][push]") {
  auto [base, expected] = GENERATE(table<std::string, std::string>({
      {"http://gw:9091", "http://gw:9091/metrics/job/j"},
      {"http://gw:9091/", "http://gw:9091/metrics/job/j"},
      {"https://gw.example/pgw/", "https://gw.example/pgw/metrics/job/j"},
      {"http://[::1]:9091/a/b//", "http://[::1]:9091/a/b/metrics/job/j"},
  }));
  Fixture f({Step{}}, {}, base);
  CHECK(f.gateway->UrlFor({.job_name = "j"}) == expected);
  f.gateway->Push({.job_name = "j"});
  CHECK(f.transport->requests().at(0).url == expected);
}

TEST_CASE("Pushgateway: malformed base URLs are refused at construction", "[metrics][push]") {
  auto url = GENERATE("gw:9091", "ftp://gw", "http://", "http://gw:0", "http://gw/x?y=1",
                      "http://gw/x#f", "http://gw/a b");
  CAPTURE(url);
  CHECK_THROWS_AS(Pushgateway(url, {.transport = std::make_shared<FakeTransport>()}), UsageError);
}

TEST_CASE("Pushgateway: Push sends PUT, PushAdd POST and Delete DELETE", "[metrics][push]") {
  Fixture f;
  const PushParams params{.job_name = "j", .groupings = {{"instance", "a"}}};
  CHECK(f.gateway->Push(params).status == 200);
  CHECK(f.gateway->PushAdd(params).status == 200);
  CHECK(f.gateway->Delete(params).status == 200);
  auto requests = f.transport->requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].method == "PUT");
  CHECK(requests[1].method == "POST");
  CHECK(requests[2].method == "DELETE");
  for (const auto& request : requests) {
    CHECK(request.url == "http://gw.example:9091/metrics/job/j/instance/a");
  }
  SECTION("PUT and POST carry the whole registry as text 0.0.4, DELETE nothing") {
    const std::string text = WriteText(f.registry.Collect());
    CHECK(requests[0].body == text);
    CHECK(requests[1].body == text);
    CHECK(HeaderOf(requests[0], "Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(requests[2].body.empty());
    CHECK(HeaderOf(requests[2], "Content-Type") == "<absent>");
  }
}

TEST_CASE("Pushgateway: the body is text 0.0.4 even when the registry exposes OpenMetrics",
          "[metrics][push]") {
  Fixture f;
  f.registry.set_format(ExpositionFormat::kOpenMetrics);
  f.gateway->Push({.job_name = "j"});
  const std::string body = f.transport->requests().at(0).body;
  CHECK(body == WriteText(f.registry.Collect()));
  CHECK(body.find("# EOF") == std::string::npos);
}

TEST_CASE("Pushgateway: extra text is sent as is after the registry's families",
          "[metrics][push]") {
  Fixture f;
  const std::string extra = "# TYPE rows gauge\nrows{table=\"a\"} 42\n";
  const PushParams params{.job_name = "j"};
  f.gateway->Push(params, extra);
  f.gateway->PushAdd(params, extra);
  const auto requests = f.transport->requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "PUT");
  CHECK(requests[1].method == "POST");
  for (const auto& request : requests) {
    CHECK(request.body == WriteText(f.registry.Collect()) + extra);
  }
  CHECK(f.gateway->BodyFor(params, extra) == requests[0].body);
}

TEST_CASE("Pushgateway: any 2xx is success and returns the status and body", "[metrics][push]") {
  auto status = GENERATE(200, 201, 202, 204);
  Fixture f({Step{.status = status, .body = "fine"}});
  PushResult result = f.gateway->PushAdd({.job_name = "j"});
  CHECK(result.status == status);
  CHECK(result.body == "fine");
}

TEST_CASE("Pushgateway: options add headers, basic auth or a bearer token", "[metrics][push]") {
  PushOptions options;
  options.headers = {{"X-Team", "batch"}, {"X-Empty", ""}};
  SECTION("basic auth is an Authorization header, never part of the URL") {
    options.basic_auth = BasicAuth{"user", "p@ss:w"};
    Fixture f({Step{}}, options);
    f.gateway->Push({.job_name = "j"});
    auto request = f.transport->requests().at(0);
    CHECK(HeaderOf(request, "Authorization") == "Basic dXNlcjpwQHNzOnc=");
    CHECK(request.url.find("user") == std::string::npos);
    CHECK(HeaderOf(request, "X-Team") == "batch");
    CHECK(HeaderOf(request, "X-Empty") == "");
  }
  SECTION("a bearer token") {
    options.bearer_token = "t0ken";
    Fixture f({Step{}}, options);
    f.gateway->Delete({.job_name = "j"});
    CHECK(HeaderOf(f.transport->requests().at(0), "Authorization") == "Bearer t0ken");
  }
  SECTION("a header pushrun sets itself cannot be given") {
    options.headers = {{"content-type", "text/plain"}};
    CHECK_THROWS_WITH(Fixture({Step{}}, options), Catch::Contains("set by pushrun itself"));
  }
  SECTION("a header value with a line break is refused and not echoed") {
    options.headers = {{"X-Token", "s3cret\r\nHost: evil"}};
    CHECK_THROWS_WITH(Fixture({Step{}}, options), !Catch::Contains("s3cret"));
    CHECK_THROWS_AS(Fixture({Step{}}, options), UsageError);
  }
  SECTION("basic auth and a bearer token together are a programming error") {
    options.basic_auth = BasicAuth{"u", "p"};
    options.bearer_token = "t";
    CHECK_THROWS_AS(Fixture({Step{}}, options), UsageError);
  }
}

TEST_CASE("Pushgateway: timeouts and TLS options reach the transport", "[metrics][push]") {
  PushOptions options;
  options.timeout = milliseconds(1234);
  options.connect_timeout = milliseconds(321);
  options.tls.ca_file = "/tmp/ca.pem";
  options.tls.insecure_skip_verify = true;
  options.proxy = "http://proxy:3128";
  Fixture f({Step{}}, options);
  f.gateway->Push({.job_name = "j"});
  auto request = f.transport->requests().at(0);
  CHECK(request.timeout <= milliseconds(1234));
  CHECK(request.timeout > milliseconds(0));
  CHECK(request.connect_timeout <= milliseconds(321));
  CHECK(request.tls.ca_file == "/tmp/ca.pem");
  CHECK(request.tls.insecure_skip_verify);
  CHECK(request.proxy == "http://proxy:3128");
}

TEST_CASE("Pushgateway: non-positive timeouts are refused", "[metrics][push]") {
  PushOptions options;
  SECTION("timeout") { options.timeout = milliseconds(0); }
  SECTION("connect timeout") { options.connect_timeout = milliseconds(-1); }
  SECTION("negative retries") { options.retry.max_retries = -1; }
  CHECK_THROWS_AS(Fixture({Step{}}, options), UsageError);
}

TEST_CASE("Pushgateway: a gzip body decompresses to the text and says Content-Encoding: gzip",
          "[metrics][push]") {
  PushOptions options;
  options.gzip = true;
  Fixture f({Step{}}, options);
  f.gateway->Push({.job_name = "j"});
  auto request = f.transport->requests().at(0);
  CHECK(HeaderOf(request, "Content-Encoding") == "gzip");
  CHECK(Gunzip(request.body) == WriteText(f.registry.Collect()));
}

TEST_CASE("Pushgateway: invalid pushes fail validation before any request is sent",
          "[metrics][push]") {
  Fixture f;
  PushParams params{.job_name = "j"};
  std::string reason;
  SECTION("empty job") {
    params.job_name = "";
    reason = "job name is empty";
  }
  SECTION("a grouping named job") {
    params.groupings = {{"job", "x"}};
    reason = "\"job\"";
  }
  SECTION("a grouping name with the reserved __ prefix") {
    params.groupings = {{"__name", "x"}};
    reason = "__name";
  }
  SECTION("a grouping name that is not a label name") {
    params.groupings = {{"1a", "x"}};
    reason = "1a";
  }
  SECTION("a job name that is not UTF-8") {
    params.job_name = "j\xff";
    reason = "job name is not valid UTF-8";
  }
  SECTION("a grouping value that is not UTF-8 (an overlong '/')") {
    params.groupings = {{"path", "\xc0\xaf"}};
    reason = "grouping label \"path\" is not valid UTF-8";
  }
  SECTION("a series carrying the job label") {
    Gauge g({.name = "g", .help = "h", .label_names = {"job"}, .registries = {&f.registry}});
    g.Labels({"other"}).Set(1);
    reason = "carries the label \"job\"";
  }
  SECTION("a series carrying a grouping label") {
    Gauge g({.name = "g", .help = "h", .label_names = {"instance"}, .registries = {&f.registry}});
    g.Labels({"x"}).Set(1);
    params.groupings = {{"instance", "i"}};
    reason = "grouping label \"instance\"";
  }
  SECTION("a family the gateway owns") {
    auto name = GENERATE("push_time_seconds", "push_failure_time_seconds");
    Gauge g({.name = name, .help = "h", .registries = {&f.registry}});
    reason = name;
  }
  SECTION("a sample with a timestamp") {
    MetricFamily family{.name = "t", .help = "", .type = MetricType::kGauge, .samples = {}};
    family.samples.push_back(Sample{.name = "t", .labels = {}, .value = 1, .timestamp_ms = 1000});
    f.registry.Register(std::make_shared<StaticCollectable>(std::vector{family}));
    reason = "timestamp";
  }
  CAPTURE(reason);
  try {
    f.gateway->Push(params);
    FAIL("no validation error");
  } catch (const PushError& e) {
    CHECK(e.category() == ErrorCategory::kValidation);
    CHECK(e.status() == 0);
    CHECK(e.attempts() == 0);
    CHECK_THAT(e.what(), Catch::Contains(reason));
    CHECK_THAT(e.what(), Catch::StartsWith("PUT http://gw.example:9091"));
  }
  CHECK(f.transport->requests().empty());
}

TEST_CASE("Pushgateway: Delete validates the path but not the registry", "[metrics][push]") {
  Fixture f;
  Gauge g({.name = "push_time_seconds", .help = "h", .registries = {&f.registry}});
  CHECK(f.gateway->Delete({.job_name = "j"}).status == 200);
  CHECK_THROWS_AS(f.gateway->Delete({.job_name = ""}), PushError);
}

TEST_CASE("Pushgateway: an HTTP error carries status, body, URL and the gateway's text",
          "[metrics][push]") {
  Fixture f({Step{.status = 400, .body = "pushed metrics are invalid: type conflict\n"}});
  try {
    f.gateway->Push({.job_name = "x"});
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(std::string(e.what()) ==
          "PUT http://gw.example:9091/metrics/job/x failed: HTTP 400 Bad Request: pushed "
          "metrics are invalid: type conflict");
    CHECK(e.category() == ErrorCategory::kHttp);
    CHECK(CategoryName(e.category()) == "http");
    CHECK(e.status() == 400);
    CHECK(e.body() == "pushed metrics are invalid: type conflict\n");
    CHECK(e.url() == "http://gw.example:9091/metrics/job/x");
    CHECK(e.attempts() == 1);
  }
}

TEST_CASE("Pushgateway: a redirect is an error, not followed and not retried", "[metrics][push]") {
  auto status = GENERATE(301, 302, 307, 308);
  Fixture f({Step{.status = status, .headers = {{"location", "http://other/"}}}}, FastRetries(3));
  try {
    f.gateway->Push({.job_name = "j"});
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(e.status() == status);
    CHECK_THAT(e.what(), Catch::Contains("not followed"));
  }
  CHECK(f.transport->requests().size() == 1);
}

TEST_CASE("Pushgateway: a hostile Location is named cleaned, cut and without credentials",
          "[metrics][push]") {
  const std::string location = "http://u:s3cret@evil/\x1b]0;owned\x07" + std::string(5000, 'a');
  Fixture f({Step{.status = 302, .headers = {{"location", location}}}});
  try {
    f.gateway->Push({.job_name = "j"});
    FAIL("no error");
  } catch (const PushError& e) {
    const std::string message = e.what();
    CHECK_THAT(message, Catch::Contains("location: http://evil/\\x1b]0;owned\\x07aaa"));
    CHECK_THAT(message, !Catch::Contains("s3cret"));
    CHECK(message.find('\x1b') == std::string::npos);
    CHECK(message.size() < 1000);
  }
}

TEST_CASE("Pushgateway: retryable failures are retried and the body is resent whole",
          "[metrics][push]") {
  auto first =
      GENERATE(Step{.status = 503}, Step{.status = 500}, Step{.status = 502}, Step{.status = 408},
               Step{.status = 429}, Step{.failure = "connection refused"});
  Fixture f({first, first, Step{.status = 200}}, FastRetries(3));
  CHECK(f.gateway->Push({.job_name = "j"}).status == 200);
  auto requests = f.transport->requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].body == requests[0].body);
  CHECK(requests[2].body == requests[0].body);
  CHECK(requests[2].headers == requests[0].headers);
}

TEST_CASE("Pushgateway: other 4xx are never retried", "[metrics][push]") {
  auto status = GENERATE(400, 401, 403, 404, 405, 409, 413);
  Fixture f({Step{.status = status}, Step{.status = 200}}, FastRetries(5));
  CHECK_THROWS_AS(f.gateway->Push({.job_name = "j"}), PushError);
  CHECK(f.transport->requests().size() == 1);
}

TEST_CASE("Pushgateway: without retries a single failure is final", "[metrics][push]") {
  Fixture f({Step{.failure = "Could not connect"}, Step{.status = 200}});
  try {
    f.gateway->Push({.job_name = "j"});
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(e.category() == ErrorCategory::kTransport);
    CHECK(e.status() == 0);
    CHECK_THAT(e.what(), Catch::Contains("Could not connect"));
    CHECK(e.attempts() == 1);
  }
  CHECK(f.transport->requests().size() == 1);
}

TEST_CASE("Pushgateway: when retries run out the last failure is reported with the attempts",
          "[metrics][push]") {
  Fixture f({Step{.status = 503, .body = "busy"}}, FastRetries(2));
  try {
    f.gateway->Push({.job_name = "j"});
    FAIL("no error");
  } catch (const PushError& e) {
    CHECK(e.status() == 503);
    CHECK(e.attempts() == 3);
    CHECK(e.body() == "busy");
    CHECK_THAT(e.what(), Catch::Contains("HTTP 503 Service Unavailable: busy (3 attempts)"));
  }
  CHECK(f.transport->requests().size() == 3);
}

TEST_CASE("Pushgateway: a gateway's error text is one clean line of at most 1 KiB",
          "[metrics][push]") {
  const std::string body = "bad \x1b[2J\x1b[31mrequest\r\nline two\n" + std::string(200'000, 'x');
  Fixture f({Step{.status = 400, .body = body}});
  try {
    f.gateway->Push({.job_name = "j"});
    FAIL("no error");
  } catch (const PushError& e) {
    const std::string message = e.what();
    CHECK_THAT(message,
               Catch::Contains("HTTP 400 Bad Request: bad \\x1b[2J\\x1b[31mrequest line two xxx"));
    CHECK_THAT(message, Catch::Contains(" more bytes)"));
    CHECK(message.find('\x1b') == std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.size() < 1300);
    CHECK(e.body() == body);  // the caller still gets the whole reply
  }
}

TEST_CASE("Pushgateway: Retry-After is honoured, within the deadline", "[metrics][push]") {
  SECTION("Retry-After: 0 retries at once") {
    PushOptions options = FastRetries(1);
    options.retry.initial_backoff = milliseconds(60'000);
    options.retry.max_backoff = milliseconds(60'000);
    Fixture f({Step{.status = 429, .headers = {{"retry-after", "0"}}}, Step{}}, options);
    CHECK(f.gateway->Push({.job_name = "j"}).status == 200);
    CHECK(f.transport->requests().size() == 2);
  }
  SECTION("a Retry-After beyond the deadline ends the call instead of sleeping") {
    PushOptions options = FastRetries(3);
    options.retry.deadline = milliseconds(300);
    Fixture f({Step{.status = 503, .headers = {{"retry-after", "120"}}}, Step{}}, options);
    const auto start = Clock::now();
    CHECK_THROWS_WITH(f.gateway->Push({.job_name = "j"}),
                      Catch::EndsWith("(1 attempt; Retry-After is past the deadline)"));
    CHECK(Clock::now() - start < std::chrono::seconds(10));  // does not hang for 120 s
    CHECK(f.transport->requests().size() == 1);
  }
  SECTION("Retry-After: 1 waits about a second before the next attempt") {
    PushOptions options = FastRetries(1);
    options.retry.deadline = milliseconds(10'000);
    Fixture f({Step{.status = 429, .headers = {{"retry-after", "1"}}}, Step{}}, options);
    const auto start = Clock::now();
    CHECK(f.gateway->Push({.job_name = "j"}).status == 200);
    CHECK(Clock::now() - start >= milliseconds(900));
  }
}

TEST_CASE("Pushgateway: all attempts end by the overall deadline", "[metrics][push]") {
  PushOptions options = FastRetries(1000);
  options.retry.initial_backoff = milliseconds(10);
  options.retry.max_backoff = milliseconds(20);
  options.retry.deadline = milliseconds(200);
  Fixture f({Step{.failure = "down"}}, options);
  const auto start = Clock::now();
  CHECK_THROWS_WITH(f.gateway->Push({.job_name = "j"}), Catch::EndsWith("; deadline reached)"));
  CHECK(Clock::now() - start < std::chrono::seconds(5));
  auto requests = f.transport->requests();
  CHECK(requests.size() > 1);
  CHECK(requests.size() < 1000);
  for (const auto& request : requests) CHECK(request.timeout <= milliseconds(200));
}

TEST_CASE("Pushgateway: calls never mutate the options", "[metrics][push]") {
  auto transport = std::make_shared<FakeTransport>();
  PushOptions options;
  options.headers = {{"X-A", "1"}};
  options.basic_auth = BasicAuth{"u", "p"};
  options.gzip = true;
  options.transport = transport;
  const PushOptions copy = options;
  Registry registry;
  Pushgateway gateway("http://gw:9091", options, registry);
  gateway.Push({.job_name = "j"});
  gateway.PushAdd({.job_name = "j"});
  CHECK(options.headers == copy.headers);
  CHECK(options.transport == copy.transport);
  auto requests = transport->requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].headers == requests[1].headers);  // nothing accumulates between calls
}

TEST_CASE("Pushgateway: a URL with credentials is refused without echoing them",
          "[metrics][push]") {
  auto transport = std::make_shared<FakeTransport>(std::vector<Step>{});
  for (const char* url : {"http://alice:s3cret@gw:9091/p", "http://alice:s3cret@gw:bad"}) {
    try {
      Pushgateway gateway(url, {.transport = transport});
      FAIL("accepted " << url);
    } catch (const UsageError& e) {
      CHECK_THAT(e.what(), Catch::Contains("credentials"));
      CHECK_THAT(e.what(), !Catch::Contains("s3cret"));
      CHECK_THAT(e.what(), !Catch::Contains("alice"));
    }
  }
  CHECK(RedactUrl("https://u:p@h:1/x@y") == "https://h:1/x@y");
  CHECK(RedactUrl("http://h/x") == "http://h/x");
}

TEST_CASE("Pushgateway: the URL check is the shared one (any-case scheme, IPv6, no query)",
          "[metrics][push]") {
  auto transport = std::make_shared<FakeTransport>(std::vector<Step>{});
  Registry registry;
  CHECK(Pushgateway("HTTP://[::1]:9091/pre//", {.transport = transport}, registry)
            .UrlFor({.job_name = "j"}) == "http://[::1]:9091/pre/metrics/job/j");
  CHECK_THROWS_WITH(Pushgateway("http://127.1:9091", {.transport = transport}, registry),
                    Catch::Contains("four decimal parts"));
  CHECK_THROWS_WITH(Pushgateway("http://gw/p?x=1", {.transport = transport}, registry),
                    Catch::Contains("query"));
}

TEST_CASE("Pushgateway: the async forms resolve to the same results", "[metrics][push]") {
  Fixture f({Step{.status = 202}});
  CHECK(f.gateway->PushAsync({.job_name = "j"}).get().status == 202);
  CHECK(f.gateway->PushAddAsync({.job_name = "j"}).get().status == 202);
  CHECK(f.gateway->DeleteAsync({.job_name = "j"}).get().status == 202);
  auto methods = f.transport->requests();
  REQUIRE(methods.size() == 3);
  CHECK(methods[0].method == "PUT");
  CHECK(methods[1].method == "POST");
  CHECK(methods[2].method == "DELETE");
  auto failing = Fixture({Step{.status = 400}});
  auto future = failing.gateway->PushAsync({.job_name = "j"});
  CHECK_THROWS_AS(future.get(), PushError);
}

TEST_CASE("Pushgateway: one client may be used from many threads at once", "[metrics][push]") {
  Fixture f({Step{.status = 503}, Step{.status = 200}}, FastRetries(2));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&f, t] {
      for (int i = 0; i < 20; ++i) {
        f.gateway->PushAdd({.job_name = "j", .groupings = {{"t", std::to_string(t)}}});
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(f.transport->requests().size() == 161);  // one 503, then every call succeeds at once
}
