#pragma once
// Starting the command with Boost.Process (v1, vfork), with everything the child needs prepared
// beforehand; internal. The only file that includes Boost.Process is spawn.cc.

#include <sys/types.h>

#include <string>

#include "pushrun/runner/child.h"

namespace pushrun::runner::detail {

struct SpawnOptions {
  // A terminal whose foreground the child's new process group should take; -1 for none.
  int terminal_fd = -1;
  bool kill_on_parent_death = false;
};

struct SpawnResult {
  pid_t pid = -1;  // the running command; -1 when it could not be started
  SpawnFailure failure = SpawnFailure::kNone;
  std::string error;  // "name: reason" when failure != kNone
};

// Starts spec.argv in a new process group (its pgid is its pid), with spec.ignored_signals
// ignored and every other signal at its default, an empty signal mask, and the environment
// spec describes; returns once it has exec'd or failed to. A process that failed to exec has
// already been waited for. The calling thread must have every signal blocked, so that nothing
// runs in the child before its dispositions are set.
SpawnResult Spawn(const ChildSpec& spec, const SpawnOptions& options);

}  // namespace pushrun::runner::detail
