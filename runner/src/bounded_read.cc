#include "pushrun/runner/bounded_read.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pushrun::runner {

std::string ReadFileBounded(const std::string& path, std::size_t max_bytes, std::string* out) {
  out->clear();
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return path + ": cannot open: " + std::strerror(errno);
  struct stat st {};
  std::string error;
  if (::fstat(fd, &st) != 0) {
    error = path + ": cannot stat: " + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
  } else if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    error = path + ": " + std::to_string(st.st_size) + " bytes, larger than the limit of " +
            std::to_string(max_bytes) + " bytes";
  } else {
    // The file may grow while we read: read at most one byte past the limit.
    out->resize(static_cast<std::size_t>(st.st_size) + 1);
    std::size_t used = 0;
    for (;;) {
      if (used == out->size()) {
        if (out->size() > max_bytes) break;
        out->resize(std::min(out->size() * 2, max_bytes + 1));
      }
      ssize_t n = ::read(fd, out->data() + used, out->size() - used);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        error = path + ": cannot read: " + std::strerror(errno);
        break;
      }
      used += static_cast<std::size_t>(n);
    }
    out->resize(used);
    if (error.empty() && used > max_bytes) {
      error = path + ": larger than the limit of " + std::to_string(max_bytes) + " bytes";
    }
  }
  ::close(fd);
  if (!error.empty()) out->clear();
  return error;
}

}  // namespace pushrun::runner
