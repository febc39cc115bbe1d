#pragma once
// Runs the wrapped command and measures it, without changing what it does: it gets pushrun's
// file descriptors (all of them, not only stdin/stdout/stderr), environment (less and plus the
// variables the spec names), the signal dispositions a shell would give it and an empty signal
// mask, in a process group of its own.

#include <sys/resource.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace pushrun::runner {

struct ChildSpec {
  std::vector<std::string> argv;       // argv[0] is looked up in PATH unless it has a '/'
  std::vector<std::string> extra_env;  // "NAME=value", added to (overriding) the environment
  // Variable names removed from the environment (before extra_env is added). A name ending in
  // '*' removes every variable that starts with what comes before it: "PUSHRUN_*".
  std::vector<std::string> unset_env;
  // Signals the command starts with ignored; every other one starts at its default. Meant for
  // the signals pushrun itself inherited ignored (HUP under nohup, INT and QUIT in a background
  // job of a non-interactive shell): a shell leaves those ignored for what it runs, so
  // `nohup pushrun -- job` works as `nohup job` does. They are not forwarded either: whoever
  // started pushrun asked for them to be discarded.
  std::vector<int> ignored_signals;
  std::chrono::milliseconds timeout{0};          // zero: none
  std::chrono::milliseconds kill_after{10'000};  // SIGKILL this long after the timeout signal
  int timeout_signal = 15;
  // SIGKILL the command (not its group) when the thread that called RunChild dies first
  // (PR_SET_PDEATHSIG), so a killed pushrun does not leave the job running unmeasured.
  bool kill_on_parent_death = false;
  // Called once the command has been exec'd (not on spawn failure), while it runs, on the
  // calling thread; used for work that must not delay the child (e.g. a "running" push).
  // Signals that arrive meanwhile are not lost but forwarded only when it returns, so it should
  // be quick (hand slow work to a thread); the timeout counts from the start regardless.
  std::function<void()> on_started;
};

enum class SpawnFailure { kNone, kNotFound, kNotExecutable, kOther };

struct ChildOutcome {
  SpawnFailure spawn_failure = SpawnFailure::kNone;
  std::string spawn_error;  // strerror-style text when spawn_failure != kNone
  int exit_code = 0;        // valid when the child exited normally
  int signal = 0;           // the signal that killed the child, 0 if none
  bool timed_out = false;
  int received_signal = 0;  // first forwarded signal pushrun itself received (0 if none)
  std::chrono::system_clock::time_point start_time;
  std::chrono::system_clock::time_point end_time;
  double duration_seconds = 0;  // monotonic clock
  struct rusage usage {};       // of the child (wait4) and any reaped descendants
  int reaped_orphans = 0;       // descendants reaped as subreaper / PID 1

  // pushrun's exit status: the child's code; 128+N on signal N; 124 on timeout; 127 not
  // found; 126 not executable; 125 for other spawn failures.
  int WrapperExitCode() const;
};

// Blocks until the command and, when pushrun is the subreaper, every descendant it adopted
// have been waited for (bounded: it does not wait for daemonized grandchildren after the
// child's exit). Forwards TERM, INT, HUP, QUIT, USR1, USR2 to the child's process group, except
// those in spec.ignored_signals and those the process ignores.
//
// Process-wide effects, all undone before it returns except the first: the process becomes a
// child subreaper (unless it is PID 1); the calling thread blocks the forwarded signals and
// SIGCHLD (other threads must block them too, pushrun has none); SIGCHLD is set to SIG_DFL so
// children are not auto-reaped; the terminal's foreground may go to the child's group.
// Forwarded signals that arrive after the child exited are consumed (see received_signal),
// not left to kill the caller. After the child exits, every already-dead child of the process
// is reaped (waitpid(-1, WNOHANG)): a caller must not rely on waiting for other children of
// its own that die while RunChild runs. Not reentrant. Throws std::invalid_argument on an
// empty argv or a bad extra_env entry; rethrows what on_started threw, after the command ends.
ChildOutcome RunChild(const ChildSpec& spec);

}  // namespace pushrun::runner
