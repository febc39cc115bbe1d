#pragma once
// Lending the terminal's foreground to the command's process group; internal.

#include <sys/types.h>

namespace pushrun::runner::detail {

// The terminal (as a file descriptor) whose foreground the command's group should get, or -1.
//
// Why: the command runs in a process group of its own (so a timeout or a forwarded signal
// reaches all of it, and only it). Ctrl-C makes the terminal send SIGINT to its foreground
// group. If that stayed pushrun's group, the job could not read the terminal (SIGTTIN); if the
// job shared pushrun's group, it would get SIGINT from the terminal and again from pushrun's
// forwarding. So when pushrun is in the foreground of the terminal on stdin, the job's group
// becomes the foreground: Ctrl-C reaches the job exactly once, directly, and pushrun (no longer
// in the foreground) gets nothing to forward. When stdout is a pipe (`pushrun -- cmd | less`)
// the foreground is left alone, because it belongs to the whole pipeline: then Ctrl-C reaches
// pushrun, which forwards it once. Without a terminal there is nothing to decide.
int TerminalForHandoff();

// Owns the handoff for one run: active when the child's group took the foreground, and gives
// it back to pushrun's group on destruction if the child's group still holds it.
class TerminalHandoff {
 public:
  TerminalHandoff(int fd, pid_t child_pgid);
  ~TerminalHandoff();
  TerminalHandoff(const TerminalHandoff&) = delete;
  TerminalHandoff& operator=(const TerminalHandoff&) = delete;

  bool active() const { return active_; }

  // The job was stopped (Ctrl-Z). The shell only watches pushrun, so pushrun takes the
  // terminal back and stops itself the same way; when continued (fg or bg) it lends the
  // terminal again if it is in the foreground, and continues the job.
  void OnChildStopped();

 private:
  int fd_;
  pid_t child_pgid_;
  bool active_;
};

}  // namespace pushrun::runner::detail
