#pragma once
// Waiting for the child and for the orphans pushrun adopts; internal.

#include <sys/resource.h>
#include <sys/types.h>

namespace pushrun::runner::detail {

// Makes the process a child subreaper (PR_SET_CHILD_SUBREAPER) unless it is PID 1, which
// already inherits every orphan: either way orphaned descendants of the command become our
// children, and we reap them so they do not linger as zombies. The flag is left set.
class Reaper {
 public:
  Reaper();

  // The command: its status is reported by Reap(), everything else reaped is an orphan.
  void set_child(pid_t child) { child_ = child; }

  bool is_init() const { return is_init_; }

  // What happened to the command itself in one Reap() call.
  struct ChildEvent {
    bool exited = false;   // exited or was killed; status and usage are valid
    bool stopped = false;  // stopped (only reported with report_stops); stop_signal is valid
    int status = 0;
    int stop_signal = 0;
    struct rusage usage {};
  };

  // Reaps, without blocking, every dead child that waitpid(`which`, ...) selects: -pgid for the
  // command's group, -1 for all. Children other than the command count as reaped orphans.
  ChildEvent Reap(pid_t which, bool report_stops);

  int orphans() const { return orphans_; }
  const struct rusage& orphan_usage() const { return orphan_usage_; }

 private:
  pid_t child_ = -1;
  bool is_init_;
  int orphans_ = 0;
  struct rusage orphan_usage_ {};
};

// Adds `from` to `into`: times and counts add up, ru_maxrss is the larger of the two (the peak
// of a single process, as wait4 reports it).
void AddUsage(struct rusage& into, const struct rusage& from);

}  // namespace pushrun::runner::detail
