#pragma once
// --lock FILE: at most one run at a time. A non-blocking flock, released by the kernel when
// pushrun exits however it exits, so there is no stale pidfile to clean up.

#include <optional>
#include <string>

namespace pushrun::runner {

// pushrun's exit status when the lock is held by another run (EX_TEMPFAIL from sysexits.h).
inline constexpr int kExitLockHeld = 75;

class RunLock {
 public:
  enum class Outcome { kAcquired, kHeld, kError };

  // Opens (creating, 0644) and tries to lock `path` without waiting. On kError, `error` says
  // what failed.
  static Outcome TryAcquire(const std::string& path, std::optional<RunLock>* lock,
                            std::string* error);

  RunLock(RunLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace pushrun::runner
