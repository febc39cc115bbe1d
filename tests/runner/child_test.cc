#include "pushrun/runner/child.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/temp_dir.h"

namespace fs = std::filesystem;
using pushrun::runner::ChildOutcome;
using pushrun::runner::ChildSpec;
using pushrun::runner::RunChild;
using pushrun::runner::SpawnFailure;

namespace {

ChildSpec Sh(const std::string& script) {
  ChildSpec spec;
  spec.argv = {"sh", "-c", script};
  return spec;
}

using pushrun::testing::ReadFile;
using pushrun::testing::TempDir;
using pushrun::testing::WithoutLibcSignals;

// Polls for a file that a process outliving RunChild is about to write.
bool WaitForFile(const std::string& path, std::chrono::seconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (fs::exists(path) && !ReadFile(path).empty()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

double Seconds(const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; }

}  // namespace

TEST_CASE("RunChild: the command's exit code is the wrapper's exit code",
          "[runner][child][integration]") {
  const int code = GENERATE(0, 1, 3, 255);
  const ChildOutcome outcome = RunChild(Sh("exit " + std::to_string(code)));
  CHECK(outcome.spawn_failure == SpawnFailure::kNone);
  CHECK(outcome.exit_code == code);
  CHECK(outcome.signal == 0);
  CHECK_FALSE(outcome.timed_out);
  CHECK(outcome.WrapperExitCode() == code);
}

TEST_CASE("RunChild: a command killed by signal N reports N and exits 128+N",
          "[runner][child][integration]") {
  const ChildOutcome outcome = RunChild(Sh("kill -TERM $$"));
  CHECK(outcome.signal == SIGTERM);
  CHECK(outcome.WrapperExitCode() == 143);
  CHECK(outcome.received_signal == 0);
}

TEST_CASE("RunChild: a command that is not found is 127", "[runner][child][integration]") {
  ChildSpec spec;
  spec.argv = {GENERATE(std::string("pushrun-test-no-such-command"),
                        std::string("/nonexistent-pushrun-dir/cmd"))};
  bool started = false;
  spec.on_started = [&] { started = true; };
  const ChildOutcome outcome = RunChild(spec);
  CHECK(outcome.spawn_failure == SpawnFailure::kNotFound);
  CHECK_THAT(outcome.spawn_error, Catch::Contains(spec.argv[0]));
  CHECK(outcome.WrapperExitCode() == 127);
  CHECK_FALSE(started);
}

TEST_CASE("RunChild: a file that cannot be executed is 126", "[runner][child][integration]") {
  TempDir dir;
  dir.File("data.txt", "#!/bin/sh\nexit 0\n", 0644);
  ChildSpec spec;
  SECTION("a file without execute permission") { spec.argv = {dir.path + "/data.txt"}; }
  SECTION("a directory") { spec.argv = {dir.path}; }
  const ChildOutcome outcome = RunChild(spec);
  CHECK(outcome.spawn_failure == SpawnFailure::kNotExecutable);
  CHECK_FALSE(outcome.spawn_error.empty());
  CHECK(outcome.WrapperExitCode() == 126);
}

TEST_CASE("RunChild: an executable script without #! runs with /bin/sh, as execvp does",
          "[runner][child][integration]") {
  TempDir dir;
  dir.File("script", "exit 7\n", 0755);
  ChildSpec spec;
  spec.argv = {dir.path + "/script"};
  CHECK(RunChild(spec).WrapperExitCode() == 7);
}

TEST_CASE("RunChild: a script whose #! names a missing interpreter is 127, naming it",
          "[runner][child][integration]") {
  TempDir dir;
  dir.File("script", "#!/nonexistent-pushrun-dir/interpreter -x\nexit 0\n", 0755);
  ChildSpec spec;
  spec.argv = {dir.path + "/script"};
  const ChildOutcome outcome = RunChild(spec);
  CHECK(outcome.spawn_failure == SpawnFailure::kNotFound);
  CHECK(outcome.WrapperExitCode() == 127);
  CHECK_THAT(outcome.spawn_error,
             Catch::Contains("bad interpreter /nonexistent-pushrun-dir/interpreter:"));
  CHECK_THAT(outcome.spawn_error, Catch::Contains(spec.argv[0]));
}

TEST_CASE("RunChild: argv[0] reaches the command as given, not as found in PATH",
          "[runner][child][integration]") {
  TempDir dir;
  ChildSpec spec;
  spec.argv = {"sh", "-c", "printf '%s' \"$0\" > \"$OUT\""};
  spec.extra_env = {"OUT=" + dir.path + "/out"};
  REQUIRE(RunChild(spec).WrapperExitCode() == 0);
  CHECK(ReadFile(dir.path + "/out") == "sh");
}

TEST_CASE("RunChild: the command inherits every open file descriptor, e.g. fd 9",
          "[runner][child][integration]") {
  // A make jobserver, systemd's LISTEN_FDS or a flock held by a wrapper script: all fds that
  // are not close-on-exec must reach the command.
  TempDir dir;
  const std::string file = dir.path + "/nine";
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::dup2(fd, 9) == 9);
  ::close(fd);
  const ChildOutcome outcome = RunChild(Sh("echo through-nine >&9"));
  ::close(9);
  CHECK(outcome.WrapperExitCode() == 0);
  CHECK(ReadFile(file) == "through-nine\n");
}

TEST_CASE("RunChild: the environment loses unset_env names and prefixes, then gains extra_env",
          "[runner][child][integration]") {
  TempDir dir;
  ::setenv("PUSHRUN_TEST_SETTING", "outer", 1);
  ::setenv("PUSHRUN_TEST_TOKEN_VAR", "s3cret", 1);
  ::setenv("PUSHRUN_TEST_KEPT", "kept", 1);
  ChildSpec spec = Sh("env > \"$OUT\"");
  spec.unset_env = {"PUSHRUN_TEST_S*", "PUSHRUN_TEST_TOKEN_VAR"};
  spec.extra_env = {"OUT=" + dir.path + "/env", "PUSHRUN_TEST_SETTING=inner"};
  const ChildOutcome outcome = RunChild(spec);
  ::unsetenv("PUSHRUN_TEST_SETTING");
  ::unsetenv("PUSHRUN_TEST_TOKEN_VAR");
  ::unsetenv("PUSHRUN_TEST_KEPT");
  REQUIRE(outcome.WrapperExitCode() == 0);
  const std::string env = ReadFile(dir.path + "/env");
  CHECK_THAT(env, Catch::Contains("PUSHRUN_TEST_KEPT=kept\n"));
  CHECK_THAT(env, Catch::Contains("PUSHRUN_TEST_SETTING=inner\n"));
  CHECK_THAT(env, !Catch::Contains("outer"));
  CHECK_THAT(env, !Catch::Contains("s3cret"));
  CHECK_THAT(env, Catch::Contains("PATH="));
}

TEST_CASE("RunChild: a command is looked up in PATH and gets extra environment variables",
          "[runner][child][integration]") {
  TempDir dir;
  ChildSpec spec;
  spec.argv = {"sh", "-c", "printf '%s %s' \"$PUSHRUN_TEST_A\" \"$HOME\" > \"$OUT\""};
  spec.extra_env = {"PUSHRUN_TEST_A=one", "HOME=/overridden", "OUT=" + dir.path + "/out"};
  REQUIRE(RunChild(spec).WrapperExitCode() == 0);
  CHECK(ReadFile(dir.path + "/out") == "one /overridden");
}

TEST_CASE("RunChild: a timeout ends the whole group with 124, grandchildren included",
          "[runner][child][integration]") {
  TempDir dir;
  ChildSpec spec;
  spec.timeout = std::chrono::milliseconds(200);
  int expected_signal = SIGTERM;
  SECTION("the timeout signal suffices") {
    spec = Sh("echo $$ > \"$PGID\"; sleep 100 & sleep 100");
    spec.timeout = std::chrono::milliseconds(200);
  }
  SECTION("SIGKILL follows kill_after later when the timeout signal is ignored") {
    spec = Sh("trap '' TERM; echo $$ > \"$PGID\"; sleep 100 & sleep 100");
    spec.timeout = std::chrono::milliseconds(200);
    spec.kill_after = std::chrono::milliseconds(200);
    expected_signal = SIGKILL;
  }
  spec.extra_env = {"PGID=" + dir.path + "/pgid"};
  const ChildOutcome outcome = RunChild(spec);
  CHECK(outcome.timed_out);
  CHECK(outcome.signal == expected_signal);
  CHECK(outcome.WrapperExitCode() == 124);
  CHECK(outcome.duration_seconds < 5);  // does not hang: 100 s sleeps
  const pid_t pgid = std::stoi(ReadFile(dir.path + "/pgid"));
  REQUIRE(pgid > 1);
  errno = 0;
  CHECK(kill(-pgid, 0) == -1);
  CHECK(errno == ESRCH);  // nothing left, not even a zombie
}

TEST_CASE("RunChild: a signal sent to the parent reaches a grandchild in the command's group",
          "[runner][child][integration]") {
  TempDir dir;
  // The grandchild traps TERM and records it; once it is ready the command signals its own
  // parent, the process calling RunChild, which must forward the signal to the whole group.
  // (The grandchild's stderr is dropped: dash reports the sleep that TERM kills.)
  ChildSpec spec =
      Sh("sh -c 'trap \"echo TERM > \\\"$GOT\\\"; exit 0\" TERM; : > \"$READY\";"
         " while :; do sleep 0.05; done' 2>/dev/null &"
         " while [ ! -e \"$READY\" ]; do sleep 0.01; done;"
         " kill -TERM $PPID; wait");
  spec.extra_env = {"GOT=" + dir.path + "/got", "READY=" + dir.path + "/ready"};
  spec.timeout = std::chrono::seconds(20);  // a safety net, not expected to fire
  const ChildOutcome outcome = RunChild(spec);
  CHECK(outcome.received_signal == SIGTERM);
  CHECK(outcome.signal == SIGTERM);
  CHECK_FALSE(outcome.timed_out);
  REQUIRE(WaitForFile(dir.path + "/got", std::chrono::seconds(5)));
  CHECK(ReadFile(dir.path + "/got") == "TERM\n");
}

TEST_CASE("RunChild: a forwarded signal arriving as the command exits is recorded, not fatal",
          "[runner][child][integration]") {
  // USR1's default action would kill the test process if RunChild left it pending. The command
  // ignores it, so it survives the signal whether forwarded during its run or not.
  const ChildOutcome outcome = RunChild(Sh("trap '' USR1; kill -USR1 $PPID; exit 0"));
  CHECK(outcome.received_signal == SIGUSR1);
  CHECK(outcome.WrapperExitCode() == 0);
}

TEST_CASE("RunChild: the command starts with an empty signal mask and default dispositions",
          "[runner][child][integration]") {
  TempDir dir;
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  struct sigaction old_int {};
  REQUIRE(sigaction(SIGINT, &ignore, &old_int) == 0);
  sigset_t usr1;
  sigset_t old_mask;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  REQUIRE(pthread_sigmask(SIG_BLOCK, &usr1, &old_mask) == 0);

  // exec: a waiting dash blocks every signal itself, so look at the exec'd process instead.
  ChildSpec spec = Sh("exec grep -E 'Sig(Blk|Ign)' /proc/self/status > \"$OUT\"");
  spec.extra_env = {"OUT=" + dir.path + "/status"};
  const ChildOutcome outcome = RunChild(spec);

  // RunChild put back what it changed: SIGUSR1 still blocked, SIGINT still ignored.
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  struct sigaction int_now {};
  sigaction(SIGINT, nullptr, &int_now);
  CHECK(sigismember(&now, SIGUSR1) == 1);
  CHECK(sigismember(&now, SIGCHLD) == 0);
  CHECK(sigismember(&now, SIGTERM) == 0);
  CHECK(int_now.sa_handler == SIG_IGN);
  pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  sigaction(SIGINT, &old_int, nullptr);

  REQUIRE(outcome.WrapperExitCode() == 0);
  CHECK(WithoutLibcSignals(ReadFile(dir.path + "/status")) ==
        "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
}

TEST_CASE("RunChild: ignored_signals start ignored in the command and are not forwarded",
          "[runner][child][integration]") {
  TempDir dir;
  // What `nohup pushrun -- job` hands over: HUP ignored, and pushrun ignores it too.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  struct sigaction old_hup {};
  REQUIRE(sigaction(SIGHUP, &ignore, &old_hup) == 0);
  ChildSpec spec = Sh("kill -HUP $PPID; exec grep SigIgn /proc/self/status > \"$OUT\"");
  spec.extra_env = {"OUT=" + dir.path + "/status"};
  spec.ignored_signals = {SIGHUP};
  const ChildOutcome outcome = RunChild(spec);
  sigaction(SIGHUP, &old_hup, nullptr);
  REQUIRE(outcome.WrapperExitCode() == 0);
  CHECK(outcome.received_signal == 0);  // discarded, as it would be for the job itself
  CHECK(WithoutLibcSignals(ReadFile(dir.path + "/status")) == "SigIgn:\t0000000000000001\n");
}

TEST_CASE("RunChild: orphaned grandchildren that exit are reaped and counted",
          "[runner][child][integration]") {
  // The subshell starts a short sleep and exits, orphaning it: as subreaper we adopt it.
  const std::string script = GENERATE(std::string("(sleep 0.1 &); sleep 0.5"),
                                      // and one that left the command's group
                                      std::string("(setsid sleep 0.1 &); sleep 0.5"));
  CAPTURE(script);
  const ChildOutcome outcome = RunChild(Sh(script));
  CHECK(outcome.WrapperExitCode() == 0);
  CHECK(outcome.reaped_orphans == 1);
}

TEST_CASE("RunChild: duration and timestamps cover the command's run",
          "[runner][child][integration]") {
  const auto before = std::chrono::system_clock::now();
  const ChildOutcome outcome = RunChild(Sh("sleep 0.3"));
  const auto after = std::chrono::system_clock::now();
  CHECK(outcome.duration_seconds >= 0.28);
  CHECK(outcome.duration_seconds <= 1.5);
  CHECK(outcome.start_time >= before);
  CHECK(outcome.end_time <= after);
  CHECK(outcome.end_time > outcome.start_time);
}

TEST_CASE("RunChild: resource usage comes from the command", "[runner][child][integration]") {
  SECTION("CPU time of a busy loop") {
    ChildSpec spec;
    spec.argv = {"python3", "-c",
                 "import os\n"
                 "while os.times().user < 0.4: sum(range(100000))"};
    const ChildOutcome outcome = RunChild(spec);
    REQUIRE(outcome.WrapperExitCode() == 0);
    CHECK(Seconds(outcome.usage.ru_utime) > 0.2);
  }
  SECTION("peak memory of a process allocating 50 MB") {
    ChildSpec spec;
    spec.argv = {"python3", "-c", "b = bytearray(50 * 1024 * 1024)"};
    const ChildOutcome outcome = RunChild(spec);
    REQUIRE(outcome.WrapperExitCode() == 0);
    CHECK(outcome.usage.ru_maxrss >= 50 * 1024);  // KiB
  }
}

TEST_CASE("RunChild: on_started runs once the command has been exec'd",
          "[runner][child][integration]") {
  TempDir dir;
  ChildSpec spec = Sh("while [ ! -e \"$FLAG\" ]; do sleep 0.01; done; exit 5");
  spec.extra_env = {"FLAG=" + dir.path + "/flag"};
  spec.kill_on_parent_death = true;
  int calls = 0;
  // The command waits for the callback's file, so it really runs while the command does.
  spec.on_started = [&] {
    ++calls;
    std::ofstream(dir.path + "/flag") << "x";
  };
  spec.timeout = std::chrono::seconds(20);
  SECTION("returns normally") {
    CHECK(RunChild(spec).WrapperExitCode() == 5);
    CHECK(calls == 1);
  }
  SECTION("an exception from it is rethrown after the command ended") {
    auto previous = spec.on_started;
    spec.on_started = [&] {
      previous();
      throw std::runtime_error("push failed");
    };
    CHECK_THROWS_WITH(RunChild(spec), "push failed");
    CHECK(calls == 1);
  }
}

TEST_CASE("RunChild: an empty argv is a programmer error", "[runner][child]") {
  CHECK_THROWS_AS(RunChild(ChildSpec{}), std::invalid_argument);
  ChildSpec bad_env = Sh("true");
  bad_env.extra_env = {"NO_EQUALS_SIGN"};
  CHECK_THROWS_AS(RunChild(bad_env), std::invalid_argument);
}
