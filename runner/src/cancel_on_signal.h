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
// ignored. The destructor restores the signals' dispositions.
//
// The handler only writes the signal's number to a pipe; one watcher thread for the whole
// process reads it and cancels the current object's cancellation. That thread is started once
// and never stopped (it sleeps in poll), so constructing and destroying an object creates,
// wakes and joins no thread: that took ~0.25 ms on the way from the command's exit to
// pushrun's. One object at a time per process.
class CancelOnSignal {
 public:
  explicit CancelOnSignal(std::shared_ptr<metrics::Cancellation> cancellation);
  ~CancelOnSignal();
  CancelOnSignal(const CancelOnSignal&) = delete;
  CancelOnSignal& operator=(const CancelOnSignal&) = delete;

  // The first terminating signal received, 0 if none.
  int received() const { return received_->load(); }

  // Starts the watcher thread ahead of the first object (which starts it otherwise), from a
  // thread that can spare the time, such as the one preparing the push while the command runs.
  // Never throws; a failure shows when an object is made (the signals are then ignored).
  static void StartWatcher() noexcept;

 private:
  std::shared_ptr<metrics::Cancellation> cancellation_;
  // Shared with the watcher while this object is current.
  std::shared_ptr<std::atomic<int>> received_;
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace pushrun::runner::detail
