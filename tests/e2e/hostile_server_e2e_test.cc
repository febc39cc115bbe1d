// The pushrun binary against a hostile gateway (tests/support/hostile_server.py, its own process
// on loopback): whatever the server sends, or does not send, the command's exit status stands,
// pushrun ends within --push-deadline, its stderr stays short and free of escape codes, and the
// report is delivered, refused for good or spooled, as the answer deserves.

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/hostile_server.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

namespace fs = std::filesystem;
using pushrun::testing::ChildProcess;
using pushrun::testing::HostileServer;
using pushrun::testing::ProcessResult;
using pushrun::testing::Pushrun;
using pushrun::testing::PushrunArgv;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;
using pushrun::testing::WithoutPushrunEnvironment;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

enum class Outcome { kDelivered, kRefused, kSpooled };

std::size_t SpooledFiles(const std::string& dir) {
  std::size_t n = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    n += entry.path().extension() == ".report";
  }
  return n;
}

// A command that exits with 3; with `large`, after writing ~6 MB of sidecar metrics, so that the
// upload outlasts the socket buffers.
std::vector<std::string> Command(bool large) {
  std::string script =
      "awk 'BEGIN { print \"# TYPE hostile_rows gauge\"; for (i = 0; i < 90000; i++) "
      "printf \"hostile_rows{i=\\\"%d\\\",pad=\\\"%060d\\\"} 1\\n\", i, i }' "
      "> \"$PUSHRUN_METRICS_FILE\"; ";
  return {"/bin/sh", "-c", (large ? script : std::string()) + "exit 3"};
}

// Runs pushrun (a command exiting 3) against the hostile server in `mode` and checks what every
// case must hold, and `outcome`. The deadline is 2 s; 10 s for the early 400, whose 6 MB sidecar
// must first be checked within it, which takes seconds in the unoptimised sanitizer build.
void Check(const std::string& mode, Outcome outcome) {
  const bool large = mode == "early-400" || mode == "never-read";
  const int deadline_seconds = mode == "early-400" ? 10 : 2;
  HostileServer server(mode);
  TempDir spool;
  std::vector<std::string> args{
      "--gateway",   server.url(), "--job",           "hostile",
      "--spool-dir", spool.path,   "--push-deadline", std::to_string(deadline_seconds) + "s",
      "--"};
  for (const std::string& word : Command(large)) args.push_back(word);

  const ProcessResult result = Pushrun(args);
  INFO(mode << " (server log: " << server.Log() << ")\n" << result.err);
  CHECK(!server.Log().empty());
  CHECK(result.status() == 3);
  // The deadline counts from the command's end; the command and pushrun's start add little.
  CHECK(result.seconds <= deadline_seconds + 1 + (large ? 1 : 0));
  CHECK(result.err.size() <= 4096);
  CHECK(result.err.find('\x1b') == std::string::npos);
  switch (outcome) {
    case Outcome::kDelivered:
      CHECK(SpooledFiles(spool.path) == 0);
      CHECK_THAT(result.err, !Catch::Contains("error"));
      break;
    case Outcome::kRefused:
      CHECK(SpooledFiles(spool.path) == 0);
      CHECK_THAT(result.err, Catch::Contains("HTTP 400"));
      break;
    case Outcome::kSpooled:
      CHECK(SpooledFiles(spool.path) == 1);
      CHECK_THAT(result.err, Catch::Contains("spooled"));
      break;
  }
}

}  // namespace

TEST_CASE(
    "pushrun (hostile server): the command's status, the deadline and a clean stderr hold "
    "whatever the gateway sends",
    "[e2e][hostile][integration]") {
  const auto [mode, outcome] = GENERATE(table<std::string, Outcome>({
      {"chunk-overflow", Outcome::kSpooled},
      {"chunks-forever", Outcome::kDelivered},
      {"continue-then-200", Outcome::kDelivered},
      {"processing-then-200", Outcome::kDelivered},
      {"folded-headers", Outcome::kDelivered},
      {"no-length-close", Outcome::kDelivered},
      {"http-1.0", Outcome::kDelivered},
      {"drip", Outcome::kSpooled},
      {"big-success", Outcome::kDelivered},
      {"big-error", Outcome::kRefused},
      {"bad-status", Outcome::kSpooled},
      {"random-bytes", Outcome::kSpooled},
      {"early-400", Outcome::kRefused},
      {"never-read", Outcome::kSpooled},
  }));
  Check(mode, outcome);
}

TEST_CASE(
    "pushrun (hostile server): SIGTERM or SIGINT during a hung push ends it within a second, "
    "spooled, with the command's status",
    "[e2e][hostile][integration]") {
  const std::string mode = GENERATE("never-answer", "drip");
  const int sig = GENERATE(SIGTERM, SIGINT);
  const auto [command, status] = GENERATE(table<std::string, int>({
      {"exit 3", 3},
      {"kill -KILL $$", 128 + SIGKILL},
  }));
  HostileServer server(mode);
  TempDir spool;
  ChildProcess run(
      PushrunArgv({"--gateway", server.url(), "--job", "stopped", "--spool-dir", spool.path,
                   "--push-deadline", "30s", "--", "/bin/sh", "-c", command}),
      WithoutPushrunEnvironment());
  REQUIRE(WaitUntil([&] { return !server.Log().empty(); }));
  // Let the push settle into its wait.
  std::this_thread::sleep_for(milliseconds(200));
  const auto signalled = Clock::now();
  run.Signal(sig);
  const ProcessResult result = run.Wait();
  const auto took = Clock::now() - signalled;
  INFO(mode << ", signal " << sig << ", " << command << "\n" << result.err);
  CHECK(result.status() == status);
  CHECK(took < std::chrono::seconds(1));
  CHECK(SpooledFiles(spool.path) == 1);
  CHECK_THAT(result.err, Catch::Contains("its push was stopped"));
  CHECK(result.err.size() <= 4096);
}

#endif  // PUSHRUN_BINARY
