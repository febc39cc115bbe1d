#pragma once
// A fleet file, loaded: the defaults layer ([gateway] + [defaults]) and one layer per
// [jobs.<name>] table, and how main turns them into Settings for one run.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/config/error.h"
#include "pushrun/config/settings.h"

namespace pushrun::config {

struct JobConfig {
  std::string name;         // the <name> of [jobs.<name>]
  Layer layer;              // the table's keys
  Layer implicit;           // job = name: below [defaults], the job name for this table
  SourceLocation location;  // of the table
};

struct FleetConfig {
  std::string path;
  Layer gateway_and_defaults;
  std::map<std::string, JobConfig> jobs;
  std::vector<std::string> warnings;  // "file:line:col: key: ..." for main to print
};

// The job names in order (sorted).
std::vector<std::string> JobNames(const FleetConfig& fleet);

// The job table `name`. Throws ConfigError naming the known jobs when there is none.
const JobConfig& FindJob(const FleetConfig& fleet, std::string_view name);

// The layers for Resolve, most important first: flags, environment, the job's table (if
// `job`), [gateway] + [defaults] (if `fleet`), the job's implicit name (if `job`).
std::vector<const Layer*> LayersFor(const Layer& flags, const Layer& environment,
                                    const FleetConfig* fleet, const JobConfig* job);

// Settings for one job of the fleet (`pushrun run JOB`, or `--job JOB` with an ad-hoc
// command in `flags.command`). A ConfigError from Resolve is reported at the job's table.
Settings ResolveJob(const Layer& flags, const Layer& environment, const FleetConfig& fleet,
                    const JobConfig& job);

// `pushrun run JOB [-- EXTRA ARGS]`: ResolveJob with `extra_args` appended to the job's
// command. Throws ConfigError at the job's table when it has no command.
Settings ResolveRun(const Layer& flags, const Layer& environment, const FleetConfig& fleet,
                    std::string_view job_name, const std::vector<std::string>& extra_args);

// A wrapped ad-hoc command (`pushrun [-c FILE] [--job NAME] -- CMD`): when the fleet has a
// table named by the flags' job name (else the environment's), that table applies, as
// ResolveJob; otherwise flags, environment and the file's [gateway] + [defaults].
Settings ResolveAdHoc(const Layer& flags, const Layer& environment, const FleetConfig* fleet);

}  // namespace pushrun::config
