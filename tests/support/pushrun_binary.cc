#include "support/pushrun_binary.h"

#include <utility>

#include "pushrun/config/environment.h"

namespace pushrun::testing {

ProcessOptions WithoutPushrunEnvironment(ProcessOptions options) {
  for (const config::EnvironmentVariable& variable : config::EnvironmentVariables()) {
    options.unset_env.emplace_back(variable.name);
  }
  return options;
}

#ifdef PUSHRUN_BINARY
std::vector<std::string> PushrunArgv(const std::vector<std::string>& args) {
  std::vector<std::string> argv{PUSHRUN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

ProcessResult Pushrun(const std::vector<std::string>& args, ProcessOptions options) {
  return RunProcess(PushrunArgv(args), WithoutPushrunEnvironment(std::move(options)));
}
#endif

std::optional<double> PushedValue(const PushgatewayProcess& gateway, const std::string& name,
                                  const std::string& job, std::vector<std::string> fragments) {
  fragments.push_back("job=\"" + job + "\"");
  const std::vector<std::string> lines = gateway.Lines(name, fragments);
  if (lines.size() != 1) return std::nullopt;
  return std::stod(lines[0].substr(lines[0].rfind(' ') + 1));
}

}  // namespace pushrun::testing
