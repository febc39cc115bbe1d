#include "pushrun/runner/sidecar_snapshot.h"

#include <sys/stat.h>

#include <utility>

namespace pushrun::runner {
namespace {

bool SameTime(const timespec& a, const timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

}  // namespace

bool SidecarSnapshot::Identity::operator==(const Identity& other) const {
  return device == other.device && inode == other.inode && size == other.size &&
         SameTime(mtime, other.mtime) && SameTime(ctime, other.ctime);
}

SidecarSnapshot::SidecarSnapshot(std::string path, SidecarRules rules)
    : path_(std::move(path)), rules_(std::move(rules)) {
  // A heartbeat needs the families themselves, not only the verdict.
  rules_.validate_only = false;
}

std::optional<SidecarSnapshot::Identity> SidecarSnapshot::Look(const std::string& path) {
  struct stat st {};
  // lstat: a symlink has its own identity, and ReadSidecarFile refuses it anyway.
  if (::lstat(path.c_str(), &st) != 0) return std::nullopt;
  return Identity{.device = st.st_dev,
                  .inode = st.st_ino,
                  .size = st.st_size,
                  .mtime = st.st_mtim,
                  .ctime = st.st_ctim};
}

std::optional<std::string> SidecarSnapshot::Refresh() {
  const std::optional<Identity> before = Look(path_);
  if (!before || (last_ && *last_ == *before)) return std::nullopt;

  ++reads_;
  SidecarResult result = ReadSidecarFile(path_, rules_);
  // A file written in place (not renamed over) may have been caught half-written: its identity
  // moved while it was read. Try again at the next beat.
  const std::optional<Identity> after = Look(path_);
  if (!after || !(*after == *before)) {
    return path_ +
           ": changed while it was read; this heartbeat keeps the previous sidecar "
           "values (replace the file by writing a new one beside it and renaming it over)";
  }
  last_ = before;
  if (!result.ok()) {
    return *result.error +
           " (this sidecar version is not pushed; heartbeats keep the previous "
           "values until a valid one replaces it)";
  }
  families_ = std::move(result.families);
  return std::nullopt;
}

}  // namespace pushrun::runner
