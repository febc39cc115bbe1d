// The pushrun binary when things go wrong: the gateway stops, fails, dies mid-request or never
// answers; another run holds the lock. Real Pushgateway or the scripted fault server, on
// loopback.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "pushrun/runner/spool.h"
#include "support/fault_server.h"
#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

namespace fs = std::filesystem;
using pushrun::testing::ChildProcess;
using pushrun::testing::FaultServer;
using pushrun::testing::ProcessResult;
using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::Pushrun;
using pushrun::testing::PushrunArgv;
using pushrun::testing::ScriptedResponse;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;
using pushrun::testing::WithoutPushrunEnvironment;

std::size_t SpooledFiles(const std::string& dir) {
  std::size_t n = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    n += entry.path().extension() == ".report";
  }
  return n;
}

// A command that writes one sidecar metric and exits with `status`, after `sleep` seconds.
std::vector<std::string> Command(int status, const std::string& sleep = "0") {
  return {"/bin/sh", "-c",
          "sleep " + sleep +
              "; printf '# TYPE batch_rows gauge\\nbatch_rows 42\\n' > \"$PUSHRUN_METRICS_FILE\"; "
              "exit " +
              std::to_string(status)};
}

std::vector<std::string> Join(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.push_back("--");
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

TEST_CASE("pushrun (faults): gateway stopped during the run, report spooled, flush delivers it",
          "[e2e][reliability][integration]") {
  PushgatewayProcess gateway;
  TempDir spool;
  const std::vector<std::string> flags{"--gateway", gateway.url(), "--job",           "spooled",
                                       "-g",        "shard=a/1",   "--spool-dir",     spool.path,
                                       "--retries", "1",           "--push-deadline", "2s"};
  ChildProcess run(PushrunArgv(Join(flags, Command(3, "1"))), WithoutPushrunEnvironment());
  gateway.Stop();  // while the command runs
  const ProcessResult result = run.Wait();
  CHECK(result.status() == 3);  // the job's status, whatever happened to the push
  CHECK_THAT(result.err, Catch::Contains("report spooled in " + spool.path));
  CHECK(SpooledFiles(spool.path) == 1);

  gateway.Start();
  SECTION("pushrun flush delivers it, values intact, and empties the spool") {
    const ProcessResult flush =
        Pushrun({"flush", "--gateway", gateway.url(), "--spool-dir", spool.path});
    CHECK(flush.status() == 0);
    CHECK(PushedValue(gateway, "pushrun_exit_code", "spooled", {"shard=\"a/1\""}) == 3.0);
    CHECK(PushedValue(gateway, "pushrun_success", "spooled", {"shard=\"a/1\""}) == 0.0);
    CHECK(PushedValue(gateway, "batch_rows", "spooled", {"shard=\"a/1\""}) == 42.0);
    CHECK(SpooledFiles(spool.path) == 0);
    CHECK(Pushrun({"flush", "--gateway", gateway.url(), "--spool-dir", spool.path}).status() == 0);
  }
  SECTION("the group's next run delivers it first, then its own report") {
    const ProcessResult next = Pushrun(Join(flags, Command(0)));
    CHECK(next.status() == 0);
    CHECK(PushedValue(gateway, "pushrun_exit_code", "spooled", {"shard=\"a/1\""}) == 0.0);
    CHECK(
        PushedValue(gateway, "pushrun_last_success_timestamp_seconds", "spooled", {"shard=\"a/1\""})
            .has_value());
    CHECK(SpooledFiles(spool.path) == 0);
  }
}

TEST_CASE("pushrun (faults): while the gateway is down no last-success time is lost",
          "[e2e][reliability][integration]") {
  PushgatewayProcess gateway;
  TempDir spool;
  const std::vector<std::string> flags{"--gateway",   gateway.url(), "--job",           "outage",
                                       "--spool-dir", spool.path,    "--push-deadline", "1s"};
  gateway.Stop();
  CHECK(Pushrun(Join(flags, Command(0))).status() == 0);  // success, spooled
  CHECK(Pushrun(Join(flags, Command(2))).status() == 2);  // failure, merged over it
  CHECK(SpooledFiles(spool.path) == 1);
  gateway.Start();
  CHECK(Pushrun(Join(flags, Command(4))).status() == 4);  // flushes, then pushes its own
  CHECK(PushedValue(gateway, "pushrun_exit_code", "outage") == 4.0);
  // The success of the first run survived two failed runs and the outage.
  const auto last_success =
      PushedValue(gateway, "pushrun_last_success_timestamp_seconds", "outage");
  REQUIRE(last_success.has_value());
  CHECK(*last_success > 1.7e9);
  CHECK(SpooledFiles(spool.path) == 0);
}

TEST_CASE("pushrun (faults): a gateway answering 503 a few times gets the report by retrying",
          "[e2e][reliability][integration]") {
  FaultServer server({ScriptedResponse::Status(503, "busy"), ScriptedResponse::Status(503),
                      ScriptedResponse::Status(200)});
  TempDir spool;
  const ProcessResult result = Pushrun(Join(
      {"--gateway", server.url(), "--job", "busy", "--retries", "3", "--spool-dir", spool.path},
      Command(5)));
  CHECK(result.status() == 5);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[2].body == requests[0].body);
  CHECK_THAT(requests[2].body, Catch::Contains("pushrun_exit_code 5\n"));
  CHECK(SpooledFiles(spool.path) == 0);
}

TEST_CASE("pushrun (faults): a gateway dying mid-request is retried, else the report is spooled",
          "[e2e][reliability][integration]") {
  TempDir spool;
  const bool partial = GENERATE(false, true);
  CAPTURE(partial);
  SECTION("it comes back: the retry delivers") {
    FaultServer server({ScriptedResponse::HangUp(partial), ScriptedResponse::Status(200)});
    const ProcessResult result = Pushrun(Join(
        {"--gateway", server.url(), "--job", "dies", "--retries", "2", "--spool-dir", spool.path},
        Command(0)));
    CHECK(result.status() == 0);
    CHECK(server.request_count() == 2);
    CHECK(SpooledFiles(spool.path) == 0);
  }
  SECTION("it stays dead: the exit status is kept and the report spooled") {
    FaultServer server({ScriptedResponse::HangUp(partial)});
    const ProcessResult result = Pushrun(Join(
        {"--gateway", server.url(), "--job", "dies", "--retries", "2", "--spool-dir", spool.path},
        Command(7)));
    CHECK(result.status() == 7);
    CHECK(server.request_count() == 3);
    CHECK(SpooledFiles(spool.path) == 1);
  }
}

TEST_CASE("pushrun (faults): a gateway that never answers cannot hold pushrun past the deadline",
          "[e2e][reliability][integration]") {
  FaultServer server({ScriptedResponse::NeverAnswer()});
  TempDir spool;
  // A spooled report of the group as well: flushing it and pushing share the one deadline.
  {
    FaultServer down({ScriptedResponse::Status(503)});
    CHECK(Pushrun(Join({"--gateway", down.url(), "--job", "slow", "--spool-dir", spool.path},
                       Command(1)))
              .status() == 1);
    REQUIRE(SpooledFiles(spool.path) == 1);
  }
  const std::vector<std::string> flags{"--gateway",       server.url(), "--job",     "slow",
                                       "--spool-dir",     spool.path,   "--retries", "5",
                                       "--push-deadline", "1500ms"};
  SECTION("a normal end") {
    const ProcessResult result = Pushrun(Join(flags, Command(6)));
    CHECK(result.status() == 6);
    CHECK(result.seconds < 6);  // generous bound around 1.5 s: the point is no hang
    CHECK(SpooledFiles(spool.path) == 1);
  }
  SECTION("a run ended by SIGTERM") {
    const std::string started =
        spool.path + "/../" + fs::path(spool.path).filename().string() + ".started";
    ChildProcess run(
        PushrunArgv(Join(flags, {"/bin/sh", "-c", "touch '" + started + "'; exec sleep 30"})),
        WithoutPushrunEnvironment());
    REQUIRE(WaitUntil([&] { return fs::exists(started); }));
    const auto start = std::chrono::steady_clock::now();
    run.Signal(SIGTERM);
    const ProcessResult result = run.Wait();
    fs::remove(started);
    CHECK(result.status() == 128 + SIGTERM);  // the command's death, reported by pushrun
    CHECK_THAT(result.err, Catch::Contains("received SIGTERM"));
    CHECK_THAT(result.err, Catch::Contains("report spooled"));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(6));
    CHECK(SpooledFiles(spool.path) == 1);
  }
}

TEST_CASE("pushrun (faults): a hanging --push-start report does not stretch the deadline",
          "[e2e][reliability][integration]") {
  FaultServer server({ScriptedResponse::NeverAnswer()});
  const ProcessResult result =
      Pushrun(Join({"--gateway", server.url(), "--job", "start", "--push-start", "--retries", "3",
                    "--push-deadline", "3s"},
                   Command(8)));
  CHECK(result.status() == 8);
  // One deadline covers the start report still in flight and the final report: about 3 s,
  // not 6 s (generous bound).
  CHECK(result.seconds < 5);
  CHECK(server.request_count() >= 1);
}

TEST_CASE("pushrun (faults): a held lock skips the run with 75 and records the skip",
          "[e2e][reliability][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  const std::string lock = dir.path + "/run.lock";
  const std::string marker = dir.path + "/ran";
  const std::vector<std::string> flags{"--gateway", gateway.url(), "--job",
                                       "locked",    "--lock",      lock};
  ChildProcess first(
      PushrunArgv(Join(flags, {"/bin/sh", "-c", "touch " + dir.path + "/first; sleep 2"})),
      WithoutPushrunEnvironment());
  REQUIRE(WaitUntil([&] { return fs::exists(dir.path + "/first"); }));

  const ProcessResult second = Pushrun(Join(flags, {"/bin/touch", marker}));
  CHECK(second.status() == 75);
  CHECK_FALSE(fs::exists(marker));  // the command did not start
  CHECK_THAT(second.err, Catch::Contains("another run holds " + lock));
  CHECK(PushedValue(gateway, "pushrun_skipped", "locked") == 1.0);
  CHECK_FALSE(PushedValue(gateway, "pushrun_exit_code", "locked").has_value());

  CHECK(first.Wait().status() == 0);
  CHECK(PushedValue(gateway, "pushrun_skipped", "locked") == 0.0);  // the latest run did run
  CHECK(PushedValue(gateway, "pushrun_exit_code", "locked") == 0.0);
  // Released: the next run goes ahead.
  CHECK(Pushrun(Join(flags, {"/bin/touch", marker})).status() == 0);
  CHECK(fs::exists(marker));
}

TEST_CASE("pushrun flush: corrupt and foreign files are reported and left, the rest delivered",
          "[e2e][reliability][integration]") {
  PushgatewayProcess gateway;
  TempDir spool;
  gateway.Stop();
  CHECK(Pushrun(Join({"--gateway", gateway.url(), "--job", "kept", "--spool-dir", spool.path,
                      "--push-deadline", "500ms"},
                     Command(0)))
            .status() == 0);
  gateway.Start();
  std::ofstream(spool.path + "/group-0123456789abcdef.report") << "# pushrun spool v1\n# meth";
  std::ofstream(spool.path + "/README") << "not mine\n";
  const ProcessResult flush =
      Pushrun({"flush", "--gateway", gateway.url(), "--spool-dir", spool.path});
  CHECK(flush.status() == 1);
  CHECK_THAT(flush.err, Catch::Contains("group-0123456789abcdef.report"));
  CHECK_THAT(flush.err, Catch::Contains("README: not a pushrun spool file"));
  CHECK(PushedValue(gateway, "pushrun_exit_code", "kept") == 0.0);
  CHECK(fs::exists(spool.path + "/README"));
  CHECK(fs::exists(spool.path + "/group-0123456789abcdef.report"));
  CHECK(SpooledFiles(spool.path) == 1);  // only the corrupt one
}

TEST_CASE("pushrun (faults): a delete the gateway missed is spooled, then flushed in order",
          "[e2e][reliability][integration]") {
  PushgatewayProcess gateway;
  TempDir spool;
  std::vector<std::string> flags{"--gateway", gateway.url(), "--job", "per_run", "-g", "run=7"};
  flags.insert(flags.end(), {"--spool-dir", spool.path, "--push-deadline", "1s"});
  // The same for `pushrun delete`, which exits 1 as long as the delete is only spooled.
  const bool verb = GENERATE(false, true);
  CAPTURE(verb);
  gateway.Stop();
  std::vector<std::string> args = flags;
  if (verb) {
    args.insert(args.begin(), "delete");
  } else {
    args.push_back("--delete-on-success");
    args = Join(args, Command(0));
  }
  const ProcessResult run = Pushrun(args);
  CHECK(run.status() == (verb ? 1 : 0));  // the job's status, whatever happened to the delete
  CHECK_THAT(run.err, Catch::Contains("delete spooled in " + spool.path));
  CHECK(SpooledFiles(spool.path) == 1);

  gateway.Start();
  // The group's old report, as it would still be on a gateway that was only unreachable (a
  // restarted test gateway forgets it): an old failure that alerts would fire on.
  CHECK(Pushrun({"--gateway", gateway.url(), "--job", "per_run", "-g", "run=7", "--", "/bin/sh",
                 "-c", "exit 3"})
            .status() == 3);
  REQUIRE(PushedValue(gateway, "pushrun_exit_code", "per_run", {"run=\"7\""}) == 3.0);
  const ProcessResult flush =
      Pushrun({"flush", "--gateway", gateway.url(), "--spool-dir", spool.path});
  CHECK(flush.status() == 0);
  CHECK(SpooledFiles(spool.path) == 0);
  // The gateway applies a DELETE just after answering 202.
  CHECK(WaitUntil([&] {
    return !PushedValue(gateway, "pushrun_exit_code", "per_run", {"run=\"7\""}).has_value();
  }));
}

TEST_CASE("pushrun flush: two flushes at once send each of 300 spooled reports once",
          "[e2e][reliability][integration]") {
  FaultServer server({ScriptedResponse::Status(200)});
  TempDir spool;
  const pushrun::runner::Spool writer(spool.path, "pushrun_last_success_timestamp_seconds");
  for (int i = 0; i < 300; ++i) {
    REQUIRE(writer
                .Store({.target = {},
                        .method = "POST",
                        .params = {.job_name = "fleet", .groupings = {{"n", std::to_string(i)}}},
                        .body = "# TYPE pushrun_exit_code gauge\npushrun_exit_code 0\n",
                        .deletions = {},
                        .path = {}})
                .empty());
  }
  const std::vector<std::string> args{"flush", "--gateway", server.url(), "--spool-dir",
                                      spool.path};
  ChildProcess one(PushrunArgv(args), WithoutPushrunEnvironment());
  ChildProcess other(PushrunArgv(args), WithoutPushrunEnvironment());
  const ProcessResult first = one.Wait();
  const ProcessResult second = other.Wait();
  INFO("first flush:\n" << first.err << "second flush:\n" << second.err);
  CHECK(first.status() == 0);
  CHECK(second.status() == 0);
  CHECK(server.request_count() == 300);
  CHECK(SpooledFiles(spool.path) == 0);
}

TEST_CASE("pushrun (faults): a spooled report older than what the group delivered is never sent",
          "[e2e][reliability][integration]") {
  PushgatewayProcess gateway;
  TempDir spool;
  const std::vector<std::string> flags{"--gateway",   gateway.url(), "--job",           "ordered",
                                       "--spool-dir", spool.path,    "--push-deadline", "1s"};
  // A report spooled while the gateway was away, stamped as ending long before the run below.
  const pushrun::runner::Spool writer(spool.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(writer
              .Store({.target = {},
                      .method = "POST",
                      .params = {.job_name = "ordered"},
                      .body = "# TYPE pushrun_exit_code gauge\npushrun_exit_code 5\n",
                      .deletions = {},
                      .path = {},
                      .ended = 1000})
              .empty());
  // Meanwhile a later run of the group delivered its report directly: the group's record.
  {
    std::string error;
    auto turn =
        writer.TakeTurn({.job_name = "ordered"}, pushrun::runner::Spool::Clock::now(), &error);
    REQUIRE(turn);
    turn->RecordDelivered(2000);  // the group delivered a report that ended later
  }
  const ProcessResult flush =
      Pushrun({"flush", "--gateway", gateway.url(), "--spool-dir", spool.path});
  CHECK(flush.status() == 0);
  CHECK_THAT(flush.err, Catch::Contains("before the group's last delivered report"));
  CHECK_THAT(flush.err, Catch::Contains(spool.path + "/superseded/group-"));
  CHECK(gateway.Lines("pushrun_exit_code").empty());
  CHECK(SpooledFiles(spool.path) == 0);
  CHECK(SpooledFiles(spool.path + "/superseded") == 1);
  // The group's next run delivers normally.
  CHECK(Pushrun(Join(flags, Command(0))).status() == 0);
  CHECK(PushedValue(gateway, "pushrun_exit_code", "ordered") == 0.0);
}

// A world-writable spool with a report planted by another user: delivered with our credentials
// before. Now flush refuses it (exit 1) and a run warns, keeps the job's status and pushes
// its own report without the spool.
TEST_CASE("pushrun (bad input): a spool anyone may write to is refused by flush and by a run",
          "[e2e][reliability][bad-input][integration]") {
  FaultServer server({ScriptedResponse::Status(200)});
  TempDir spool;
  const pushrun::runner::Spool writer(spool.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(writer
              .Store({.target = {},
                      .method = "PUT",
                      .params = {.job_name = "planted"},
                      .body = "# TYPE pushrun_exit_code gauge\npushrun_exit_code 0\n",
                      .deletions = {},
                      .path = {}})
              .empty());
  REQUIRE(::chmod(spool.path.c_str(), 0777) == 0);
  const std::string why =
      "spool directory " + spool.path + " is writable by anyone (mode 0777) without the sticky bit";

  const ProcessResult flush =
      Pushrun({"flush", "--gateway", server.url(), "--spool-dir", spool.path});
  CHECK(flush.status() == 1);
  CHECK_THAT(flush.err, Catch::StartsWith("pushrun: error: " + why));
  CHECK(server.request_count() == 0);

  const ProcessResult run = Pushrun(
      Join({"--gateway", server.url(), "--job", "mine", "--spool-dir", spool.path}, Command(3)));
  CHECK(run.status() == 3);
  CHECK_THAT(run.err, Catch::Contains("pushrun: warning: " + why));
  CHECK_THAT(run.err, Catch::Contains("the spool is not used by this run"));
  REQUIRE(server.request_count() == 1);
  CHECK(server.requests()[0].path == "/metrics/job/mine");
  CHECK(SpooledFiles(spool.path) == 1);  // the planted one, untouched
}

TEST_CASE("pushrun flush: a report another user planted in our spool is not sent",
          "[e2e][reliability][bad-input][integration]") {
  FaultServer server({ScriptedResponse::Status(200)});
  TempDir spool;
  const pushrun::runner::Spool writer(spool.path, "pushrun_last_success_timestamp_seconds");
  for (const char* job : {"ours", "planted"}) {
    REQUIRE(writer
                .Store({.target = {},
                        .method = "POST",
                        .params = {.job_name = job},
                        .body = "# TYPE pushrun_exit_code gauge\npushrun_exit_code 0\n",
                        .deletions = {},
                        .path = {}})
                .empty());
  }
  std::string planted;
  for (const auto& entry : fs::directory_iterator(spool.path)) {
    if (entry.path().extension() == ".report" &&
        pushrun::testing::ReadFile(entry.path()).find("706c616e746564") != std::string::npos) {
      planted = entry.path();
    }
  }
  REQUIRE_FALSE(planted.empty());
  REQUIRE(::chown(planted.c_str(), 4242, 4242) == 0);
  const ProcessResult flush =
      Pushrun({"flush", "--gateway", server.url(), "--spool-dir", spool.path});
  CHECK(flush.status() == 1);
  CHECK_THAT(flush.err, Catch::Contains(planted + ": owned by uid 4242"));
  REQUIRE(server.request_count() == 1);
  CHECK(server.requests()[0].path == "/metrics/job/ours");
  CHECK(fs::exists(planted));
}

#endif  // PUSHRUN_BINARY
