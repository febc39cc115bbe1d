#pragma once
// What a terminating signal means once the command has ended; internal.

#include <atomic>
#include <memory>

#include "pushrun/metrics/transport.h"

namespace pushrun::runner::detail {

// For the lifetime of the object, SIGTERM, SIGINT, SIGHUP and SIGQUIT no longer kill pushrun:
// they cancel `cancellation` (ending the push in flight at once), so that pushrun still exits
// with the command's status, and soon: a supervisor's grace period is never spent on the
// report. SIGUSR1 and SIGUSR2 are ignored. A signal the process ignored already (nohup) stays
// ignored. The handler only writes the signal's number to a pipe; a thread reads it and cancels.
// One object at a time per process. The destructor restores the signals' dispositions and
// closes the pipe; it does not wait for the thread, which ends on its own once it sees the pipe
// closed (waking and joining it took ~0.15 ms on the way to pushrun's exit).
class CancelOnSignal {
 public:
  explicit CancelOnSignal(std::shared_ptr<metrics::Cancellation> cancellation);
  ~CancelOnSignal();
  CancelOnSignal(const CancelOnSignal&) = delete;
  CancelOnSignal& operator=(const CancelOnSignal&) = delete;

  // The first terminating signal received, 0 if none.
  int received() const;

 private:
  // What the watcher thread uses; it owns a share, so it may outlive this object.
  struct Watched;
  std::shared_ptr<Watched> watched_;
  int write_end_ = -1;
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace pushrun::runner::detail
