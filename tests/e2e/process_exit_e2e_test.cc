// How pushrun ends (runner/src/process_exit.cc): with _exit once its report is out, leaving the
// unmapping of its memory to a helper process that shares it. The helper must die with pushrun:
// nothing of pushrun may outlive it by more than a moment.

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "support/fault_server.h"
#include "support/pushrun_binary.h"

extern char** environ;

namespace {

using pushrun::testing::FaultServer;
using pushrun::testing::PushrunArgv;
using pushrun::testing::ScriptedResponse;

// What the subreaper below reports through its exit status.
constexpr int kAllGone = 0;
constexpr int kWrongStatus = 10;
constexpr int kLeftBehind = 11;

}  // namespace

TEST_CASE("pushrun: after a push, nothing of it is left a moment after its exit", "[e2e]") {
  FaultServer server({ScriptedResponse::Status(200)});
  const std::vector<std::string> args =
      PushrunArgv({"--gateway", server.url(), "--job", "exit", "--", "sh", "-c", "exit 3"});
  std::vector<char*> argv;
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::strncmp(*entry, "PUSHRUN_", 8) != 0) env.push_back(*entry);
  }
  env.push_back(nullptr);

  // A process of its own, made a subreaper, runs pushrun: whatever pushrun leaves behind is
  // reparented to it, and it waits up to 2 s for all of that to end.
  const pid_t reaper = ::fork();
  REQUIRE(reaper >= 0);
  if (reaper == 0) {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    const pid_t pushrun = ::fork();
    if (pushrun == 0) {
      ::execve(argv[0], argv.data(), env.data());
      ::_exit(127);
    }
    int status = 0;
    if (::waitpid(pushrun, &status, 0) != pushrun || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 3) {
      ::_exit(kWrongStatus);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    for (;;) {
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid < 0 && errno == ECHILD) ::_exit(kAllGone);
      if (pid == 0) {
        if (std::chrono::steady_clock::now() > deadline) ::_exit(kLeftBehind);
        ::usleep(1000);
      }
    }
  }
  int status = 0;
  REQUIRE(::waitpid(reaper, &status, 0) == reaper);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == kAllGone);
  CHECK(server.request_count() == 1);
}
