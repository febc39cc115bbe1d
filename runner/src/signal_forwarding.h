#pragma once
// Receiving the signals pushrun forwards, synchronously; internal.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <vector>

namespace pushrun::runner::detail {

// TERM, INT, HUP, QUIT, USR1, USR2: what a supervisor, a terminal or systemd sends to stop or
// poke a job. Anything else (e.g. SIGWINCH, SIGPIPE) keeps its usual meaning for pushrun.
bool IsForwarded(int sig);

// For the lifetime of the object, the calling thread has the forwarded signals and SIGCHLD
// blocked and receives them with Wait() instead of handlers: no async-signal-unsafe code, and a
// signal that arrives at any moment (even before the child exists) stays pending until taken.
// SIGCHLD is set to SIG_DFL meanwhile (SIG_IGN or SA_NOCLDWAIT would make the kernel reap the
// child before we can wait4 it). The destructor restores the mask and SIGCHLD's disposition.
// A forwarded signal in `not_forwarded` (those pushrun inherited ignored: HUP under nohup, INT
// and QUIT in a background job of a non-interactive shell), or that the process ignores, is
// left alone, unblocked, so the kernel keeps discarding it: whoever started pushrun asked for
// the job not to be stopped that way, and the job starts with it ignored too.
class SignalScope {
 public:
  explicit SignalScope(const std::vector<int>& not_forwarded = {});
  ~SignalScope();
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

  // Waits for a forwarded signal or SIGCHLD until `deadline` (forever if none). Returns the
  // signal, or 0 when the deadline passed. EINTR is retried.
  int Wait(std::optional<std::chrono::steady_clock::time_point> deadline);

  // Takes a forwarded signal that is already pending, without waiting; 0 if none.
  int TakePendingForwarded();

 private:
  sigset_t wait_set_{};
  sigset_t forwarded_set_{};
  sigset_t old_mask_{};
  struct sigaction old_sigchld_ {};
};

// Blocks every signal in the calling thread for the lifetime of the object (around vfork, so
// the child runs nothing before it has reset its signal dispositions).
class AllSignalsBlocked {
 public:
  AllSignalsBlocked();
  ~AllSignalsBlocked();
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

 private:
  sigset_t old_mask_{};
};

// Sends `sig` to the process group `pgid`; a group that is already gone is not an error.
void SignalGroup(pid_t pgid, int sig);

// Whether any process (zombies included) is still in the group.
bool GroupExists(pid_t pgid);

}  // namespace pushrun::runner::detail
