#include "reaper.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace pushrun::runner::detail {
namespace {

void AddTime(timeval& into, const timeval& from) {
  into.tv_sec += from.tv_sec;
  into.tv_usec += from.tv_usec;
  if (into.tv_usec >= 1'000'000) {
    into.tv_sec += 1;
    into.tv_usec -= 1'000'000;
  }
}

}  // namespace

Reaper::Reaper() : is_init_(getpid() == 1) {
  // Failure (a kernel before 3.4) only means orphans go to init instead of being counted.
  if (!is_init_) prctl(PR_SET_CHILD_SUBREAPER, 1);
}

Reaper::ChildEvent Reaper::Reap(pid_t which, bool report_stops) {
  ChildEvent event;
  const int options = WNOHANG | (report_stops ? WUNTRACED : 0);
  for (;;) {
    int status = 0;
    struct rusage usage {};
    const pid_t pid = wait4(which, &status, options, &usage);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) break;  // 0: none ready; ECHILD: none left
    if (WIFSTOPPED(status)) {
      if (pid == child_) {
        event.stopped = true;
        event.stop_signal = WSTOPSIG(status);
      }
      continue;
    }
    if (pid == child_) {
      event.exited = true;
      event.status = status;
      event.usage = usage;
    } else {
      ++orphans_;
      AddUsage(orphan_usage_, usage);
    }
  }
  return event;
}

void AddUsage(struct rusage& into, const struct rusage& from) {
  AddTime(into.ru_utime, from.ru_utime);
  AddTime(into.ru_stime, from.ru_stime);
  into.ru_maxrss = std::max(into.ru_maxrss, from.ru_maxrss);
  into.ru_ixrss += from.ru_ixrss;
  into.ru_idrss += from.ru_idrss;
  into.ru_isrss += from.ru_isrss;
  into.ru_minflt += from.ru_minflt;
  into.ru_majflt += from.ru_majflt;
  into.ru_nswap += from.ru_nswap;
  into.ru_inblock += from.ru_inblock;
  into.ru_oublock += from.ru_oublock;
  into.ru_msgsnd += from.ru_msgsnd;
  into.ru_msgrcv += from.ru_msgrcv;
  into.ru_nsignals += from.ru_nsignals;
  into.ru_nvcsw += from.ru_nvcsw;
  into.ru_nivcsw += from.ru_nivcsw;
}

}  // namespace pushrun::runner::detail
