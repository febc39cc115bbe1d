#include "support/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace pushrun::testing {
namespace {

constexpr auto kStopTimeout = std::chrono::seconds(5);
constexpr auto kPollInterval = std::chrono::milliseconds(20);

// Whether the process has exited (and reaps it if so).
bool Exited(pid_t pid) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, WNOHANG);
  } while (r < 0 && errno == EINTR);
  return r == pid || (r < 0 && errno == ECHILD);
}

}  // namespace

pid_t StartServer(const std::vector<std::string>& args, const std::function<bool()>& ready,
                  std::chrono::milliseconds timeout, const std::string& log_file) {
  // Everything the child needs is built before fork: only async-signal-safe calls after it.
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const std::string name = args.at(0);

  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // Do not outlive a crashed test run.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    int devnull = open("/dev/null", O_RDWR);
    int log = log_file.empty() ? -1 : open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      dup2(log >= 0 ? log : devnull, STDOUT_FILENO);
      dup2(log >= 0 ? log : devnull, STDERR_FILENO);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (Exited(pid)) throw std::runtime_error(name + " exited before it was ready");
    if (ready()) return pid;
    std::this_thread::sleep_for(kPollInterval);
  }
  StopServer(pid);
  throw std::runtime_error(name + " was not ready within " + std::to_string(timeout.count()) +
                           " ms");
}

void StopServer(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  while (!Exited(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace pushrun::testing
