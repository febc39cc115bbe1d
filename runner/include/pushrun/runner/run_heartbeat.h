#pragma once
// The heartbeats of one wrapped run (--heartbeat): once the command has started, a running
// report every interval to every target of the run at once (gateways: always POST; remote-write
// receivers: stamped with the beat's time), or to the textfile (rewritten atomically), with the
// live resources of pushrun's process tree and the sidecar's last valid snapshot. A heartbeat is
// never retried (the next one supersedes it) and never waits longer than one request timeout, so
// Stop() before the final report returns within it.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/metrics/family.h"
#include "pushrun/runner/heartbeat.h"
#include "pushrun/runner/log.h"
#include "pushrun/runner/sidecar.h"

namespace pushrun::runner {

class RunHeartbeat {
 public:
  // Starts the heartbeats; the first one is one interval from now. `sidecar` (may be null)
  // must outlive Stop(). Logs a refused sidecar snapshot as a warning, once per version.
  RunHeartbeat(const config::Settings& settings, const SidecarFile* sidecar,
               const SidecarRules& rules, Logger& log);
  ~RunHeartbeat();
  RunHeartbeat(const RunHeartbeat&) = delete;
  RunHeartbeat& operator=(const RunHeartbeat&) = delete;

  // Ends the heartbeats (see Heartbeat::Stop), logs one line of what they did (-v; a warning
  // when some failed, with the last failure), and returns every family name a heartbeat
  // pushed, with its type: the final report deletes those it does not carry.
  std::map<std::string, metrics::MetricType> Stop();

 private:
  struct Shared;
  std::shared_ptr<Shared> shared_;
  std::unique_ptr<Heartbeat> heartbeat_;
  Logger& log_;
};

// Whether `settings` ask for heartbeats and have somewhere to send them (a target or a
// textfile directory; a dry run sends none).
bool WantsHeartbeat(const config::Settings& settings, bool dry_run);

}  // namespace pushrun::runner
