#pragma once
// pushrun's verbs as library functions, so everything main does can be tested without the
// binary: the wrapped run, `delete` and `lint`. Each returns pushrun's exit status.

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/runner/log.h"

namespace pushrun::runner {

// Exit statuses of pushrun itself (the others are the command's; see ChildOutcome).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;         // `delete` or `lint` did not succeed
inline constexpr int kExitPushrunError = 125;  // usage, configuration, or (with
                                               // --fail-on-push-error) a failed push

// The shortest --heartbeat: below it, the heartbeats' own cost (reading /proc for the process
// tree, a request each) would start to show next to the command's.
inline constexpr std::chrono::milliseconds kMinimumHeartbeat{100};

struct RunIo {
  bool dry_run = false;
  std::ostream* out = nullptr;  // --dry-run output (stdout in the binary)
  std::ostream* err = nullptr;  // the report when there is neither gateway nor textfile dir,
                                // and `lint` diagnostics (stderr in the binary)
};

// Cheap checks of everything a run needs, done before the command starts (string checks
// only: no URL parsing beyond syntax, no network, no registry). "" or the problem.
std::string CheckRunSettings(const config::Settings& settings);

// Runs settings.command, measures it, reads its sidecar and delivers the report. Returns the
// command's exit status (128+N on signal N, 124 timeout, 126/127 could not run); 125 when
// pushrun could not run it at all, or when the report was not delivered and
// settings.fail_on_push_error is set and the command succeeded (a failed command keeps its
// own status, which already says "failed").
int RunWrapped(const config::Settings& settings, Logger& log, const RunIo& io = {});

// `pushrun delete`: removes the group (job + grouping) from the gateway, or its textfile.
// 0 on success, 1 when the delete failed, 125 for bad settings.
int RunDelete(const config::Settings& settings, Logger& log, const RunIo& io = {});

// `pushrun lint FILE...`: checks each file ("-" is stdin) as pushrun would check a sidecar
// (strict text 0.0.4, no timestamps, no reserved names or labels, size limits). Prints
// "file:line:col: message" per bad file on io.err. 0 when all are good, 1 otherwise.
int RunLint(const std::vector<std::string>& files, const config::Settings& settings, Logger& log,
            const RunIo& io = {});

}  // namespace pushrun::runner
