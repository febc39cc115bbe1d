#include "pushrun/runner/child.h"

#include <cerrno>

namespace pushrun::runner {

// Placeholder until the process-control change lands: reports a spawn failure.
ChildOutcome RunChild(const ChildSpec&) {
  ChildOutcome outcome;
  outcome.spawn_failure = SpawnFailure::kOther;
  outcome.spawn_error = "RunChild is not implemented yet";
  return outcome;
}

}  // namespace pushrun::runner
