// Everything the library throws belongs to one family under pushrun::metrics::Error; a failed
// call's message names the method and the URL once; a successful call returns the response's
// headers. Against the scripted fault server and the real Pushgateway.

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "pushrun/metrics.h"
#include "support/fault_server.h"
#include "support/pushgateway_process.h"

namespace {

using namespace pushrun::metrics;
using pushrun::testing::FaultServer;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::ScriptedResponse;
using std::chrono::milliseconds;

static_assert(std::is_base_of_v<std::runtime_error, Error>);
static_assert(std::is_base_of_v<Error, UsageError>);
static_assert(std::is_base_of_v<Error, PushError>);
static_assert(std::is_base_of_v<Error, TransportFailure>);

// What one `catch (const Error&)` saw, or "no error".
std::string CaughtByTheBase(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

std::size_t Occurrences(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

// The transport every client uses unless given another: libcurl.
std::shared_ptr<Transport> AnyTransport() { return MakeCurlTransport(); }

std::string Value(const Headers& headers, const std::string& name) {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "(absent)";
}

}  // namespace

TEST_CASE("Error: one catch of the base sees a construction error and a push error",
          "[metrics][errors]") {
  Registry registry;
  CHECK_THAT(CaughtByTheBase([&] { Counter({.name = "bad name", .registries = {&registry}}); }),
             Catch::Contains("bad name"));
  CHECK_THAT(CaughtByTheBase([] { Pushgateway gateway("ftp://gw:9091"); }),
             Catch::Contains("invalid Pushgateway URL"));
  CHECK_THAT(
      CaughtByTheBase([] { Pushgateway gateway("http://gw", {.timeout = milliseconds(0)}); }),
      Catch::Contains("timeout must be positive"));

  FaultServer server({ScriptedResponse::Status(400, "bad push")});
  Gauge({.name = "pushrun_err_g", .registries = {&registry}}).Set(1);
  const Pushgateway gateway(server.url(), {}, registry);
  CHECK_THAT(CaughtByTheBase([&] { gateway.Push({.job_name = "j"}); }),
             Catch::Contains("HTTP 400"));
  CHECK_THAT(CaughtByTheBase([&] { gateway.Push({.job_name = ""}); }),
             Catch::Contains("job name is empty"));
}

TEST_CASE("Error: a construction error is a UsageError, no longer a std::invalid_argument",
          "[metrics][errors]") {
  try {
    CheckMetricName("0_starts_with_a_digit");
    FAIL("accepted");
  } catch (const std::invalid_argument&) {
    FAIL("still a std::invalid_argument");
  } catch (const std::exception& error) {
    // One std::exception base: this handler is reached, not skipped as ambiguous.
    CHECK(dynamic_cast<const UsageError*>(&error) != nullptr);
  }
}

TEST_CASE("Error: a timeout names the method and the URL once", "[metrics][errors][integration]") {
  FaultServer server({ScriptedResponse::NeverAnswer()});
  Registry registry;
  Gauge({.name = "pushrun_err_g", .registries = {&registry}}).Set(1);
  const Pushgateway gateway(server.url(),
                            {.timeout = milliseconds(300), .transport = AnyTransport()}, registry);
  try {
    gateway.Push({.job_name = "slow"});
    FAIL("no error");
  } catch (const PushError& error) {
    const std::string message = error.what();
    INFO(message);
    CHECK(message.starts_with("PUT " + server.url() + "/metrics/job/slow failed: "));
    CHECK(Occurrences(message, "PUT") == 1);
    CHECK(Occurrences(message, server.url()) == 1);
    CHECK_THAT(message, Catch::Contains("timed out"));
  }
}

TEST_CASE("Error: a refused connection names the address once", "[metrics][errors]") {
  std::string url;
  {
    FaultServer closed({ScriptedResponse::Status(200)});
    url = closed.url();
  }  // nothing listens on its port any more
  Registry registry;
  const Pushgateway gateway(url, {}, registry);
  const std::string message = CaughtByTheBase([&] { gateway.Delete({.job_name = "j"}); });
  INFO(message);
  CHECK(message.starts_with("DELETE " + url + "/metrics/job/j failed: "));
  CHECK(Occurrences(message, url.substr(std::string("http://").size())) == 1);
}

TEST_CASE("PushResult: a successful call returns the response's headers",
          "[metrics][push][integration]") {
  Registry registry;
  Gauge({.name = "pushrun_result_g", .registries = {&registry}}).Set(1);
  const std::shared_ptr<Transport> transport = AnyTransport();

  SECTION("as the server sent them, names lower-cased") {
    FaultServer server({ScriptedResponse{200, {{"X-Request-Id", "abc-123"}}, "stored"}});
    const PushResult result =
        Pushgateway(server.url(), {.transport = transport}, registry).PushAdd({.job_name = "h"});
    CHECK(result.status == 200);
    CHECK(result.body == "stored");
    CHECK(Value(result.headers, "x-request-id") == "abc-123");
  }
  SECTION("from the real Pushgateway") {
    PushgatewayProcess real;
    const Pushgateway gateway(real.url(), {.transport = transport}, registry);
    const PushResult pushed = gateway.Push({.job_name = "h"});
    CHECK(pushed.status == 200);
    CHECK(Value(pushed.headers, "date") != "(absent)");
    const PushResult deleted = gateway.Delete({.job_name = "h"});
    CHECK(deleted.status == 202);
    CHECK(Value(deleted.headers, "date") != "(absent)");
  }
}
