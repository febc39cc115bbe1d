#pragma once
// Writing a file so that readers see the old content or the new, never a part: a temporary
// file in the same directory, fsync, rename over the target, fsync of the directory.
// Used for textfile-collector output and the spool.

#include <string>
#include <string_view>

namespace pushrun::runner {

// Returns an empty string on success, otherwise what failed ("write /dir/x.prom: No space
// left on device"). `mode` applies to the new file (umask does not narrow it further).
std::string WriteFileAtomically(const std::string& path, std::string_view content,
                                unsigned mode = 0644);

}  // namespace pushrun::runner
