// --heartbeat through the real binary against a real Pushgateway: progress from sidecar
// snapshots is visible while the command runs, and the final report leaves no series that only
// a heartbeat had.

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pushrun/runner/report.h"
#include "support/hostile_server.h"
#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

namespace fs = std::filesystem;
using pushrun::runner::HeartbeatOnlyFamilyNames;
using pushrun::testing::ChildProcess;
using pushrun::testing::HostileServer;
using pushrun::testing::ProcessOptions;
using pushrun::testing::ProcessResult;
using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::Pushrun;
using pushrun::testing::PushrunArgv;
using pushrun::testing::ReadFile;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;
using pushrun::testing::WithoutPushrunEnvironment;

std::vector<std::string> Join(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.push_back("--");
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A shell function that replaces the sidecar with its arguments (one line each) the way the
// README says: a complete file beside it, renamed over it.
constexpr const char* kSnapshot =
    "snapshot() { printf '%s\\n' \"$@\" > \"$PUSHRUN_METRICS_FILE.tmp\" && "
    "mv \"$PUSHRUN_METRICS_FILE.tmp\" \"$PUSHRUN_METRICS_FILE\"; }; "
    "await() { while [ ! -e \"$D/$1\" ]; do sleep 0.02; done; }; ";

void Touch(const std::string& path) { std::ofstream(path) << ""; }

// M of the line that ends a run (-v): "heartbeats: N sent, F failed, M skipped (...)"; -1 if
// there is no such line.
int SkippedBeats(const std::string& err) {
  const std::size_t at = err.find(" skipped (a send was still in flight");
  if (at == std::string::npos || at == 0) return -1;
  const std::size_t number = err.find_last_of(' ', at - 1) + 1;
  return std::stoi(err.substr(number, at - number));
}

}  // namespace

TEST_CASE(
    "pushrun --heartbeat: progress rises on the gateway while the command runs, and the final "
    "report leaves its final values and none of the heartbeat-only series",
    "[e2e][heartbeat][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  // `phase` is in the snapshots only: the final file drops it, so the final report deletes it.
  ChildProcess run(
      PushrunArgv(
          Join({"--gateway", gateway.url(), "--job", "progress_job", "--heartbeat", "500ms"},
               {"/bin/sh", "-c",
                std::string(kSnapshot) + "for i in 1 2 3; do "
                                         "  if [ $i -lt 3 ]; then snapshot 'progress '$i 'phase 1';"
                                         "  else snapshot 'progress 3'; fi; sleep 1; "
                                         "done"})),
      WithoutPushrunEnvironment());
  bool running_seen = false;
  for (const char* value : {"1", "2", "3"}) {
    INFO("progress " << value);
    CHECK(WaitUntil([&] {
      const bool now = PushedValue(gateway, "progress", "progress_job") == std::stod(value);
      if (now && PushedValue(gateway, "pushrun_running", "progress_job") == 1) running_seen = true;
      return now;
    }));
  }
  CHECK(running_seen);
  CHECK(PushedValue(gateway, "pushrun_heartbeat_interval_seconds", "progress_job") == 0.5);
  CHECK(PushedValue(gateway, "pushrun_live_processes", "progress_job") >= 1);
  CHECK(PushedValue(gateway, "phase", "progress_job") == 1);

  const ProcessResult result = run.Wait();
  INFO(result.err);
  CHECK(result.status() == 0);
  CHECK(PushedValue(gateway, "pushrun_running", "progress_job") == 0);
  CHECK(PushedValue(gateway, "pushrun_success", "progress_job") == 1);
  CHECK(PushedValue(gateway, "progress", "progress_job") == 3);
  CHECK(gateway.Lines("phase").empty());
  for (const std::string& name : HeartbeatOnlyFamilyNames("pushrun")) {
    INFO(name);
    CHECK(gateway.Lines(name).empty());
  }

  // The gateway keeps a deleted family, empty, with the type the deletion gave it, and refuses
  // a later push of that name with another type: the next run's heartbeats must still land.
  ChildProcess next(
      PushrunArgv(Join({"--gateway", gateway.url(), "--job", "next_job", "--heartbeat", "100ms"},
                       {"/bin/sh", "-c", "sleep 0.5"})),
      WithoutPushrunEnvironment());
  CHECK(WaitUntil(
      [&] { return PushedValue(gateway, "pushrun_live_processes", "next_job").has_value(); }));
  const ProcessResult second = next.Wait();
  INFO(second.err);
  CHECK(second.status() == 0);
  CHECK_THAT(second.err, !Catch::Contains("failed"));
}

TEST_CASE(
    "pushrun --heartbeat: a snapshot that is invalid mid-run is not pushed, the previous "
    "values stay, and it is warned about once",
    "[e2e][heartbeat][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  ChildProcess run(
      PushrunArgv(
          Join({"--gateway", gateway.url(), "--job", "bad_snapshot", "--heartbeat", "100ms"},
               {"/bin/sh", "-c",
                std::string(kSnapshot) + "snapshot 'progress 1' 'rows 10'; await invalid; "
                                         "snapshot 'progress 2' 'rows ten'; await valid; "
                                         "snapshot 'progress 3' 'rows 30'"})),
      WithoutPushrunEnvironment(ProcessOptions{.env = {"D=" + dir.path}}));
  REQUIRE(WaitUntil([&] { return PushedValue(gateway, "rows", "bad_snapshot") == 10; }));
  Touch(dir.path + "/invalid");
  // Several heartbeats after the invalid version was written, the gateway still has version 1.
  const auto timestamp = [&] {
    return PushedValue(gateway, "pushrun_heartbeat_timestamp_seconds", "bad_snapshot").value_or(0);
  };
  const double after =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() +
      0.5;
  REQUIRE(WaitUntil([&] { return timestamp() > after; }));
  CHECK(PushedValue(gateway, "progress", "bad_snapshot") == 1);
  CHECK(PushedValue(gateway, "rows", "bad_snapshot") == 10);
  CHECK(PushedValue(gateway, "pushrun_running", "bad_snapshot") == 1);
  Touch(dir.path + "/valid");

  const ProcessResult result = run.Wait();
  INFO(result.err);
  CHECK(result.status() == 0);
  // Many beats saw the invalid version; it is read, and warned about, once.
  const std::string warning = "this sidecar version is not pushed";
  std::size_t warnings = 0;
  for (std::size_t at = result.err.find(warning); at != std::string::npos;
       at = result.err.find(warning, at + 1)) {
    ++warnings;
  }
  CHECK(warnings == 1);
  CHECK(PushedValue(gateway, "progress", "bad_snapshot") == 3);
  CHECK(PushedValue(gateway, "rows", "bad_snapshot") == 30);
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "bad_snapshot") == 1);
}

TEST_CASE(
    "pushrun --heartbeat: a gateway that stops during the run changes neither the command's "
    "status nor its duration, and the final report is spooled",
    "[e2e][heartbeat][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  TempDir spool;
  ChildProcess run(PushrunArgv(Join({"--gateway", gateway.url(), "--job", "outage", "--heartbeat",
                                     "100ms", "--spool-dir", spool.path, "--push-deadline", "2s"},
                                    {"/bin/sh", "-c",
                                     std::string(kSnapshot) +
                                         "snapshot 'progress 1'; await stopped; sleep 1; exit 3"})),
                   WithoutPushrunEnvironment(ProcessOptions{.env = {"D=" + dir.path}}));
  REQUIRE(WaitUntil([&] { return PushedValue(gateway, "progress", "outage") == 1; }));
  gateway.Stop();
  const auto stopped = std::chrono::steady_clock::now();
  Touch(dir.path + "/stopped");
  const ProcessResult result = run.Wait();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  INFO(result.err);
  CHECK(result.status() == 3);
  // The command took 1 s; the push deadline (2 s) bounds the rest. Generous: a loaded machine.
  CHECK(seconds < 8);
  CHECK_THAT(result.err, Catch::Contains("report spooled in " + spool.path));
  CHECK_THAT(result.err, Catch::Contains("heartbeats:"));
  std::string spooled;
  for (const auto& entry : fs::directory_iterator(spool.path)) {
    if (entry.path().extension() == ".report") spooled += ReadFile(entry.path().string());
  }
  CHECK_THAT(spooled, Catch::Contains("pushrun_exit_code 3"));
  CHECK_THAT(spooled, Catch::Contains("progress 1"));
  CHECK_THAT(spooled, Catch::Contains("# delete "));

  SECTION("flushed later, it removes the heartbeat-only series a lost run left behind") {
    gateway.Start();
    // A run killed mid-run leaves its heartbeat series on the (restarted) gateway.
    ChildProcess killed(
        PushrunArgv(Join({"--gateway", gateway.url(), "--job", "outage", "--heartbeat", "100ms"},
                         {"/bin/sh", "-c", "sleep 3"})),
        WithoutPushrunEnvironment());
    REQUIRE(WaitUntil([&] {
      return PushedValue(gateway, "pushrun_heartbeat_timestamp_seconds", "outage").has_value();
    }));
    killed.Signal(SIGKILL);
    killed.Wait();
    const ProcessResult flush =
        Pushrun({"flush", "--gateway", gateway.url(), "--spool-dir", spool.path});
    INFO(flush.err);
    CHECK(flush.status() == 0);
    CHECK(PushedValue(gateway, "pushrun_exit_code", "outage") == 3);
    CHECK(PushedValue(gateway, "pushrun_running", "outage") == 0);
    for (const std::string& name : HeartbeatOnlyFamilyNames("pushrun")) {
      INFO(name);
      CHECK(gateway.Lines(name).empty());
    }
  }
}

TEST_CASE(
    "pushrun --heartbeat: a command that holds 200 MiB shows at least that much live memory on "
    "the gateway while it runs",
    "[e2e][heartbeat][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  constexpr double kMiB = 1024 * 1024;
  // bytes of one value repeated are written (memset), so every page is resident, not merely
  // reserved. The command holds them until the test has looked, at most 30 s.
  ChildProcess run(
      PushrunArgv(
          Join({"--gateway", gateway.url(), "--job", "memory", "--heartbeat", "200ms"},
               {"/usr/bin/python3", "-c",
                "import os, time\n"
                "held = b'x' * (200 << 20)\n"
                "end = time.monotonic() + 30\n"
                "while not os.path.exists(os.environ['D'] + '/end') and time.monotonic() < end:\n"
                "    time.sleep(0.02)\n"})),
      WithoutPushrunEnvironment(ProcessOptions{.env = {"D=" + dir.path}}));
  double seen = 0;
  CHECK(WaitUntil(
      [&] {
        seen = PushedValue(gateway, "pushrun_live_memory_bytes", "memory").value_or(0);
        return seen >= 200 * kMiB;
      },
      std::chrono::seconds(30)));
  INFO("live memory " << seen / kMiB << " MiB");
  // In bytes, not KiB counted as bytes or bytes as KiB: the command and its interpreter only.
  CHECK(seen < 1024 * kMiB);
  CHECK(PushedValue(gateway, "pushrun_running", "memory") == 1);
  Touch(dir.path + "/end");
  const ProcessResult result = run.Wait();
  INFO(result.err);
  CHECK(result.status() == 0);
  CHECK(PushedValue(gateway, "pushrun_running", "memory") == 0);
  CHECK(gateway.Lines("pushrun_live_memory_bytes").empty());
}

TEST_CASE(
    "pushrun --heartbeat: beats that fall due while a slow gateway still answers the last one "
    "are skipped and counted at the end; the command's status and duration are unchanged",
    "[e2e][heartbeat][integration]") {
  PushgatewayProcess gateway;
  // Each request waits 300 ms, three intervals, before the real gateway gets it.
  HostileServer slow("stall-proxy:300:" + std::to_string(gateway.port()));
  const ProcessResult result =
      Pushrun(Join({"-v", "--gateway", slow.url(), "--job", "slow_gateway", "--heartbeat", "100ms"},
                   {"/bin/sh", "-c", "sleep 1.5; exit 7"}));
  INFO(result.err);
  CHECK(result.status() == 7);
  CHECK(SkippedBeats(result.err) > 0);
  CHECK_THAT(result.err, Catch::Contains(" 0 failed"));
  CHECK(slow.Log().find("POST") != std::string::npos);
  // The final report went through the slow gateway too.
  CHECK(PushedValue(gateway, "pushrun_exit_code", "slow_gateway") == 7);
  CHECK(PushedValue(gateway, "pushrun_running", "slow_gateway") == 0);
  const double duration =
      PushedValue(gateway, "pushrun_duration_seconds", "slow_gateway").value_or(0);
  // The command's 1.5 s, not the beats' stalls (five or so of 300 ms). Generous: a busy machine.
  CHECK(duration >= 1.5);
  CHECK(duration < 2.4);
}

TEST_CASE(
    "pushrun --heartbeat: a gateway that never answers holds the end back by at most one "
    "heartbeat timeout and the push deadline, and the beats it held up are counted",
    "[e2e][heartbeat][integration]") {
  HostileServer silent("never-answer");
  const ProcessResult result = Pushrun(Join({"-v", "--gateway", silent.url(), "--job", "silent",
                                             "--heartbeat", "100ms", "--push-deadline", "2s"},
                                            {"/bin/sh", "-c", "sleep 1; exit 4"}));
  INFO(result.err);
  CHECK(result.status() == 4);
  // 1 s of command, at most 1 s for the heartbeat in flight, 2 s for the final report; generous.
  CHECK(result.seconds < 8);
  // Every interval after the first beat fell due while it hung: some ten of them.
  CHECK(SkippedBeats(result.err) > 0);
}

TEST_CASE(
    "pushrun --heartbeat: heartbeats rewrite the textfile while the command runs, and the final "
    "report leaves none of their series",
    "[e2e][heartbeat][integration]") {
  TempDir textfiles;
  TempDir dir;
  const std::string file = textfiles.path + "/beating.prom";
  ChildProcess run(
      PushrunArgv(
          Join({"--textfile-dir", textfiles.path, "--job", "beating", "--heartbeat", "100ms"},
               {"/bin/sh", "-c", std::string(kSnapshot) + "snapshot 'progress 7'; await end"})),
      WithoutPushrunEnvironment(ProcessOptions{.env = {"D=" + dir.path}}));
  CHECK(WaitUntil([&] {
    const std::string text = ReadFile(file);
    return text.find("pushrun_running{job=\"beating\"} 1\n") != std::string::npos &&
           text.find("progress{job=\"beating\"} 7\n") != std::string::npos &&
           text.find("pushrun_heartbeat_timestamp_seconds{job=\"beating\"}") != std::string::npos;
  }));
  Touch(dir.path + "/end");
  const ProcessResult result = run.Wait();
  INFO(result.err);
  CHECK(result.status() == 0);
  const std::string text = ReadFile(file);
  CHECK_THAT(text, Catch::Contains("pushrun_running{job=\"beating\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("progress{job=\"beating\"} 7\n"));
  for (const std::string& name : HeartbeatOnlyFamilyNames("pushrun")) {
    INFO(name);
    CHECK_THAT(text, !Catch::Contains(name));
  }
}

TEST_CASE(
    "pushrun --heartbeat: below 100ms is refused with 125 before the command starts, and 0 "
    "means no heartbeats",
    "[e2e][heartbeat][integration]") {
  TempDir dir;
  const std::string marker = dir.path + "/ran";
  const std::vector<std::string> command{"/bin/sh", "-c", "touch \"$0\"", marker};
  SECTION("--heartbeat 50ms") {
    const ProcessResult result =
        Pushrun(Join({"--gateway", "http://127.0.0.1:9", "--heartbeat", "50ms"}, command));
    CHECK(result.status() == 125);
    CHECK_THAT(result.err, Catch::Contains("minimum of 100ms"));
    CHECK_FALSE(fs::exists(marker));
  }
  SECTION("PUSHRUN_HEARTBEAT=50ms") {
    const ProcessResult result = Pushrun(Join({"--gateway", "http://127.0.0.1:9"}, command),
                                         ProcessOptions{.env = {"PUSHRUN_HEARTBEAT=50ms"}});
    CHECK(result.status() == 125);
    CHECK_THAT(result.err, Catch::Contains("PUSHRUN_HEARTBEAT"));
    CHECK_FALSE(fs::exists(marker));
  }
  SECTION("heartbeat = \"50ms\" in [defaults]") {
    const std::string config = dir.path + "/pushrun.toml";
    std::ofstream(config) << "[defaults]\nheartbeat = \"50ms\"\n";
    const ProcessResult result =
        Pushrun(Join({"--config", config, "--gateway", "http://127.0.0.1:9"}, command));
    CHECK(result.status() == 125);
    CHECK_THAT(result.err, Catch::Contains("heartbeat interval 50ms"));
    CHECK_FALSE(fs::exists(marker));
  }
  SECTION("--heartbeat 0") {
    PushgatewayProcess gateway;
    const ProcessResult result = Pushrun(
        Join({"--gateway", gateway.url(), "--job", "off", "--heartbeat", "0", "--push-start"},
             {"/bin/sh", "-c", "sleep 0.5; touch \"$0\"", marker}));
    CHECK(result.status() == 0);
    CHECK(fs::exists(marker));
    CHECK(gateway.Lines("pushrun_heartbeat_timestamp_seconds").empty());
    CHECK(gateway.Lines("pushrun_heartbeat_interval_seconds").empty());
    CHECK(PushedValue(gateway, "pushrun_running", "off") == 0);
  }
}

#endif  // PUSHRUN_BINARY
