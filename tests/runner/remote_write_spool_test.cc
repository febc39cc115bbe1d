// The spool of a remote-write target: requests kept as they will be sent, first in, first out
// per (target, group), refusals set aside with the receiver's answer; and a spool file of the
// previous format still flushes.

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pushrun/metrics/remote_write.h"
#include "pushrun/runner/app.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/spool.h"
#include "pushrun/runner/spooled_delivery.h"
#include "support/fault_server.h"
#include "support/prometheus_process.h"
#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using pushrun::config::Settings;
using pushrun::config::Target;
using pushrun::config::TargetKind;
using pushrun::metrics::EncodedRequest;
using pushrun::metrics::MetricFamily;
using pushrun::metrics::MetricType;
using pushrun::runner::Logger;
using pushrun::runner::SendOutcome;
using pushrun::runner::Spool;
using pushrun::runner::SpooledReport;
using pushrun::testing::FaultServer;
using pushrun::testing::ScriptedResponse;
using pushrun::testing::TempDir;
using std::chrono::milliseconds;

namespace {

const pushrun::metrics::PushParams kGroup{.job_name = "nightly", .groupings = {{"db", "main"}}};

// A queued request whose body holds every byte value, newlines and NULs among them.
SpooledReport Queued(double ended, char tag) {
  SpooledReport entry;
  entry.method = "POST";
  entry.params = kGroup;
  entry.ended = ended;
  EncodedRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:9/api/v1/write";
  request.headers = {{"Content-Encoding", "snappy"}, {"Content-Type", "application/x-protobuf"}};
  for (int c = 0; c < 256; ++c) request.body += static_cast<char>(c);
  request.body += tag;
  entry.request = request;
  return entry;
}

MetricFamily Gauge(const std::string& name, double value) {
  return MetricFamily{
      .name = name,
      .help = "",
      .type = MetricType::kGauge,
      .samples = {{.name = name, .labels = {}, .value = value, .timestamp_ms = {}}}};
}

Settings WritingTo(const std::string& url, const std::string& spool_dir) {
  Settings settings;
  Target target{.kind = TargetKind::kRemoteWrite, .url = url, .push = {}};
  target.push.retry.max_retries = 0;
  target.push.timeout = milliseconds(5000);
  settings.targets = {target};
  settings.job = "nightly";
  settings.grouping = {{"db", "main"}};
  settings.spool_dir = spool_dir;
  settings.push_deadline = milliseconds(5000);
  return settings;
}

std::vector<fs::path> Files(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::exists(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  return files;
}

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST_CASE("Spool (remote write): queued requests go out first in, first out, byte for byte",
          "[runner][spool][remote-write]") {
  TempDir dir;
  const Spool spool(dir.path, "x", "remote write http://127.0.0.1:9/api/v1/write");
  for (char tag : {'a', 'b', 'c'}) {
    REQUIRE(spool.Enqueue(Queued(1700000000 + tag, tag)).empty());
  }
  REQUIRE(spool.List().reports.size() == 3);

  std::vector<std::string> sent;
  const Spool::FlushResult result = spool.Flush([&](const SpooledReport& report) {
    REQUIRE(report.request.has_value());
    sent.push_back(report.request->body);
    CHECK(report.request->headers == Queued(0, 'a').request->headers);
    return SendOutcome{};
  });
  CHECK(result.errors.empty());
  REQUIRE(sent.size() == 3);
  CHECK(sent[0] == Queued(0, 'a').request->body);
  CHECK(sent[1] == Queued(0, 'b').request->body);
  CHECK(sent[2] == Queued(0, 'c').request->body);
  CHECK(spool.List().reports.empty());
}

TEST_CASE("Spool (remote write): a receiver that cannot take one now keeps it and those after it",
          "[runner][spool][remote-write]") {
  TempDir dir;
  const Spool spool(dir.path, "x", "remote write http://127.0.0.1:9/api/v1/write");
  REQUIRE(spool.Enqueue(Queued(1, 'a')).empty());
  REQUIRE(spool.Enqueue(Queued(2, 'b')).empty());
  int calls = 0;
  const Spool::FlushResult result = spool.Flush([&](const SpooledReport&) {
    ++calls;
    return SendOutcome{.error = "HTTP 503 Service Unavailable", .refused = false};
  });
  CHECK(calls == 1);  // the second is never sent before the first
  CHECK(result.errors.size() == 1);
  CHECK(spool.List().reports.size() == 2);
}

TEST_CASE("Spool (remote write): a request refused for good goes to rejected/ with the answer",
          "[runner][spool][remote-write]") {
  TempDir dir;
  const Spool spool(dir.path, "x", "remote write http://127.0.0.1:9/api/v1/write");
  REQUIRE(spool.Enqueue(Queued(1, 'a')).empty());
  REQUIRE(spool.Enqueue(Queued(2, 'b')).empty());
  std::vector<char> sent;
  const Spool::FlushResult result = spool.Flush([&](const SpooledReport& report) {
    sent.push_back(report.request->body.back());
    if (report.request->body.back() == 'a') {
      return SendOutcome{.error = "HTTP 400 Bad Request: out of order sample", .refused = true};
    }
    return SendOutcome{};
  });
  CHECK(sent == std::vector<char>{'a', 'b'});
  REQUIRE(result.set_aside.size() == 1);
  CHECK(spool.List().reports.empty());
  const std::vector<fs::path> rejected = Files(spool.rejected_dir());
  REQUIRE(rejected.size() == 1);
  const std::string kept = Slurp(rejected.front());
  CHECK_THAT(kept, Catch::Contains(Queued(1, 'a').request->body));
  // The answer, hex-encoded like every other header field.
  std::string hex;
  for (unsigned char c : std::string("out of order sample")) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex += kDigits[c >> 4];
    hex += kDigits[c & 15];
  }
  CHECK_THAT(kept, Catch::Contains("# answer ") && Catch::Contains(hex));
}

TEST_CASE("Spooled remote write: the spooled request goes before the newer report, as stored",
          "[runner][spool][remote-write][integration]") {
  TempDir dir;
  FaultServer receiver({ScriptedResponse::Status(503), ScriptedResponse::Status(204),
                        ScriptedResponse::Status(204)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = WritingTo(receiver.url() + "/api/v1/write", dir.path);

  CHECK_FALSE(pushrun::runner::DeliverFinalReport(
      settings, {Gauge("pushrun_exit_code", 1), Gauge("pushrun_end_timestamp_seconds", 1.7e9)},
      false, {}, pushrun::runner::PushDeadline(settings.push_deadline), log));
  CHECK_THAT(err.str(), Catch::Contains("spooled"));
  REQUIRE(Spool(dir.path, "x").List().reports.size() == 1);

  CHECK(pushrun::runner::DeliverFinalReport(
      settings, {Gauge("pushrun_exit_code", 0), Gauge("pushrun_end_timestamp_seconds", 1.7e9 + 60)},
      true, {}, pushrun::runner::PushDeadline(settings.push_deadline), log));
  const auto requests = receiver.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].body == requests[0].body);  // the spooled one, byte for byte, first
  CHECK(requests[2].body != requests[0].body);
  CHECK(requests[1].Header("content-encoding") == "snappy");
  CHECK(Spool(dir.path, "x").List().reports.empty());
}

TEST_CASE("Spooled remote write: Prometheus refuses an older sample; flush sets it aside with why",
          "[runner][spool][remote-write][integration]") {
  TempDir dir;
  pushrun::testing::PrometheusProcess prometheus;
  std::ostringstream err;
  Logger log(err);
  const Settings settings = WritingTo(prometheus.write_url(), dir.path);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  // A newer report arrived first; the older one was queued (its run could not reach the
  // receiver then).
  REQUIRE(pushrun::runner::DeliverFinalReport(
      settings, {Gauge("pushrun_exit_code", 0), Gauge("pushrun_end_timestamp_seconds", now)}, true,
      {}, pushrun::runner::PushDeadline(settings.push_deadline), log));
  std::optional<EncodedRequest> older = pushrun::runner::EncodeWrite(
      settings, settings.targets[0],
      {Gauge("pushrun_exit_code", 1), Gauge("pushrun_end_timestamp_seconds", now - 30)}, {}, {},
      log);
  REQUIRE(older);
  SpooledReport entry;
  entry.method = "POST";
  entry.params = kGroup;
  entry.ended = now - 30;
  entry.request = *older;
  const std::string key = pushrun::runner::SpoolKey(settings, settings.targets[0]);
  REQUIRE(Spool(dir.path, "x", key).Enqueue(entry).empty());

  CHECK(pushrun::runner::RunFlush(settings, log) == pushrun::runner::kExitOk);
  CHECK_THAT(err.str(), Catch::Contains("out of order sample"));
  CHECK(Files(fs::path(dir.path) / "rejected").size() == 1);
  CHECK(Spool(dir.path, "x").List().reports.empty());
  // The newer value stands.
  const auto held = prometheus.Poll("pushrun_exit_code{job=\"nightly\",db=\"main\"}", 1);
  REQUIRE(held.size() == 1);
  CHECK(held.front().value == 0);
}

TEST_CASE("pushrun flush: a spool file written by the previous format still flushes",
          "[runner][spool][integration]") {
  TempDir dir;
  pushrun::testing::PushgatewayProcess gateway;
  // The file of the group {job="nightly", db="main"}: named by the spool itself, then
  // overwritten with the fixture, as a pushrun from before targets wrote it (no target line, a
  // text body, one gateway).
  SpooledReport placeholder;
  placeholder.method = "POST";
  placeholder.params = kGroup;
  REQUIRE(Spool(dir.path, "x").Store(placeholder).empty());
  const std::vector<fs::path> files = Files(dir.path);
  fs::path file;
  for (const fs::path& path : files) {
    if (path.extension() == ".report") file = path;
  }
  REQUIRE_FALSE(file.empty());
  {
    std::ofstream out(file, std::ios::trunc);
    out << "# pushrun spool v1\n"
           "# method POST\n"
           "# job 6e696768746c79\n"   // nightly
           "# label 6462 6d61696e\n"  // db=main
           "# ended 1700000000.5\n"
           "# body\n"
           "# TYPE pushrun_exit_code gauge\n"
           "pushrun_exit_code 4\n";
  }
  Settings settings;
  settings.targets = {{.kind = TargetKind::kPushgateway, .url = gateway.url(), .push = {}}};
  settings.spool_dir = dir.path;
  std::ostringstream err;
  Logger log(err);
  CHECK(pushrun::runner::RunFlush(settings, log) == pushrun::runner::kExitOk);
  CHECK(pushrun::testing::PushedValue(gateway, "pushrun_exit_code", "nightly", {"db=\"main\""}) ==
        4);
  CHECK(Spool(dir.path, "x").List().reports.empty());
}
