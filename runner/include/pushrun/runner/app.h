#pragma once
// Every verb of pushrun, as library functions, so everything main does can be tested without
// the binary: the wrapped run (`pushrun -- CMD`, `pushrun run JOB`), `delete`, `flush`, `lint`,
// `check` and `jobs`. Each returns pushrun's exit status; each lives in runner/src/verbs/.

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

#include "pushrun/config/fleet.h"
#include "pushrun/config/settings.h"
#include "pushrun/runner/exit_codes.h"
#include "pushrun/runner/log.h"

namespace pushrun::runner {

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

// `pushrun delete`: removes the group (job + grouping) from every gateway (remote-write
// receivers keep their samples), or its textfile. SIGTERM and the like end it at once (128+N).
// 0 on success, 1 when the delete failed, 125 for bad settings.
int RunDelete(const config::Settings& settings, Logger& log, const RunIo& io = {});

// `pushrun flush`: delivers every report in settings.spool_dir to its target (every target at
// once), each with the target's full client options (retries, --push-deadline per report). A
// report the target refuses for good is moved to <spool-dir>/rejected/ with a warning quoting
// the answer. Corrupt or foreign files, and entries for targets not given, are reported and
// left in place. SIGTERM and the like end it at once (128+N; what was not sent stays). 0 when
// nothing deliverable is left (delivered or set aside; nothing skipped), 1 when some report or
// file remains, 125 for bad settings.
int RunFlush(const config::Settings& settings, Logger& log, const RunIo& io = {});

// `pushrun check`: prints on io.out what every job of the config file resolves to (secrets as
// "<set>"), with `flags` and `environment` over the file. 0.
int RunCheck(const config::FleetConfig& fleet, const config::Layer& flags,
             const config::Layer& environment, const RunIo& io);

// `pushrun jobs`: prints the config file's job names on io.out, one a line. 0.
int RunJobs(const config::FleetConfig& fleet, const RunIo& io);

// `pushrun lint FILE...`: checks each file ("-" is stdin) as pushrun would check a sidecar
// (strict text 0.0.4, no timestamps, no reserved names or labels, size limits). Prints
// "file:line:col: message" per bad file on io.err. 0 when all are good, 1 otherwise.
int RunLint(const std::vector<std::string>& files, const config::Settings& settings, Logger& log,
            const RunIo& io = {});

}  // namespace pushrun::runner
