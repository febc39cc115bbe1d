#pragma once
// Runs a program for a test (usually the built pushrun binary) and captures what it did:
// stdout, stderr, exit status, wall time. Plain fork/exec with pipes; never a shell.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace pushrun::testing {

struct ProcessResult {
  int exit_code = -1;      // valid when signal == 0
  int signal = 0;          // the signal that killed it
  bool timed_out = false;  // killed by the helper after ProcessOptions::timeout
  std::string out;
  std::string err;
  double seconds = 0;
  // exit_code, or 128 + signal: what a shell would show.
  int status() const { return signal != 0 ? 128 + signal : exit_code; }
};

struct ProcessOptions {
  std::vector<std::string> env{};  // "NAME=value", added to (overriding) this process's environment
  std::vector<std::string> unset_env{};       // names removed from the environment
  std::chrono::milliseconds timeout{60'000};  // then SIGKILL: tests must not hang
};

// A started program. The destructor kills (SIGKILL) and reaps it if Wait() was not called.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int signal) const;
  // Collects output until the program exits (output written later by leftover descendants
  // holding the pipes is not waited for).
  ProcessResult Wait();

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point start_;
};

ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Polls `condition` every 10 ms until it holds or `limit` passes; returns whether it held.
template <typename Condition>
bool WaitUntil(Condition condition, std::chrono::milliseconds limit = std::chrono::seconds(10));

}  // namespace pushrun::testing

#include <thread>

template <typename Condition>
bool pushrun::testing::WaitUntil(Condition condition, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}
