// The run's delivery with a spool and one deadline, the `flush` verb and the --lock policy,
// against the scripted fault server (no pushrun process).

#include "pushrun/runner/spooled_delivery.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "pushrun/runner/app.h"
#include "pushrun/runner/overlap.h"
#include "pushrun/runner/report.h"
#include "support/fault_server.h"
#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using pushrun::config::Settings;
using pushrun::runner::DeliverFinalReport;
using pushrun::runner::DeliveryIo;
using pushrun::runner::Logger;
using pushrun::runner::PushDeadline;
using pushrun::runner::RunFlush;
using pushrun::runner::RunLock;
using pushrun::runner::Spool;
using pushrun::runner::SpooledReport;
using pushrun::testing::FaultServer;
using pushrun::testing::ScriptedResponse;
using std::chrono::milliseconds;

namespace {

using pushrun::testing::TempDir;

pushrun::metrics::MetricFamily Gauge(const std::string& name, double value) {
  pushrun::metrics::MetricFamily family;
  family.name = name;
  family.type = pushrun::metrics::MetricType::kGauge;
  family.samples.push_back({.name = name, .labels = {}, .value = value, .timestamp_ms = {}});
  return family;
}

// A spooled entry of the group {job="nightly", db="main"}, the one SettingsFor's runs push to.
SpooledReport Nightly(std::string method, std::string body) {
  return SpooledReport{.method = std::move(method),
                       .params = {.job_name = "nightly", .groupings = {{"db", "main"}}},
                       .body = std::move(body),
                       .path = {}};
}

Settings SettingsFor(const std::string& url, const std::string& spool_dir) {
  Settings settings;
  pushrun::config::Target gateway{
      .kind = pushrun::config::TargetKind::kPushgateway, .url = url, .push = {}};
  gateway.push.retry.max_retries = 0;
  gateway.push.timeout = milliseconds(2000);
  settings.targets = {gateway};
  settings.job = "nightly";
  settings.grouping = {{"db", "main"}};
  settings.spool_dir = spool_dir;
  settings.push_deadline = milliseconds(2000);
  return settings;
}

std::size_t SpooledCount(const std::string& dir) {
  return Spool(dir, "pushrun_last_success_timestamp_seconds").List().reports.size();
}

}  // namespace

TEST_CASE("Push deadline: every push gets what is left of one budget, at least 1 ms",
          "[runner][spool]") {
  Settings settings;
  settings.targets.resize(2);
  const PushDeadline deadline(milliseconds(300));
  for (const auto& target : deadline.Apply(settings).targets) {
    CHECK(target.push.retry.deadline <= milliseconds(300));
    CHECK(target.push.retry.deadline > milliseconds(0));
  }
  const PushDeadline spent(milliseconds(0));
  CHECK(spent.Apply(settings.targets[1]).push.retry.deadline == milliseconds(1));
}

TEST_CASE("Spooled delivery: a report the gateway cannot take is spooled, with a warning",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(503, "down for maintenance")});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  CHECK_FALSE(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 3)}, false, {},
                                 PushDeadline(settings.push_deadline), log));
  CHECK_THAT(err.str(), Catch::Contains("report spooled in " + dir.path));
  auto listing = Spool(dir.path, "x").List();
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].method == "POST");
  CHECK(listing.reports[0].params.job_name == "nightly");
  CHECK(listing.reports[0].body == "# TYPE pushrun_exit_code gauge\npushrun_exit_code 3\n");
}

TEST_CASE("Spooled delivery: a report the gateway refuses (400) is not spooled",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(400, "bad")});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  CHECK_FALSE(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 3)}, false, {},
                                 PushDeadline(settings.push_deadline), log));
  CHECK(SpooledCount(dir.path) == 0);
}

TEST_CASE("Spooled delivery: the group's spooled report goes out first, then the new one",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(200)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  SpooledReport older{.method = "POST",
                      .params = {.job_name = "nightly", .groupings = {{"db", "main"}}},
                      .body = "# TYPE pushrun_exit_code gauge\npushrun_exit_code 1\n"};
  SpooledReport other = older;
  other.params.groupings = {{"db", "other"}};
  const Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(spool.Store(older).empty());
  REQUIRE(spool.Store(other).empty());

  CHECK(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 0)}, true, {},
                           PushDeadline(settings.push_deadline), log));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].path == "/metrics/job/nightly/db/main");
  CHECK(requests[0].body == older.body);
  CHECK(requests[1].path == "/metrics/job/nightly/db/main");
  CHECK_THAT(requests[1].body, Catch::Contains("pushrun_exit_code 0\n"));
  // Only this group's report was flushed.
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].params.groupings.at("db") == "other");
}

TEST_CASE("Spooled delivery: while the spooled report cannot go, the new one joins it merged",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(503)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  const Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(spool
              .Store(Nightly("POST",
                             "# TYPE pushrun_last_success_timestamp_seconds gauge\n"
                             "pushrun_last_success_timestamp_seconds 1700000000\n"))
              .empty());
  CHECK_FALSE(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 2)}, false, {},
                                 PushDeadline(settings.push_deadline), log));
  CHECK(server.request_count() == 1);  // the spooled one only: the new one must not overtake it
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  CHECK_THAT(listing.reports[0].body, Catch::Contains("pushrun_exit_code 2\n"));
  CHECK_THAT(listing.reports[0].body,
             Catch::Contains("pushrun_last_success_timestamp_seconds 1700000000\n"));
}

TEST_CASE("Spooled delivery: a gateway that never answers ends the delivery at the deadline",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::NeverAnswer()});
  std::ostringstream err;
  Logger log(err);
  Settings settings = SettingsFor(server.url(), dir.path);
  settings.targets[0].push.timeout = milliseconds(10'000);
  settings.targets[0].push.retry.max_retries = 5;
  settings.push_deadline = milliseconds(700);
  // A spooled report for the group too: flush and push share the one deadline.
  REQUIRE(Spool(dir.path, "x").Store(Nightly("POST", "# TYPE a gauge\na 1\n")).empty());
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 0)}, true, {},
                                 PushDeadline(settings.push_deadline), log));
  CHECK(std::chrono::steady_clock::now() - start < milliseconds(3000));  // generous: no hang
  CHECK(SpooledCount(dir.path) == 1);
}

TEST_CASE("pushrun flush: delivers everything, skips foreign files, exit 1 while any remains",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(200)});
  std::ostringstream err;
  Logger log(err, pushrun::runner::LogStyle::kText, 1);
  Settings settings = SettingsFor(server.url(), dir.path);
  const Spool spool(dir.path, "x");
  for (const char* db : {"a", "b", "c"}) {
    REQUIRE(spool
                .Store({.method = "PUT",
                        .params = {.job_name = "j", .groupings = {{"db", db}}},
                        .body = "# TYPE a gauge\na 1\n"})
                .empty());
  }
  SECTION("all delivered: exit 0, spool empty") {
    CHECK(RunFlush(settings, log) == 0);
    CHECK(server.request_count() == 3);
    for (const auto& request : server.requests()) CHECK(request.method == "PUT");
    CHECK(SpooledCount(dir.path) == 0);
  }
  SECTION("a foreign file: reported, left in place, exit 1") {
    std::ofstream(dir.path + "/notes.txt") << "mine\n";
    CHECK(RunFlush(settings, log) == 1);
    CHECK(server.request_count() == 3);
    CHECK(fs::exists(dir.path + "/notes.txt"));
    CHECK_THAT(err.str(), Catch::Contains("notes.txt: not a pushrun spool file"));
  }
  SECTION("no spool directory or no gateway: 125") {
    settings.spool_dir.clear();
    CHECK(RunFlush(settings, log) == 125);
    settings.spool_dir = dir.path;
    settings.targets.clear();
    CHECK(RunFlush(settings, log) == 125);
  }
}

TEST_CASE("pushrun flush: an unreachable gateway keeps every report, exit 1",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(502)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  REQUIRE(
      Spool(dir.path, "x")
          .Store({.method = "POST", .params = {.job_name = "j"}, .body = "# TYPE a gauge\na 1\n"})
          .empty());
  CHECK(RunFlush(settings, log) == 1);
  CHECK(SpooledCount(dir.path) == 1);
  CHECK_THAT(err.str(), Catch::Contains("kept for the next flush"));
}

TEST_CASE("Spool: a report stored while the older one was being sent is not removed",
          "[runner][spool]") {
  TempDir dir;
  const Spool spool(dir.path, "x");
  const SpooledReport first{
      .method = "POST", .params = {.job_name = "j"}, .body = "# TYPE a gauge\na 1\n"};
  SpooledReport second = first;
  second.body = "# TYPE a gauge\na 2\n";
  REQUIRE(spool.Store(first).empty());
  auto errors = spool
                    .Flush([&](const SpooledReport&) {
                      spool.Store(second);  // a run spools a newer report meanwhile
                      return pushrun::runner::SendOutcome{};
                    })
                    .errors;
  CHECK(errors.empty());
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].body == second.body);
}

TEST_CASE("Spool: concurrent stores and flushes lose and mix up nothing",
          "[runner][spool][concurrency]") {
  TempDir dir;
  const Spool spool(dir.path, "x");
  constexpr int kGroups = 16;
  constexpr int kRounds = 5;
  std::mutex mutex;
  std::map<std::string, std::string> delivered;  // group -> last body delivered
  std::vector<std::string> store_errors;         // Catch2 assertions are not thread-safe
  std::vector<std::thread> threads;
  for (int g = 0; g < kGroups; ++g) {
    threads.emplace_back([&, g] {
      for (int round = 0; round < kRounds; ++round) {
        const std::string body = "# TYPE a gauge\na " + std::to_string(g * 100 + round) + "\n";
        std::string error =
            spool.Store({.method = "POST",
                         .params = {.job_name = "j", .groupings = {{"g", std::to_string(g)}}},
                         .body = body});
        if (!error.empty()) {
          std::lock_guard<std::mutex> hold(mutex);
          store_errors.push_back(error);
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 20; ++i) {
      spool.Flush([&](const SpooledReport& report) {
        std::lock_guard<std::mutex> hold(mutex);
        delivered[report.params.groupings.at("g")] = report.body;
        return pushrun::runner::SendOutcome{};
      });
    }
  });
  for (auto& thread : threads) thread.join();
  CHECK(store_errors.empty());
  spool.Flush([&](const SpooledReport& report) {
    delivered[report.params.groupings.at("g")] = report.body;
    return pushrun::runner::SendOutcome{};
  });
  CHECK(SpooledCount(dir.path) == 0);
  REQUIRE(delivered.size() == kGroups);
  for (int g = 0; g < kGroups; ++g) {
    // The last report of each group was delivered last, and it is that group's own.
    CHECK(delivered[std::to_string(g)] ==
          "# TYPE a gauge\na " + std::to_string(g * 100 + kRounds - 1) + "\n");
  }
}

TEST_CASE("Lock: a held lock skips the run with exit 75 and records pushrun_skipped 1",
          "[runner][lock][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(200)});
  std::ostringstream err;
  Logger log(err);
  Settings settings = SettingsFor(server.url(), "");
  settings.lock_file = dir.path + "/lock";
  settings.command = {"true"};
  std::optional<RunLock> first, second;
  REQUIRE_FALSE(pushrun::runner::TakeRunLock(settings, {}, log, &first).has_value());
  REQUIRE(first.has_value());

  CHECK(pushrun::runner::TakeRunLock(settings, {}, log, &second) == pushrun::runner::kExitLockHeld);
  CHECK_FALSE(second.has_value());
  CHECK_THAT(err.str(), Catch::Contains("another run holds " + settings.lock_file));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");  // merged: the last success time stays
  CHECK_THAT(requests[0].body, Catch::Contains("pushrun_skipped 1\n"));
  CHECK_THAT(requests[0].body, !Catch::Contains("last_success"));

  first.reset();  // released: the next run may go
  CHECK_FALSE(pushrun::runner::TakeRunLock(settings, {}, log, &second).has_value());
}

TEST_CASE("Lock: a lock file that cannot be opened is pushrun's own failure (125)",
          "[runner][lock]") {
  std::ostringstream err;
  Logger log(err);
  Settings settings;
  settings.lock_file = "/nonexistent-dir/pushrun.lock";
  settings.command = {"true"};
  std::optional<RunLock> lock;
  CHECK(pushrun::runner::TakeRunLock(settings, {}, log, &lock) == 125);
}

TEST_CASE("pushrun flush: a report the gateway refuses (400) is set aside, exit 0, not resent",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(400, "text format parsing error in line 2"),
                      ScriptedResponse::Status(200)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  const Spool spool(dir.path, "x");
  REQUIRE(
      spool.Store({.method = "POST", .params = {.job_name = "j"}, .body = "# TYPE a gauge\na 1\n"})
          .empty());
  CHECK(RunFlush(settings, log) == 0);
  CHECK(SpooledCount(dir.path) == 0);
  REQUIRE(fs::is_directory(spool.rejected_dir()));
  CHECK(std::distance(fs::directory_iterator(spool.rejected_dir()), fs::directory_iterator()) == 1);
  // The gateway's status and answer, where the report went, and the count, without -v.
  CHECK_THAT(err.str(), Catch::Contains("400"));
  CHECK_THAT(err.str(), Catch::Contains("text format parsing error in line 2"));
  CHECK_THAT(err.str(), Catch::Contains("moved to " + spool.rejected_dir() + "/group-"));
  CHECK_THAT(err.str(), Catch::Contains("1 refused and set aside in " + spool.rejected_dir()));

  CHECK(RunFlush(settings, log) == 0);  // nothing left to send: no request at all
  CHECK(server.request_count() == 1);
}

TEST_CASE("pushrun flush: 401, 404, 408, 429 and 5xx keep the report in the spool, exit 1",
          "[runner][spool][integration]") {
  // 401/403/404/405/407 answer the settings (credentials, URL, proxy), not the report: a flush
  // with fixed settings delivers it. 408, 429 and 5xx are worth another try.
  const int status = GENERATE(401, 403, 404, 405, 407, 408, 429, 500, 503);
  CAPTURE(status);
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(status, "no")});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  const Spool spool(dir.path, "x");
  REQUIRE(
      spool.Store({.method = "POST", .params = {.job_name = "j"}, .body = "# TYPE a gauge\na 1\n"})
          .empty());
  CHECK(RunFlush(settings, log) == 1);
  CHECK(SpooledCount(dir.path) == 1);
  CHECK_FALSE(fs::exists(spool.rejected_dir()));
}

TEST_CASE(
    "Spooled delivery: the group's spooled report refused (400) is set aside, the run's "
    "own report goes",
    "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server(
      {ScriptedResponse::Status(400, "conflicting type"), ScriptedResponse::Status(200)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  const Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(spool.Store(Nightly("POST", "# TYPE a counter\na 1\n")).empty());
  CHECK(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 0)}, true, {},
                           PushDeadline(settings.push_deadline), log));
  CHECK(server.request_count() == 2);
  CHECK(SpooledCount(dir.path) == 0);
  CHECK(std::distance(fs::directory_iterator(spool.rejected_dir()), fs::directory_iterator()) == 1);
  CHECK_THAT(err.str(), Catch::Contains("conflicting type"));
}

TEST_CASE("Spooled delivery: a delete (--delete-on-success) the gateway cannot take is spooled",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(503, "down for maintenance")});
  std::ostringstream err;
  Logger log(err);
  Settings settings = SettingsFor(server.url(), dir.path);
  settings.delete_on_success = true;
  const Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  const bool older_spooled = GENERATE(false, true);
  CAPTURE(older_spooled);
  if (older_spooled) {
    REQUIRE(spool.Store(Nightly("POST", "# TYPE pushrun_exit_code gauge\npushrun_exit_code 1\n"))
                .empty());
  }
  CHECK_FALSE(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 0)}, true, {},
                                 PushDeadline(settings.push_deadline), log));
  // With an older report waiting, only that one was tried: the delete must not overtake it.
  CHECK(server.request_count() == 1);
  CHECK_THAT(err.str(), Catch::Contains("delete spooled in " + dir.path));
  CHECK_THAT(err.str(), !Catch::Contains("not spooled"));
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].method == "DELETE");
  CHECK(listing.reports[0].params.groupings.at("db") == "main");
  CHECK(listing.reports[0].body.empty());
}

TEST_CASE("Spooled delivery: a delete the gateway refuses (400) is not spooled",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(400, "bad")});
  std::ostringstream err;
  Logger log(err);
  Settings settings = SettingsFor(server.url(), dir.path);
  settings.delete_on_success = true;
  CHECK_FALSE(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 0)}, true, {},
                                 PushDeadline(settings.push_deadline), log));
  CHECK(SpooledCount(dir.path) == 0);
}

TEST_CASE("Spooled delivery: the group's spooled delete goes out first (202), then the new report",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(202), ScriptedResponse::Status(200)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  const Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(spool.Store(Nightly("DELETE", "")).empty());
  CHECK(DeliverFinalReport(settings, {Gauge("pushrun_exit_code", 4)}, false, {},
                           PushDeadline(settings.push_deadline), log));
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].method == "DELETE");
  CHECK(requests[0].path == "/metrics/job/nightly/db/main");
  CHECK(requests[0].body.empty());
  CHECK(requests[1].method == "POST");
  CHECK_THAT(requests[1].body, Catch::Contains("pushrun_exit_code 4\n"));
  CHECK(SpooledCount(dir.path) == 0);
}

TEST_CASE("pushrun flush: a spooled delete is sent as DELETE; refused for good, set aside",
          "[runner][spool][integration]") {
  const int status = GENERATE(202, 400);
  CAPTURE(status);
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(status, status == 400 ? "bad group" : "")});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  const Spool spool(dir.path, "x");
  REQUIRE(spool.Store({.method = "DELETE", .params = {.job_name = "j"}, .body = ""}).empty());
  CHECK(RunFlush(settings, log) == 0);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "DELETE");
  CHECK(requests[0].path == "/metrics/job/j");
  CHECK(SpooledCount(dir.path) == 0);
  CHECK(fs::exists(spool.rejected_dir()) == (status == 400));
}

// The hostile tester's race: a flush sending an old spooled report (exit 5) along a slow path
// while a new run of the group succeeds. The run waits for the flush's turn, so the old report
// lands first and the new one stays on the gateway.
TEST_CASE("Spooled delivery: a run of a group waits for a flush sending the group's old report",
          "[runner][spool][integration]") {
  TempDir dir;
  pushrun::testing::PushgatewayProcess gateway;
  std::ostringstream err;
  Logger log(err);
  Settings settings = SettingsFor(gateway.url(), dir.path);
  settings.push_deadline = milliseconds(10'000);
  const Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  SpooledReport old = Nightly("POST", "# TYPE pushrun_exit_code gauge\npushrun_exit_code 5\n");
  old.ended = 1700000000;
  REQUIRE(spool.Store(old).empty());

  std::atomic<bool> sending{false};
  std::thread flush([&] {
    spool.Flush([&](const SpooledReport& report) {
      sending = true;
      std::this_thread::sleep_for(milliseconds(500));  // the slow path
      return pushrun::runner::SendSpooledReport(settings.targets[0], report);
    });
  });
  while (!sending) std::this_thread::sleep_for(milliseconds(1));
  const bool delivered = DeliverFinalReport(
      settings, {Gauge("pushrun_exit_code", 0), Gauge("pushrun_end_timestamp_seconds", 1700000100)},
      true, {}, PushDeadline(settings.push_deadline), log);
  flush.join();
  CHECK(delivered);
  CHECK(pushrun::testing::PushedValue(gateway, "pushrun_exit_code", "nightly") == 0.0);
  CHECK(SpooledCount(dir.path) == 0);
}

TEST_CASE("Spooled delivery: a report older than the group's last delivered one is not sent",
          "[runner][spool][integration]") {
  TempDir dir;
  FaultServer server({ScriptedResponse::Status(200)});
  std::ostringstream err;
  Logger log(err);
  const Settings settings = SettingsFor(server.url(), dir.path);
  // The later run reaches the gateway first; the earlier one (slow sidecar, slow exit) after.
  CHECK(DeliverFinalReport(
      settings, {Gauge("pushrun_exit_code", 0), Gauge("pushrun_end_timestamp_seconds", 1700000200)},
      true, {}, PushDeadline(settings.push_deadline), log));
  CHECK_FALSE(DeliverFinalReport(
      settings, {Gauge("pushrun_exit_code", 4), Gauge("pushrun_end_timestamp_seconds", 1700000100)},
      false, {}, PushDeadline(settings.push_deadline), log));
  REQUIRE(server.request_count() == 1);
  CHECK_THAT(server.requests()[0].body, Catch::Contains("pushrun_exit_code 0\n"));
  CHECK_THAT(err.str(), Catch::Contains("a later run of the group delivered its report first; "
                                        "kept in " +
                                        dir.path + "/superseded/group-"));
  const Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(fs::is_directory(spool.superseded_dir()));
  CHECK(SpooledCount(dir.path) == 0);
}
