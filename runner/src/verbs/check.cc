// `pushrun check` and `pushrun jobs`: what a config file says.

#include <ostream>
#include <string>

#include "pushrun/config/describe.h"
#include "pushrun/runner/app.h"

namespace pushrun::runner {

int RunCheck(const config::FleetConfig& fleet, const config::Layer& flags,
             const config::Layer& environment, const RunIo& io) {
  if (io.out != nullptr) *io.out << config::DescribeFleet(fleet, flags, environment) << std::flush;
  return kExitOk;
}

int RunJobs(const config::FleetConfig& fleet, const RunIo& io) {
  if (io.out == nullptr) return kExitOk;
  for (const std::string& name : config::JobNames(fleet)) *io.out << name << "\n";
  *io.out << std::flush;
  return kExitOk;
}

}  // namespace pushrun::runner
