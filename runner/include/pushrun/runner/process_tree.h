#pragma once
// The live resources of every process below pushrun, read from /proc while the command runs:
// the whole tree by parent links, not only the command's process group, so a descendant that
// moved to its own group or session (setsid) is still counted. Cheap enough for every
// heartbeat: one small read of /proc/<pid>/stat per process on the machine, plus one read of
// /proc/<pid>/smaps_rollup per process in the tree.

#include <sys/types.h>

namespace pushrun::runner {

enum class MemoryMeasure { kRss, kPss };

struct ProcessTreeUsage {
  int processes = 0;  // live descendants (zombies are not counted)
  // User + system CPU seconds of the descendants, including their children that exited and
  // were waited for.
  double cpu_seconds = 0;
  // Proportional set size when every descendant's /proc/<pid>/smaps_rollup could be read
  // (shared pages counted once across the tree), else resident set size of each, summed.
  double memory_bytes = 0;
  MemoryMeasure memory_measure = MemoryMeasure::kPss;
};

// "pss" or "rss".
const char* MemoryMeasureName(MemoryMeasure measure);

// The usage of every process whose chain of parents reaches `ancestor`, `ancestor` excluded.
// Processes that end while they are being read are left out. Never throws.
ProcessTreeUsage MeasureDescendants(pid_t ancestor);

}  // namespace pushrun::runner
