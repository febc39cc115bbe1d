#pragma once
// The sidecar while the command runs: the command may replace $PUSHRUN_METRICS_FILE at any
// time (write a complete file beside it, rename it over), and each heartbeat carries the last
// valid version. The file is read again only when it changed (device, inode, size, mtime,
// ctime), by the same strict rules as at the end; a version that is refused, or that changed
// while it was read, is never used in part: the previous snapshot stays.
// Not thread-safe: one heartbeat thread owns it.

#include <sys/types.h>

#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "pushrun/metrics/family.h"
#include "pushrun/runner/sidecar.h"

namespace pushrun::runner {

class SidecarSnapshot {
 public:
  SidecarSnapshot(std::string path, SidecarRules rules);

  // Takes the file's current version if it changed since the last look. Returns a warning
  // (one per refused version, one per beat that caught the file being replaced) when the
  // snapshot was kept as it was because of a problem; nothing otherwise. A missing file
  // keeps the snapshot too: replacing by rename never leaves the name missing.
  std::optional<std::string> Refresh();

  // The last valid version's families (none before the command wrote one).
  const std::vector<metrics::MetricFamily>& families() const { return families_; }
  // How many times the file was read and parsed (it should be rare).
  int reads() const { return reads_; }

 private:
  struct Identity {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec mtime{};
    timespec ctime{};
    bool operator==(const Identity& other) const;
  };
  static std::optional<Identity> Look(const std::string& path);

  std::string path_;
  SidecarRules rules_;
  std::optional<Identity> last_;  // the version last read (valid or refused)
  std::vector<metrics::MetricFamily> families_;
  int reads_ = 0;
};

}  // namespace pushrun::runner
