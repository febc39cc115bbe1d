#include "signal_forwarding.h"

#include <pthread.h>
#include <time.h>

#include <cerrno>

namespace pushrun::runner::detail {
namespace {

constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

timespec Remaining(std::chrono::steady_clock::time_point deadline) {
  const auto left = deadline - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return timespec{0, 0};
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

bool IsForwarded(int sig) {
  for (int forwarded : kForwarded) {
    if (sig == forwarded) return true;
  }
  return false;
}

SignalScope::SignalScope(const std::vector<int>& not_forwarded) {
  sigemptyset(&forwarded_set_);
  for (int sig : kForwarded) {
    bool excluded = false;
    for (int other : not_forwarded) excluded = excluded || other == sig;
    if (excluded) continue;
    struct sigaction current {};
    // A blocked signal is queued even when ignored, so an ignored one must stay unblocked.
    if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    sigaddset(&forwarded_set_, sig);
  }
  wait_set_ = forwarded_set_;
  sigaddset(&wait_set_, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &wait_set_, &old_mask_);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  sigaction(SIGCHLD, &default_action, &old_sigchld_);
}

SignalScope::~SignalScope() {
  sigaction(SIGCHLD, &old_sigchld_, nullptr);
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

int SignalScope::Wait(std::optional<std::chrono::steady_clock::time_point> deadline) {
  for (;;) {
    int sig;
    if (deadline) {
      const timespec timeout = Remaining(*deadline);
      sig = sigtimedwait(&wait_set_, nullptr, &timeout);
    } else {
      sig = sigwaitinfo(&wait_set_, nullptr);
    }
    if (sig > 0) return sig;
    if (errno == EAGAIN) return 0;
    // EINTR: a signal outside the set (e.g. SIGCONT after a stop) interrupted the wait.
  }
}

int SignalScope::TakePendingForwarded() {
  const timespec zero{0, 0};
  for (;;) {
    const int sig = sigtimedwait(&forwarded_set_, nullptr, &zero);
    if (sig > 0) return sig;
    if (errno != EINTR) return 0;
  }
}

AllSignalsBlocked::AllSignalsBlocked() {
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old_mask_);
}

AllSignalsBlocked::~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr); }

void SignalGroup(pid_t pgid, int sig) {
  // kill() is not interrupted by signals; ESRCH (group gone) is the only expected failure.
  kill(-pgid, sig);
}

bool GroupExists(pid_t pgid) { return kill(-pgid, 0) == 0 || errno == EPERM; }

}  // namespace pushrun::runner::detail
