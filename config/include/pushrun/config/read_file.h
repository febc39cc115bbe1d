#pragma once
// The one bounded reader of a regular file, for the config file, secret files, sidecars, spool
// files and textfiles. It says what went wrong; each caller words it for its own context.

#include <sys/stat.h>

#include <cstddef>
#include <string>

namespace pushrun::config {

enum class FileProblem { kNone, kOpen, kStat, kNotRegular, kTooLarge, kRead };

struct FileRead {
  FileProblem problem = FileProblem::kNone;
  int error = 0;        // errno for kOpen, kStat and kRead
  struct stat info {};  // the file's status once opened (owner, group, mode)
  bool ok() const { return problem == FileProblem::kNone; }
};

// Reads the regular file at `path` into `out` (emptied unless it worked): never more than
// `max_bytes` + 1 bytes, even of a file that grows meanwhile; never blocking on a FIFO; through
// a symbolic link only with `follow_symlinks`.
FileRead ReadRegularFile(const std::string& path, std::size_t max_bytes, bool follow_symlinks,
                         std::string* out);
// The same for `name` relative to the open directory `dir_fd` (openat), so a caller holding a
// directory reads inside it even when its path has been swapped for another one.
FileRead ReadRegularFileAt(int dir_fd, const std::string& name, std::size_t max_bytes,
                           bool follow_symlinks, std::string* out);

// What went wrong, in the words of the config's messages: the system's error text, "not a
// regular file" or "larger than N bytes".
std::string DescribeFileProblem(const FileRead& read, std::size_t max_bytes);

}  // namespace pushrun::config
