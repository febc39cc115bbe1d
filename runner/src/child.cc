#include "pushrun/runner/child.h"

#include <signal.h>
#include <sys/wait.h>

#include <exception>
#include <optional>
#include <stdexcept>
#include <utility>

#include "reaper.h"
#include "signal_forwarding.h"
#include "spawn.h"
#include "terminal.h"

namespace pushrun::runner {
namespace {

using Clock = std::chrono::steady_clock;

// After SIGKILL, how long a timed-out group may take to disappear. A process in uninterruptible
// sleep (e.g. on a dead NFS server) can outlive SIGKILL indefinitely; pushrun must still end.
constexpr std::chrono::seconds kGraceAfterKill{2};

void Validate(const ChildSpec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("RunChild: empty argv");
  if (spec.timeout.count() < 0 || spec.kill_after.count() < 0) {
    throw std::invalid_argument("RunChild: negative timeout or kill_after");
  }
  if (spec.timeout_signal <= 0 || spec.timeout_signal >= NSIG) {
    throw std::invalid_argument("RunChild: timeout_signal out of range: " +
                                std::to_string(spec.timeout_signal));
  }
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The timeout's steps: the timeout signal at the deadline, SIGKILL kill_after later, then a
// bounded wait for the group to vanish.
class Timeout {
 public:
  Timeout(const ChildSpec& spec, Clock::time_point started, pid_t pgid)
      : signal_(spec.timeout_signal), kill_after_(spec.kill_after), pgid_(pgid) {
    if (spec.timeout.count() > 0) deadline_ = started + spec.timeout;
  }

  std::optional<Clock::time_point> deadline() const { return deadline_; }
  bool fired() const { return fired_; }

  // Takes the step that is due.
  void Step() {
    if (!fired_) {
      fired_ = true;
      detail::SignalGroup(pgid_, signal_);
      // A stopped process acts on the signal only once continued (as coreutils' timeout does).
      if (signal_ != SIGKILL && signal_ != SIGSTOP && signal_ != SIGTSTP && signal_ != SIGTTIN &&
          signal_ != SIGTTOU) {
        detail::SignalGroup(pgid_, SIGCONT);
      }
      deadline_ = Clock::now() + kill_after_;
    } else if (!killed_) {
      killed_ = true;
      detail::SignalGroup(pgid_, SIGKILL);
      deadline_ = Clock::now() + kGraceAfterKill;
    } else {
      deadline_.reset();  // give up on whatever survives SIGKILL
    }
  }

 private:
  int signal_;
  std::chrono::milliseconds kill_after_;
  pid_t pgid_;
  std::optional<Clock::time_point> deadline_;
  bool fired_ = false;
  bool killed_ = false;
};

}  // namespace

ChildOutcome RunChild(const ChildSpec& spec) {
  Validate(spec);
  ChildOutcome outcome;
  // Before the child exists, so that no signal and no orphan can slip past us.
  detail::SignalScope signals(spec.ignored_signals);
  detail::Reaper reaper;
  const int terminal = detail::TerminalForHandoff();

  const Clock::time_point started = Clock::now();
  outcome.start_time = std::chrono::system_clock::now();
  detail::SpawnResult spawned;
  {
    detail::AllSignalsBlocked quiet;
    spawned = detail::Spawn(spec, {terminal, spec.kill_on_parent_death});
  }
  if (spawned.failure != SpawnFailure::kNone) {
    outcome.spawn_failure = spawned.failure;
    outcome.spawn_error = std::move(spawned.error);
    outcome.end_time = std::chrono::system_clock::now();
    outcome.duration_seconds = Seconds(Clock::now() - started);
    return outcome;
  }
  const pid_t pid = spawned.pid;  // also the id of its process group
  reaper.set_child(pid);
  detail::TerminalHandoff handoff(terminal, pid);

  // Signals stay blocked while the callback runs, so none is lost: whatever arrives meanwhile
  // is forwarded as soon as it returns. It should be quick (it delays forwarding, not the job).
  std::exception_ptr callback_error;
  if (spec.on_started) {
    try {
      spec.on_started();
    } catch (...) {
      callback_error = std::current_exception();  // the job still runs: wait for it first
    }
  }

  Timeout timeout(spec, started, pid);
  // As PID 1 every zombie in the container is ours to reap, at once; otherwise reap the
  // command's group while it runs and other adopted orphans after it.
  const pid_t watched = reaper.is_init() ? -1 : -pid;
  std::optional<detail::Reaper::ChildEvent> ended;
  auto forward = [&](int sig) {
    if (outcome.received_signal == 0) outcome.received_signal = sig;
    detail::SignalGroup(pid, sig);
  };
  while (!ended) {
    const int sig = signals.Wait(timeout.deadline());
    if (sig != 0 && sig != SIGCHLD) forward(sig);
    // SIGCHLDs coalesce, so every wake-up reaps whatever is ready.
    detail::Reaper::ChildEvent event = reaper.Reap(watched, handoff.active());
    if (event.exited) {
      ended = event;
      outcome.end_time = std::chrono::system_clock::now();
      outcome.duration_seconds = Seconds(Clock::now() - started);
    } else if (event.stopped) {
      handoff.OnChildStopped();
    } else if (sig == 0) {
      timeout.Step();  // only when the command has not exited in the meantime
    }
  }

  // A timed-out job's whole group was told to end: wait (bounded) until it has, so nothing of
  // it outlives the run. The members are orphans we adopted.
  if (timeout.fired()) {
    for (;;) {
      reaper.Reap(-pid, false);
      if (!detail::GroupExists(pid) || !timeout.deadline()) break;
      const int sig = signals.Wait(timeout.deadline());
      if (sig == 0) {
        timeout.Step();
      } else if (sig != SIGCHLD) {
        forward(sig);
      }
    }
  }
  // Descendants that died before the command did but left its group (e.g. setsid).
  reaper.Reap(-pid, false);
  reaper.Reap(-1, false);
  // Signals that came too late to matter to the command still tell the caller what happened
  // (pushrun reports a terminated run), and must not kill the caller once unblocked.
  while (const int sig = signals.TakePendingForwarded()) forward(sig);

  if (WIFEXITED(ended->status)) outcome.exit_code = WEXITSTATUS(ended->status);
  if (WIFSIGNALED(ended->status)) outcome.signal = WTERMSIG(ended->status);
  outcome.timed_out = timeout.fired();
  outcome.usage = ended->usage;
  detail::AddUsage(outcome.usage, reaper.orphan_usage());
  outcome.reaped_orphans = reaper.orphans();
  if (callback_error) std::rethrow_exception(callback_error);
  return outcome;
}

}  // namespace pushrun::runner
