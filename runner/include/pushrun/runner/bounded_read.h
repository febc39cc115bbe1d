#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <string>

namespace pushrun::runner {

// Reads a regular file without following a symlink, never more than `max_bytes` + 1 bytes and
// never blocking on a FIFO. Returns "" and fills `out`, or what is wrong ("<path>: ..."),
// including "<path>: larger than the limit of N bytes".
// With `info`, the opened file's status (owner, mode) is stored there.
std::string ReadFileBounded(const std::string& path, std::size_t max_bytes, std::string* out,
                            struct stat* info = nullptr);
// The same for `name` inside the open directory `dir_fd`; messages name it `shown`.
std::string ReadFileBoundedAt(int dir_fd, const std::string& name, const std::string& shown,
                              std::size_t max_bytes, std::string* out);

}  // namespace pushrun::runner
