#include "pushrun/runner/child.h"

namespace pushrun::runner {

// The conventions of coreutils' timeout and POSIX shells, so pushrun can stand in for either:
// 124 timeout, 125 our own failure, 126 found but not runnable, 127 not found, 128+N signal N.
int ChildOutcome::WrapperExitCode() const {
  switch (spawn_failure) {
    case SpawnFailure::kNotFound:
      return 127;
    case SpawnFailure::kNotExecutable:
      return 126;
    case SpawnFailure::kOther:
      return 125;
    case SpawnFailure::kNone:
      break;
  }
  if (timed_out) return 124;
  if (signal != 0) return 128 + signal;
  return exit_code;
}

}  // namespace pushrun::runner
