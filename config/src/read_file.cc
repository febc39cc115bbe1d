#include "pushrun/config/read_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pushrun::config {

FileRead ReadRegularFile(const std::string& path, std::size_t max_bytes, bool follow_symlinks,
                         std::string* out) {
  return ReadRegularFileAt(AT_FDCWD, path, max_bytes, follow_symlinks, out);
}

FileRead ReadRegularFileAt(int dir_fd, const std::string& name, std::size_t max_bytes,
                           bool follow_symlinks, std::string* out) {
  out->clear();
  FileRead result;
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  const int flags =
      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | (follow_symlinks ? 0 : O_NOFOLLOW);
  const int fd = ::openat(dir_fd, name.c_str(), flags);
  if (fd < 0) return FileRead{FileProblem::kOpen, errno, {}};
  if (::fstat(fd, &result.info) != 0) {
    result.problem = FileProblem::kStat;
    result.error = errno;
  } else if (!S_ISREG(result.info.st_mode)) {
    result.problem = FileProblem::kNotRegular;
  } else if (static_cast<std::size_t>(result.info.st_size) > max_bytes) {
    result.problem = FileProblem::kTooLarge;
  } else {
    // The file may grow while we read: read at most one byte past the limit.
    out->resize(static_cast<std::size_t>(result.info.st_size) + 1);
    std::size_t used = 0;
    for (;;) {
      if (used == out->size()) {
        if (out->size() > max_bytes) break;
        out->resize(std::min(out->size() * 2, max_bytes + 1));
      }
      const ssize_t n = ::read(fd, out->data() + used, out->size() - used);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        result.problem = FileProblem::kRead;
        result.error = errno;
        break;
      }
      used += static_cast<std::size_t>(n);
    }
    out->resize(used);
    if (result.ok() && used > max_bytes) result.problem = FileProblem::kTooLarge;
  }
  ::close(fd);
  if (!result.ok()) out->clear();
  return result;
}

std::string DescribeFileProblem(const FileRead& read, std::size_t max_bytes) {
  switch (read.problem) {
    case FileProblem::kNone:
      return {};
    case FileProblem::kNotRegular:
      return "not a regular file";
    case FileProblem::kTooLarge:
      return "larger than " + std::to_string(max_bytes) + " bytes";
    case FileProblem::kOpen:
    case FileProblem::kStat:
    case FileProblem::kRead:
      break;
  }
  return std::strerror(read.error);
}

}  // namespace pushrun::config
