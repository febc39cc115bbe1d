// The libcurl transport against scripted servers on loopback: a cancellation ends a transfer at
// once, a runaway answer is cut without losing its status, folded header lines are kept,
// redirects are not followed, the proxy variables are honoured.

#include <stdlib.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/metrics/transport.h"
#include "support/fault_server.h"

namespace {

using namespace pushrun::metrics;
using pushrun::testing::FaultServer;
using pushrun::testing::ScriptedResponse;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

HttpRequest Post(const std::string& url, std::string body = "a 1\n") {
  HttpRequest request;
  request.method = "POST";
  request.url = url + "/metrics/job/j";
  request.body = std::move(body);
  request.timeout = milliseconds(10'000);
  request.connect_timeout = milliseconds(3'000);
  return request;
}

// The curl transport, saying when the client holds an answer: a test that cancels after that
// meets the client between attempts, never in a transfer whose answer is still on the way
// (which ends with no status at all).
class SaysWhenAnswered : public Transport {
 public:
  SaysWhenAnswered() : curl_(MakeCurlTransport()), answered_future_(answered_.get_future()) {}
  HttpResponse Send(const HttpRequest& request) override {
    HttpResponse response = curl_->Send(request);
    std::call_once(once_, [&] { answered_.set_value(); });
    return response;
  }
  // Waits for the first answer, at most `limit`; returns whether it came.
  bool WaitForAnswer(std::chrono::seconds limit) {
    return answered_future_.wait_for(limit) == std::future_status::ready;
  }

 private:
  std::shared_ptr<Transport> curl_;
  std::once_flag once_;
  std::promise<void> answered_;
  std::future<void> answered_future_;
};

}  // namespace

TEST_CASE("Curl transport: a cancellation ends a request waiting for its answer at once",
          "[metrics][transport]") {
  FaultServer server({ScriptedResponse::NeverAnswer()});
  HttpRequest request = Post(server.url());
  request.cancellation = std::make_shared<Cancellation>();
  auto sent = std::async(std::launch::async, [&] { return MakeCurlTransport()->Send(request); });
  // Once the server holds the request, the transfer sits in curl_multi_poll.
  while (server.request_count() == 0) std::this_thread::sleep_for(milliseconds(10));
  std::this_thread::sleep_for(milliseconds(100));
  const auto cancelled_at = Clock::now();
  request.cancellation->Cancel();
  REQUIRE(sent.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  // Uncancelled, the transfer would run to its 10 s timeout. (curl's own timers wake its poll
  // every ~100 ms here, so this does not tell the wake-up from polling; the bound is generous.)
  CHECK(Clock::now() - cancelled_at < milliseconds(500));
  CHECK_THROWS_AS(sent.get(), TransportFailure);
}

TEST_CASE("Curl transport: a request carrying a cancelled cancellation never connects",
          "[metrics][transport]") {
  FaultServer server({ScriptedResponse::Status(200)});
  HttpRequest request = Post(server.url());
  request.cancellation = std::make_shared<Cancellation>();
  request.cancellation->Cancel();
  CHECK_THROWS_AS(MakeCurlTransport()->Send(request), TransportFailure);
  CHECK(server.request_count() == 0);
}

TEST_CASE("Curl transport: a body past the cap ends the transfer and keeps the status",
          "[metrics][transport]") {
  const int status = GENERATE(200, 400);
  FaultServer server({ScriptedResponse::Status(status, std::string(4 * kMaxResponseBody, 'x'))});
  const HttpResponse response = MakeCurlTransport()->Send(Post(server.url()));
  CHECK(response.status == status);
  CHECK(response.body.size() == kMaxResponseBody);
}

TEST_CASE("Curl transport: Prepare for a gateway that does not resolve neither throws nor hangs",
          "[metrics][transport]") {
  HttpRequest request = Post("http://pushrun-test.invalid:9091");
  request.timeout = milliseconds(2000);
  auto transport = MakeCurlTransport();
  transport->Prepare(request);
  CHECK_THROWS_AS(transport->Send(request), TransportFailure);
}

TEST_CASE("Curl transport: a Send after Prepare reaches the gateway by name",
          "[metrics][transport]") {
  FaultServer server({ScriptedResponse::Status(200)});
  HttpRequest request = Post("http://localhost:" + std::to_string(server.port()));
  auto transport = MakeCurlTransport();
  transport->Prepare(request);
  CHECK(transport->Send(request).status == 200);
  REQUIRE(server.request_count() == 1);
  CHECK(server.requests()[0].body == "a 1\n");
}

TEST_CASE(
    "Curl transport: the handles Prepare set up carry the method, headers and body of the "
    "Send that takes them",
    "[metrics][transport]") {
  FaultServer server({ScriptedResponse::Status(202), ScriptedResponse::Status(200)});
  auto transport = MakeCurlTransport();
  // Prepared as a POST, as pushrun prepares its final push; sent as a DELETE without a body,
  // then as a PUT with a header: nothing of the prepared request's shape may stick.
  transport->Prepare(Post(server.url()));
  HttpRequest remove = Post(server.url(), "");
  remove.method = "DELETE";
  CHECK(transport->Send(remove).status == 202);
  HttpRequest put = Post(server.url(), "b 2\n");
  put.method = "PUT";
  put.headers = {{"X-Scope-OrgID", "team-a"}};
  CHECK(transport->Send(put).status == 200);
  REQUIRE(server.request_count() == 2);
  const auto requests = server.requests();
  CHECK(requests[0].method == "DELETE");
  CHECK(requests[0].body.empty());
  CHECK(requests[0].Header("content-length").empty());
  CHECK(requests[1].method == "PUT");
  CHECK(requests[1].body == "b 2\n");
  CHECK(requests[1].Header("x-scope-orgid") == "team-a");
}

TEST_CASE("Curl transport: handles prepared for one gateway never carry a request to another",
          "[metrics][transport]") {
  FaultServer prepared({ScriptedResponse::Status(200)});
  FaultServer other({ScriptedResponse::Status(200)});
  auto transport = MakeCurlTransport();
  transport->Prepare(Post(prepared.url()));
  CHECK(transport->Send(Post(other.url())).status == 200);
  CHECK(other.request_count() == 1);
  CHECK(prepared.request_count() == 0);
  // Still there for the request they were made for.
  CHECK(transport->Send(Post(prepared.url())).status == 200);
  CHECK(prepared.request_count() == 1);
}

TEST_CASE("Pushgateway: a cancellation stops the waits between retries", "[metrics][push]") {
  ScriptedResponse busy = ScriptedResponse::Status(503);
  busy.headers = {{"Retry-After", "30"}};
  FaultServer server({busy});
  Registry empty;
  PushOptions options;
  options.retry.max_retries = 5;
  options.retry.deadline = milliseconds(60'000);
  options.cancellation = std::make_shared<Cancellation>();
  auto transport = std::make_shared<SaysWhenAnswered>();
  options.transport = transport;
  const Pushgateway client(server.url(), options, empty);
  auto pushed = std::async(std::launch::async, [&] { return client.PushAdd({.job_name = "j"}); });
  REQUIRE(transport->WaitForAnswer(std::chrono::seconds(20)));
  options.cancellation->Cancel();
  REQUIRE(pushed.wait_for(std::chrono::seconds(2)) == std::future_status::ready);
  try {
    pushed.get();
    FAIL("the push succeeded");
  } catch (const PushError& error) {
    // The error is the last attempt's answer, and says why no other followed.
    CHECK(error.status() == 503);
    CHECK_THAT(error.what(), Catch::Contains("cancelled"));
  }
  CHECK(server.request_count() == 1);
}

TEST_CASE("Curl transport: a redirect is returned, not followed", "[metrics][transport]") {
  ScriptedResponse moved = ScriptedResponse::Status(302);
  moved.headers = {{"Location", "http://127.0.0.1:1/elsewhere"}};
  FaultServer server({moved, ScriptedResponse::Status(200)});
  const HttpResponse response = MakeCurlTransport()->Send(Post(server.url()));
  CHECK(response.status == 302);
  CHECK(server.request_count() == 1);
}

TEST_CASE("Curl transport: http_proxy from the environment is honoured, no_proxy too",
          "[metrics][transport]") {
  FaultServer proxy({ScriptedResponse::Status(200)});
  ::setenv("http_proxy", proxy.url().c_str(), 1);
  const bool excluded = GENERATE(false, true);
  if (excluded) ::setenv("no_proxy", "pushrun-test.invalid", 1);
  HttpRequest request = Post("http://pushrun-test.invalid:9091");
  request.timeout = milliseconds(3000);
  bool failed = false;
  try {
    MakeCurlTransport()->Send(request);
  } catch (const TransportFailure&) {
    failed = true;  // no proxy: the name does not resolve
  }
  ::unsetenv("http_proxy");
  ::unsetenv("no_proxy");
  if (excluded) {
    CHECK(failed);
    CHECK(proxy.request_count() == 0);
  } else {
    CHECK_FALSE(failed);
    REQUIRE(proxy.request_count() == 1);
    // A proxy gets the absolute URL.
    CHECK(proxy.requests()[0].path == "http://pushrun-test.invalid:9091/metrics/job/j");
  }
}

TEST_CASE("Curl transport: a folded header line continues the header before it",
          "[metrics][transport]") {
  ScriptedResponse busy = ScriptedResponse::Status(503);
  busy.headers = {{"Retry-After", "\r\n 7"}, {"X-Folded", "first\r\n\tsecond"}};
  FaultServer server({busy});
  const HttpResponse response = MakeCurlTransport()->Send(Post(server.url()));
  CHECK(response.status == 503);
  auto header = [&](const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return std::string("<absent>");
  };
  CHECK(header("retry-after") == "7");
  CHECK(header("x-folded") == "first second");
}
