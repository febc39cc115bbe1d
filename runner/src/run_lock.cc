#include "pushrun/runner/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace pushrun::runner {

RunLock::Outcome RunLock::TryAcquire(const std::string& path, std::optional<RunLock>* lock,
                                     std::string* error) {
  // O_CLOEXEC: the command does not inherit the lock; pushrun holds it until the command and
  // the push are done.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    *error = "lock file " + path + ": " + std::strerror(errno);
    return Outcome::kError;
  }
  for (;;) {
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
      lock->emplace(RunLock(fd));
      return Outcome::kAcquired;
    }
    if (errno == EINTR) continue;
    int saved = errno;
    ::close(fd);
    if (saved == EWOULDBLOCK) return Outcome::kHeld;
    *error = "lock file " + path + ": " + std::strerror(saved);
    return Outcome::kError;
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace pushrun::runner
