#pragma once
// The signal dispositions pushrun was started with, and the one it changes for itself.
// Process-wide: meant for the first lines of main.

#include <vector>

namespace pushrun::runner {

// Records which signals the process inherited ignored (HUP under nohup, INT and QUIT in a
// background job of a non-interactive shell, PIPE from a parent that ignores it). Call it
// before anything changes a disposition, so that the command can start with exactly those
// ignored, as a shell would start it. Not thread-safe: call it before any thread exists.
void RecordInheritedSignals();

// What RecordInheritedSignals found; empty if it was never called.
const std::vector<int>& InheritedIgnoredSignals();

// Ignores SIGPIPE for pushrun itself: a reader of its stdout or stderr that went away (`pushrun
// ... 2>&1 | head`) must not kill it before the report is delivered. Writes then fail with
// EPIPE, which the output streams drop. The command still starts with SIGPIPE at its default
// unless pushrun inherited it ignored.
void IgnoreBrokenPipes();

}  // namespace pushrun::runner
