#include "pushrun/runner/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace pushrun::runner {
namespace {

std::string Failed(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

std::string DirectoryOf(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

bool WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string WriteFileAtomically(const std::string& path, std::string_view content, unsigned mode) {
  // The temporary name starts with '.' so that collectors globbing *.prom never see it.
  const std::string dir = DirectoryOf(path);
  std::string temp = dir + "/." + path.substr(path.rfind('/') + 1) + ".XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);
  if (fd < 0) return Failed("create a temporary file in", dir);
  std::string error;
  if (::fchmod(fd, mode) != 0) {
    error = Failed("chmod", temp);
  } else if (!WriteAll(fd, content)) {
    error = Failed("write", temp);
  } else if (::fsync(fd) != 0) {
    error = Failed("fsync", temp);
  }
  if (::close(fd) != 0 && error.empty()) error = Failed("close", temp);
  if (error.empty() && ::rename(temp.c_str(), path.c_str()) != 0) {
    error = Failed("rename into", path);
  }
  if (!error.empty()) {
    ::unlink(temp.c_str());
    return error;
  }
  // Make the rename itself durable.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

}  // namespace pushrun::runner
