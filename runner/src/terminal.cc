#include "terminal.h"

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace pushrun::runner::detail {
namespace {

// tcsetpgrp from a background group is allowed only with SIGTTOU blocked or ignored;
// otherwise it would stop pushrun.
void SetForeground(int fd, pid_t pgid) {
  sigset_t ttou;
  sigset_t old;
  sigemptyset(&ttou);
  sigaddset(&ttou, SIGTTOU);
  pthread_sigmask(SIG_BLOCK, &ttou, &old);
  tcsetpgrp(fd, pgid);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace

int TerminalForHandoff() {
  // tcgetpgrp fails unless fd 0 is our controlling terminal.
  const pid_t foreground = tcgetpgrp(STDIN_FILENO);
  if (foreground < 0 || foreground != getpgrp()) return -1;
  struct stat out {};
  if (fstat(STDOUT_FILENO, &out) == 0 && S_ISFIFO(out.st_mode)) return -1;
  return STDIN_FILENO;
}

TerminalHandoff::TerminalHandoff(int fd, pid_t child_pgid)
    : fd_(fd), child_pgid_(child_pgid), active_(fd >= 0 && tcgetpgrp(fd) == child_pgid) {}

TerminalHandoff::~TerminalHandoff() {
  if (active_ && tcgetpgrp(fd_) == child_pgid_) SetForeground(fd_, getpgrp());
}

void TerminalHandoff::OnChildStopped() {
  if (!active_) return;
  if (tcgetpgrp(fd_) == child_pgid_) SetForeground(fd_, getpgrp());
  kill(getpid(), SIGSTOP);  // returns once someone sends SIGCONT
  if (tcgetpgrp(fd_) == getpgrp()) SetForeground(fd_, child_pgid_);
  kill(-child_pgid_, SIGCONT);
}

}  // namespace pushrun::runner::detail
