#include "pushrun/config/fleet.h"

#include <algorithm>

namespace pushrun::config {

std::vector<std::string> JobNames(const FleetConfig& fleet) {
  std::vector<std::string> names;
  for (const auto& [name, job] : fleet.jobs) names.push_back(name);
  return names;
}

const JobConfig& FindJob(const FleetConfig& fleet, std::string_view name) {
  const auto it = fleet.jobs.find(std::string(name));
  if (it != fleet.jobs.end()) return it->second;
  std::string known;
  for (const auto& [job_name, job] : fleet.jobs) known += (known.empty() ? "" : ", ") + job_name;
  throw ConfigError({fleet.path}, "jobs", "no job \"" + std::string(name) + "\"",
                    known.empty() ? "none; the file has no [jobs.<name>] table" : known);
}

std::vector<const Layer*> LayersFor(const Layer& flags, const Layer& environment,
                                    const FleetConfig* fleet, const JobConfig* job) {
  std::vector<const Layer*> layers = {&flags, &environment};
  if (job) layers.push_back(&job->layer);
  if (fleet) layers.push_back(&fleet->gateway_and_defaults);
  if (job) layers.push_back(&job->implicit);
  return layers;
}

namespace {

// Names the layers of LayersFor, in its order, for Resolve's warnings.
std::vector<LayerOrigin> OriginsFor(const FleetConfig* fleet, const JobConfig* job) {
  std::vector<LayerOrigin> origins = {{LayerKind::kFlags, {}}, {LayerKind::kEnvironment, {}}};
  if (job) origins.push_back({LayerKind::kJobTable, job->name});
  if (fleet) origins.push_back({LayerKind::kFile, {}});
  if (job) origins.push_back({LayerKind::kJobTable, job->name});
  return origins;
}

// A credential variable named anywhere in the file is kept from every job's command, not only
// from the job whose table names it: no job has business with another's token either.
Settings WithFleetCredentials(Settings settings, const FleetConfig* fleet) {
  if (!fleet) return settings;
  auto add = [&settings](const Layer& layer) {
    for (const std::string& name : layer.credential_env) {
      if (std::find(settings.credential_env.begin(), settings.credential_env.end(), name) ==
          settings.credential_env.end()) {
        settings.credential_env.push_back(name);
      }
    }
  };
  add(fleet->gateway_and_defaults);
  for (const auto& [name, job] : fleet->jobs) add(job.layer);
  return settings;
}

}  // namespace

Settings ResolveJob(const Layer& flags, const Layer& environment, const FleetConfig& fleet,
                    const JobConfig& job) {
  try {
    return WithFleetCredentials(
        Resolve(LayersFor(flags, environment, &fleet, &job), OriginsFor(&fleet, &job)), &fleet);
  } catch (const ConfigError& error) {
    if (!error.file().empty()) throw;
    throw ConfigError(job.location, "jobs." + job.name + "." + error.key_path(), error.message(),
                      error.allowed());
  }
}

Settings ResolveRun(const Layer& flags, const Layer& environment, const FleetConfig& fleet,
                    std::string_view job_name, const std::vector<std::string>& extra_args) {
  const JobConfig& job = FindJob(fleet, job_name);
  Settings settings = ResolveJob(flags, environment, fleet, job);
  if (settings.command.empty()) {
    throw ConfigError(job.location, "jobs." + job.name + ".command",
                      "the job has no command to run",
                      "command = [\"/path/to/program\", \"arg\", ...]");
  }
  settings.command.insert(settings.command.end(), extra_args.begin(), extra_args.end());
  return settings;
}

Settings ResolveAdHoc(const Layer& flags, const Layer& environment, const FleetConfig* fleet) {
  const std::optional<std::string>& job_name = flags.job ? flags.job : environment.job;
  if (fleet && job_name) {
    const auto it = fleet->jobs.find(*job_name);
    if (it != fleet->jobs.end()) return ResolveJob(flags, environment, *fleet, it->second);
  }
  return WithFleetCredentials(
      Resolve(LayersFor(flags, environment, fleet, nullptr), OriginsFor(fleet, nullptr)), fleet);
}

}  // namespace pushrun::config
