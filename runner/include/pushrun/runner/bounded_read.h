#pragma once

#include <cstddef>
#include <string>

namespace pushrun::runner {

// Reads a regular file without following a symlink, never more than `max_bytes` + 1 bytes and
// never blocking on a FIFO. Returns "" and fills `out`, or what is wrong ("<path>: ..."),
// including "<path>: larger than the limit of N bytes".
std::string ReadFileBounded(const std::string& path, std::size_t max_bytes, std::string* out);

}  // namespace pushrun::runner
