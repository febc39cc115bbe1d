// The report's path, measured where it ends: a backtrace taken by gdb at libcurl's
// curl_multi_perform, the call that moves a plain run's report to the gateway, holds at most 12
// of pushrun's own frames (main included). A longer path is harder to follow and to change;
// docs/ARCHITECTURE.md draws it.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/fault_server.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"

#ifdef PUSHRUN_BINARY

namespace {

// The frames of the first "bt" in gdb's output ("#N  0x... in NAME (...) at ..." or
// "#N  NAME (...)"), as their function names.
std::vector<std::string> FirstBacktrace(const std::string& gdb_output) {
  std::vector<std::string> frames;
  std::istringstream lines(gdb_output);
  std::string line;
  bool started = false;
  while (std::getline(lines, line)) {
    if (line.rfind("#", 0) != 0) {
      if (started) break;
      continue;
    }
    started = true;
    std::string rest = line.substr(line.find(' ') + 1);
    while (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
    if (const auto in = rest.find(" in "); rest.rfind("0x", 0) == 0 && in != std::string::npos) {
      rest = rest.substr(in + 4);
    }
    frames.push_back(rest.substr(0, rest.find(" (")));
  }
  return frames;
}

}  // namespace

TEST_CASE("Report path: at most 12 of pushrun's frames from main to the HTTP call",
          "[e2e][architecture][integration]") {
  REQUIRE(::access("/usr/bin/gdb", X_OK) == 0);  // packaging/install-deps.sh installs it
  pushrun::testing::FaultServer gateway({pushrun::testing::ScriptedResponse::Status(200)});
  const pushrun::testing::ProcessResult gdb = pushrun::testing::RunProcess(
      {"/usr/bin/gdb",
       "-nx",
       "-batch",
       "-ex",
       "set breakpoint pending on",
       "-ex",
       "set follow-fork-mode parent",
       "-ex",
       "set detach-on-fork on",
       "-ex",
       "break curl_multi_perform",
       "-ex",
       "run",
       "-ex",
       "bt",
       "-ex",
       "kill",
       "--args",
       PUSHRUN_BINARY,
       "--gateway",
       gateway.url(),
       "--job",
       "path",
       "--",
       "true"},
      pushrun::testing::WithoutPushrunEnvironment({.timeout = std::chrono::seconds(120)}));
  const std::vector<std::string> frames = FirstBacktrace(gdb.out);
  INFO(gdb.out + gdb.err);
  REQUIRE_FALSE(frames.empty());
  REQUIRE(frames.front() == "curl_multi_perform");
  int ours = 0;
  for (const std::string& frame : frames) {
    // gdb lists inlined calls as frames too; main.cc's Main is in an anonymous namespace.
    if (frame == "main" || frame.rfind("pushrun::", 0) == 0 ||
        frame.rfind("(anonymous namespace)::", 0) == 0) {
      ++ours;
    }
  }
  CHECK(ours >= 3);  // the count below measures something
  CHECK(ours <= 12);
}

#endif
