#include "pushrun/runner/bounded_read.h"

#include <cstring>

#include "pushrun/config/read_file.h"

namespace pushrun::runner {

namespace {

std::string Describe(const config::FileRead& read, const std::string& path, std::size_t max_bytes) {
  switch (read.problem) {
    case config::FileProblem::kNone:
      return {};
    case config::FileProblem::kOpen:
      return path + ": cannot open: " + std::strerror(read.error);
    case config::FileProblem::kStat:
      return path + ": cannot stat: " + std::strerror(read.error);
    case config::FileProblem::kNotRegular:
      return path + ": not a regular file";
    case config::FileProblem::kRead:
      return path + ": cannot read: " + std::strerror(read.error);
    case config::FileProblem::kTooLarge:
      break;
  }
  // Known from its size at once, or found while reading a file that grew.
  const std::string size = static_cast<std::size_t>(read.info.st_size) > max_bytes
                               ? std::to_string(read.info.st_size) + " bytes, "
                               : std::string();
  return path + ": " + size + "larger than the limit of " + std::to_string(max_bytes) + " bytes";
}

}  // namespace

std::string ReadFileBounded(const std::string& path, std::size_t max_bytes, std::string* out,
                            struct stat* info) {
  const config::FileRead read =
      config::ReadRegularFile(path, max_bytes, /*follow_symlinks=*/false, out);
  if (info != nullptr) *info = read.info;
  return Describe(read, path, max_bytes);
}

std::string ReadFileBoundedAt(int dir_fd, const std::string& name, const std::string& shown,
                              std::size_t max_bytes, std::string* out) {
  const config::FileRead read =
      config::ReadRegularFileAt(dir_fd, name, max_bytes, /*follow_symlinks=*/false, out);
  return Describe(read, shown, max_bytes);
}

}  // namespace pushrun::runner
