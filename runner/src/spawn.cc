#include "spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

extern char** environ;

namespace pushrun::runner::detail {
namespace {

// What went wrong in the child before or at exec, sent to the parent over a close-on-exec pipe:
// end-of-file on the pipe means exec succeeded.
enum class Stage : int { kProcessGroup = 1, kParentDeathSignal, kParentGone, kExec };

struct ChildReport {
  Stage stage;
  int error;
  int candidate;  // index into ExecPlan::candidates for kExec
};

// Everything the child needs, allocated before vfork: after vfork the child shares our memory
// and may only make system calls (no allocation, no locks).
struct ExecPlan {
  std::vector<std::string> candidates;  // paths to try, in PATH order
  std::vector<char*> argv;              // null-terminated
  std::vector<char*> shell_argv;        // {"/bin/sh", <script>, args..., null} for ENOEXEC
  char** envp = nullptr;
  std::vector<std::string> env_strings;
  std::vector<char*> env_pointers;
  int terminal_fd = -1;
  bool kill_on_parent_death = false;
  pid_t parent = 0;
  int report_fd = -1;
};

constexpr char kDefaultPath[] = "/bin:/usr/bin";  // what execvp uses when PATH is unset
constexpr char kShell[] = "/bin/sh";

// execvp's search: a name with a slash is used as is, otherwise every PATH element in order
// (an empty element is the current directory). Done in the parent so the child allocates nothing.
std::vector<std::string> Candidates(const std::string& name) {
  if (name.find('/') != std::string::npos) return {name};
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : kDefaultPath;
  std::vector<std::string> out;
  for (;;) {
    const std::size_t colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    out.push_back(dir.empty() ? name : std::string(dir) + "/" + name);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return out;
}

std::string_view EnvName(std::string_view entry) { return entry.substr(0, entry.find('=')); }

void BuildEnvironment(const std::vector<std::string>& extra, ExecPlan& plan) {
  if (extra.empty()) {
    plan.envp = environ;  // the common case costs nothing
    return;
  }
  for (const std::string& entry : extra) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      throw std::invalid_argument("RunChild: extra_env entry is not NAME=value: " +
                                  std::string(EnvName(entry)));
    }
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view name = EnvName(*e);
    bool overridden = false;
    for (const std::string& entry : extra) overridden = overridden || EnvName(entry) == name;
    if (!overridden) plan.env_pointers.push_back(*e);
  }
  plan.env_strings = extra;
  for (std::string& entry : plan.env_strings) plan.env_pointers.push_back(entry.data());
  plan.env_pointers.push_back(nullptr);
  plan.envp = plan.env_pointers.data();
}

void WriteReport(int fd, Stage stage, int error, int candidate) {
  const ChildReport report{stage, error, candidate};
  // A pipe write this small is atomic; every signal is blocked, so no EINTR.
  [[maybe_unused]] ssize_t n = write(fd, &report, sizeof report);
}

// Runs in the vforked child: system calls only, no allocation, never returns.
[[noreturn]] void ExecInChild(ExecPlan& plan) {
  // The child's own setpgid: with vfork we only run again after it exec'd, so there is no race
  // with a parent-side setpgid to close (shells call it in both because they fork).
  if (setpgid(0, 0) != 0) {
    WriteReport(plan.report_fd, Stage::kProcessGroup, errno, 0);
    _exit(127);
  }
  if (plan.terminal_fd >= 0) {
    // Allowed from a background group because SIGTTOU is blocked. A failure only means the
    // job runs without the terminal's foreground, which the parent checks afterwards.
    tcsetpgrp(plan.terminal_fd, getpid());
  }
  if (plan.kill_on_parent_death) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      WriteReport(plan.report_fd, Stage::kParentDeathSignal, errno, 0);
      _exit(127);
    }
    // The parent may have died before prctl: then nobody will ever send the signal.
    if (getppid() != plan.parent) {
      WriteReport(plan.report_fd, Stage::kParentGone, ESRCH, 0);
      _exit(127);
    }
  }
  // Handled signals are reset by exec, ignored ones are not: reset everything to default
  // while every signal is still blocked, then unblock them all.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  // A Ctrl-Z typed after the terminal became ours but before exec would stop us while our
  // parent is still suspended in vfork (or blocked on the pipe), and nobody could continue
  // the job. Ignoring the job-control stop signals discards any pending one: that keystroke is
  // lost rather than hanging the terminal.
  if (plan.terminal_fd >= 0) {
    struct sigaction ignore = default_action;
    ignore.sa_handler = SIG_IGN;
    for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) sigaction(sig, &ignore, nullptr);
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &default_action, nullptr);
  }
  // glibc's sigaction() refuses the two real-time signals it keeps for itself (32 and 33), so
  // an ignore inherited from our own parent would survive into the command; the raw system
  // call resets them as well. A default disposition needs neither flags nor a restorer.
  struct {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)();
    std::uint64_t mask;
  } kernel_default{SIG_DFL, 0, nullptr, 0};
  for (int sig = 32; sig < SIGRTMIN; ++sig) {
    syscall(SYS_rt_sigaction, sig, &kernel_default, nullptr, sizeof kernel_default.mask);
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);

  // execvp's rules: keep looking after "not there" and "permission denied" (reported if
  // nothing else is found), stop at any other error; a file the kernel cannot execute
  // (no #! line) is run by /bin/sh.
  int denied = -1;
  int last_error = ENOENT;
  int last = 0;
  const int count = static_cast<int>(plan.candidates.size());
  for (int i = 0; i < count; ++i) {
    const char* path = plan.candidates[i].c_str();
    execve(path, plan.argv.data(), plan.envp);
    int error = errno;
    if (error == ENOEXEC) {
      plan.shell_argv[1] = const_cast<char*>(path);
      execve(kShell, plan.shell_argv.data(), plan.envp);
      error = ENOEXEC;
    }
    last_error = error;
    last = i;
    switch (error) {
      case EACCES:
        if (denied < 0) denied = i;
        continue;
      case ENOENT:
      case ENOTDIR:
      case ESTALE:
      case ENODEV:
      case ETIMEDOUT:
        continue;
      default:
        WriteReport(plan.report_fd, Stage::kExec, error, i);
        _exit(127);
    }
  }
  if (denied >= 0) {
    WriteReport(plan.report_fd, Stage::kExec, EACCES, denied);
  } else {
    WriteReport(plan.report_fd, Stage::kExec, last_error, last);
  }
  _exit(127);
}

SpawnFailure Classify(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return SpawnFailure::kNotFound;
    // Found but cannot be run: what shells answer with 126.
    case EACCES:
    case EPERM:
    case ENOEXEC:
    case EISDIR:
    case ETXTBSY:
    case ELOOP:
    case ENAMETOOLONG:
    case E2BIG:
    case ELIBBAD:
      return SpawnFailure::kNotExecutable;
    default:
      return SpawnFailure::kOther;
  }
}

std::string Describe(int error) { return std::generic_category().message(error); }

std::string ExecError(const std::string& path, int error) {
  struct stat st {};
  // execve says EACCES for a directory; say what the user needs to know.
  if (error == EACCES && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return path + ": " + Describe(EISDIR);
  }
  return path + ": " + Describe(error);
}

SpawnResult Failure(SpawnFailure failure, std::string error) {
  SpawnResult result;
  result.failure = failure;
  result.error = std::move(error);
  return result;
}

void WaitForFailedChild(pid_t pid) {
  while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

SpawnResult Spawn(const ChildSpec& spec, const SpawnOptions& options) {
  if (spec.argv.empty()) throw std::invalid_argument("RunChild: empty argv");
  const std::string& name = spec.argv.front();
  if (name.empty()) return Failure(SpawnFailure::kNotFound, "'': " + Describe(ENOENT));

  ExecPlan plan;
  plan.candidates = Candidates(name);
  for (const std::string& arg : spec.argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);
  plan.shell_argv.push_back(const_cast<char*>(kShell));
  plan.shell_argv.push_back(nullptr);  // the script, filled in by the child
  plan.shell_argv.insert(plan.shell_argv.end(), plan.argv.begin() + 1, plan.argv.end());
  BuildEnvironment(spec.extra_env, plan);
  plan.terminal_fd = options.terminal_fd;
  plan.kill_on_parent_death = options.kill_on_parent_death;
  plan.parent = getpid();

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Failure(SpawnFailure::kOther, "pipe: " + Describe(errno));
  plan.report_fd = fds[1];

  // vfork: we are suspended until the child exec'd or exited, which costs no page-table copy
  // and keeps the time from our start to the command's exec small.
  const pid_t pid = vfork();
  if (pid == 0) ExecInChild(plan);
  const int vfork_error = errno;
  close(fds[1]);
  if (pid < 0) {
    close(fds[0]);
    return Failure(SpawnFailure::kOther, "vfork: " + Describe(vfork_error));
  }

  ChildReport report{};
  ssize_t n;
  do {
    n = read(fds[0], &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  close(fds[0]);
  if (n == 0) {
    SpawnResult result;
    result.pid = pid;
    return result;
  }
  WaitForFailedChild(pid);
  if (n != static_cast<ssize_t>(sizeof report)) {
    return Failure(SpawnFailure::kOther, name + ": the child failed before exec");
  }
  switch (report.stage) {
    case Stage::kProcessGroup:
      return Failure(SpawnFailure::kOther, "setpgid: " + Describe(report.error));
    case Stage::kParentDeathSignal:
      return Failure(SpawnFailure::kOther, "prctl(PR_SET_PDEATHSIG): " + Describe(report.error));
    case Stage::kParentGone:
      return Failure(SpawnFailure::kOther, "parent exited before the command started");
    case Stage::kExec:
      break;
  }
  const int index =
      report.candidate >= 0 && report.candidate < static_cast<int>(plan.candidates.size())
          ? report.candidate
          : 0;
  // Not found anywhere in PATH: name the command, not the last directory tried.
  const std::string& shown =
      Classify(report.error) == SpawnFailure::kNotFound && name.find('/') == std::string::npos
          ? name
          : plan.candidates[index];
  return Failure(Classify(report.error), ExecError(shown, report.error));
}

}  // namespace pushrun::runner::detail
