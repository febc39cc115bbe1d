#include "spawn.h"

// Boost.Process v1 (not v2, experimental in Boost 1.81: it closes inherited fds and calls exit()
// in a vfork child). Its vfork launcher is compiled only with BOOST_POSIX_HAS_VFORK=1, which
// runner/CMakeLists.txt defines for this library. Only the headers this launch needs: the
// umbrella <boost/process.hpp> would also bring in Asio and the async machinery.
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <boost/process/posix.hpp>
#include <boost/process/search_path.hpp>
#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

extern char** environ;

namespace pushrun::runner::detail {
namespace {

namespace bp = boost::process;

// What went wrong in the child before or at exec. With vfork the child writes this into our
// memory and we read it once it has exec'd or exited; volatile, because the compiler cannot see
// that a store in the child's branch reaches the parent's.
enum class Stage : int { kNone = 0, kProcessGroup, kParentDeathSignal, kParentGone, kExec };
struct ChildReport {
  volatile Stage stage = Stage::kNone;
  volatile int error = 0;
  volatile pid_t pid = -1;  // the child that failed, to be waited for
};

// Everything the child needs, allocated before vfork: after vfork the child shares our memory
// and may only make system calls (no allocation, no locks).
struct ExecPlan {
  std::string path;               // what to execve: argv[0] itself, or found in PATH
  std::vector<char*> argv;        // null-terminated; argv[0] as given, not the path
  std::vector<char*> shell_argv;  // {"/bin/sh", <path>, args..., null} for ENOEXEC
  char** envp = nullptr;
  std::vector<std::string> env_strings;
  std::vector<char*> env_pointers;
  sigset_t ignored{};  // signals the command starts with ignored
  int terminal_fd = -1;
  bool kill_on_parent_death = false;
  pid_t parent = 0;
  ChildReport report;
};

constexpr char kDefaultPath[] = "/bin:/usr/bin";  // what execvp uses when PATH is unset
constexpr char kShell[] = "/bin/sh";

std::string Describe(int error) { return std::generic_category().message(error); }

// The PATH directories for Boost's search (bp::search_path: the first regular file we may
// execute). Split here rather than by boost::this_process::path(), which copies the whole
// environment and builds a locale to compare names.
std::vector<boost::filesystem::path> PathDirectories() {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : kDefaultPath;
  std::vector<boost::filesystem::path> out;
  for (;;) {
    const std::size_t colon = rest.find(':');
    const std::string_view dir = rest.substr(0, colon);
    out.emplace_back(dir.empty() ? std::string_view(".") : dir);  // empty: the current directory
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return out;
}

// bash's rule for a name that has no executable file in PATH: the first regular file of that
// name there is the command all the same, and its exec fails with "Permission denied" (126),
// not "command not found" (127). Returns "" when there is none.
std::string FirstRegularFile(const std::string& name,
                             const std::vector<boost::filesystem::path>& directories) {
  for (const boost::filesystem::path& directory : directories) {
    const std::string candidate = (directory / name).string();
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return candidate;
  }
  return {};
}

std::string_view EnvName(std::string_view entry) { return entry.substr(0, entry.find('=')); }

bool IsUnset(std::string_view name, const std::vector<std::string>& unset) {
  for (const std::string& pattern : unset) {
    if (!pattern.empty() && pattern.back() == '*') {
      if (name.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1))) return true;
    } else if (name == pattern) {
      return true;
    }
  }
  return false;
}

void BuildEnvironment(const ChildSpec& spec, ExecPlan& plan) {
  if (spec.extra_env.empty() && spec.unset_env.empty()) {
    plan.envp = environ;  // the common case costs nothing
    return;
  }
  for (const std::string& entry : spec.extra_env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      throw std::invalid_argument("RunChild: extra_env entry is not NAME=value: " +
                                  std::string(EnvName(entry)));
    }
  }
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string_view name = EnvName(*e);
    bool dropped = IsUnset(name, spec.unset_env);
    for (const std::string& entry : spec.extra_env) dropped = dropped || EnvName(entry) == name;
    if (!dropped) plan.env_pointers.push_back(*e);
  }
  plan.env_strings = spec.extra_env;
  for (std::string& entry : plan.env_strings) plan.env_pointers.push_back(entry.data());
  plan.env_pointers.push_back(nullptr);
  plan.envp = plan.env_pointers.data();
}

[[noreturn]] void FailInChild(ExecPlan& plan, Stage stage, int error) {
  plan.report.error = error;
  plan.report.pid = getpid();
  plan.report.stage = stage;
  _exit(127);
}

// Runs in the vforked child before exec: system calls only, no allocation.
void SetUpChild(ExecPlan& plan) {
  // The child's own setpgid: with vfork we only run again after it exec'd, so there is no race
  // with a parent-side setpgid to close (shells call it in both because they fork).
  if (setpgid(0, 0) != 0) FailInChild(plan, Stage::kProcessGroup, errno);
  if (plan.terminal_fd >= 0) {
    // Allowed from a background group because SIGTTOU is blocked. A failure only means the
    // job runs without the terminal's foreground, which the parent checks afterwards.
    tcsetpgrp(plan.terminal_fd, getpid());
  }
  if (plan.kill_on_parent_death) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
      FailInChild(plan, Stage::kParentDeathSignal, errno);
    }
    // The parent may have died before prctl: then nobody will ever send the signal.
    if (getppid() != plan.parent) FailInChild(plan, Stage::kParentGone, ESRCH);
  }
  struct sigaction action {};
  sigemptyset(&action.sa_mask);
  // A Ctrl-Z typed after the terminal became ours but before exec would stop us while our
  // parent is still suspended in vfork, and nobody could continue the job. Ignoring the
  // job-control stop signals discards any pending one: that keystroke is lost rather than
  // hanging the terminal.
  if (plan.terminal_fd >= 0) {
    action.sa_handler = SIG_IGN;
    for (int sig : {SIGTSTP, SIGTTIN, SIGTTOU}) sigaction(sig, &action, nullptr);
  }
  // What a shell gives a command: handlers are reset by exec anyway, and an ignored signal
  // stays ignored only if pushrun inherited it so; whatever pushrun ignores for itself (e.g.
  // SIGPIPE) goes back to the default. Done while every signal is still blocked. glibc refuses
  // its own two real-time signals (32, 33); pushrun never changes them, so they reach the
  // command as pushrun inherited them, which is the same rule.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    action.sa_handler = sigismember(&plan.ignored, sig) == 1 ? SIG_IGN : SIG_DFL;
    sigaction(sig, &action, nullptr);
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);
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

// The interpreter named by a "#!" line, or "" when the file has none (or cannot be read).
std::string Interpreter(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return {};
  char head[256];
  ssize_t n;
  do {
    n = read(fd, head, sizeof head);
  } while (n < 0 && errno == EINTR);
  close(fd);
  if (n < 2 || head[0] != '#' || head[1] != '!') return {};
  std::string_view line(head + 2, static_cast<std::size_t>(n - 2));
  line = line.substr(0, line.find('\n'));
  const std::size_t begin = line.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  line.remove_prefix(begin);
  return std::string(line.substr(0, line.find_first_of(" \t\r")));
}

std::string ExecError(const std::string& path, int error) {
  struct stat st {};
  // execve says EACCES for a directory; say what the user needs to know.
  if (error == EACCES && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return path + ": " + Describe(EISDIR);
  }
  // ENOENT for a file that exists: its #! line names a program that does not.
  if (error == ENOENT && stat(path.c_str(), &st) == 0) {
    if (const std::string interpreter = Interpreter(path); !interpreter.empty()) {
      return path + ": bad interpreter " + interpreter + ": " + Describe(error);
    }
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
  // Boost may have reaped it already (ECHILD); nothing else of ours can have that pid yet.
  while (pid > 0 && waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

SpawnResult Spawn(const ChildSpec& spec, const SpawnOptions& options) {
  if (spec.argv.empty()) throw std::invalid_argument("RunChild: empty argv");
  const std::string& name = spec.argv.front();
  if (name.empty()) return Failure(SpawnFailure::kNotFound, "'': " + Describe(ENOENT));

  ExecPlan plan;
  if (name.find('/') != std::string::npos) {
    plan.path = name;
  } else {
    const std::vector<boost::filesystem::path> directories = PathDirectories();
    plan.path = bp::search_path(name, directories).string();
    if (plan.path.empty()) {
      if (const std::string file = FirstRegularFile(name, directories); !file.empty()) {
        return Failure(SpawnFailure::kNotExecutable,
                       file + ": " + Describe(EACCES) + ": found in PATH but not executable (" +
                           "chmod +x it, or put an executable " + name + " in PATH)");
      }
      return Failure(SpawnFailure::kNotFound, name + ": command not found");
    }
  }
  for (const std::string& arg : spec.argv) plan.argv.push_back(const_cast<char*>(arg.c_str()));
  plan.argv.push_back(nullptr);
  plan.shell_argv.push_back(const_cast<char*>(kShell));
  plan.shell_argv.push_back(plan.path.data());
  plan.shell_argv.insert(plan.shell_argv.end(), plan.argv.begin() + 1, plan.argv.end());
  BuildEnvironment(spec, plan);
  sigemptyset(&plan.ignored);
  for (int sig : spec.ignored_signals) {
    if (sig > 0 && sig < NSIG) sigaddset(&plan.ignored, sig);
  }
  plan.terminal_fd = options.terminal_fd;
  plan.kill_on_parent_death = options.kill_on_parent_death;
  plan.parent = getpid();

  // vfork: we are suspended until the child exec'd or exited, which costs no page-table copy
  // and keeps the time from our start to the command's exec small. With an error_code, Boost
  // reports a failed exec instead of throwing.
  std::error_code launch_error;
  bp::child child(bp::exe = plan.path, bp::posix::use_vfork, launch_error,
                  bp::extend::on_setup([&plan](auto& exec) {
                    // argv[0] as the user typed it (as a shell passes it), not the path found in
                    // PATH.
                    exec.cmd_line = plan.argv.data();
                    exec.env = plan.envp;
                  }),
                  bp::extend::on_exec_setup([&plan](auto&) { SetUpChild(plan); }),
                  bp::extend::on_exec_error([&plan](auto& exec, const std::error_code& error) {
                    if (error.value() == ENOEXEC) {
                      // A file the kernel cannot execute (no #! line) is a shell script, as execvp
                      // and shells treat it. Boost already noted the failure: clear it in case the
                      // shell runs.
                      exec.set_error(std::error_code(), "");
                      execve(kShell, plan.shell_argv.data(), plan.envp);
                      exec.set_error(error, "execve failed");
                    }
                    plan.report.error = error.value();
                    plan.report.pid = getpid();
                    plan.report.stage = Stage::kExec;
                  }));
  const pid_t pid = child.valid() ? child.id() : -1;
  // From here on RunChild supervises: waiting, signals and timeouts are ours.
  if (child.valid()) child.detach();

  const Stage stage = plan.report.stage;
  if (stage == Stage::kNone && !launch_error && pid > 0) {
    SpawnResult result;
    result.pid = pid;
    return result;
  }
  WaitForFailedChild(stage != Stage::kNone ? plan.report.pid : pid);
  const int error = plan.report.error;
  switch (stage) {
    case Stage::kProcessGroup:
      return Failure(SpawnFailure::kOther, "setpgid: " + Describe(error));
    case Stage::kParentDeathSignal:
      return Failure(SpawnFailure::kOther, "prctl(PR_SET_PDEATHSIG): " + Describe(error));
    case Stage::kParentGone:
      return Failure(SpawnFailure::kOther, "parent exited before the command started");
    case Stage::kExec:
      return Failure(Classify(error), ExecError(plan.path, error));
    case Stage::kNone:
      break;
  }
  // Boost failed before the child ran anything of ours (vfork itself).
  return Failure(SpawnFailure::kOther, "cannot start " + name + ": " + launch_error.message());
}

}  // namespace pushrun::runner::detail
