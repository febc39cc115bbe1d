#include "pushrun/runner/process_signals.h"

#include <signal.h>

namespace pushrun::runner {
namespace {

std::vector<int>& Inherited() {
  static std::vector<int> ignored;
  return ignored;
}

}  // namespace

void RecordInheritedSignals() {
  std::vector<int>& ignored = Inherited();
  ignored.clear();
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction current {};
    // glibc answers EINVAL for the real-time signals it keeps for itself; pushrun never
    // changes those, so the command inherits them unchanged anyway.
    if (sigaction(sig, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
      ignored.push_back(sig);
    }
  }
}

const std::vector<int>& InheritedIgnoredSignals() { return Inherited(); }

void IgnoreBrokenPipes() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

}  // namespace pushrun::runner
