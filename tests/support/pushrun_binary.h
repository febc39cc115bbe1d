#pragma once
// The built pushrun binary for end-to-end tests: run with none of the caller's PUSHRUN_*
// settings, and what a run pushed read back from the gateway.

#include <optional>
#include <string>
#include <vector>

#include "support/pushgateway_process.h"
#include "support/run_process.h"

namespace pushrun::testing {

// `options` with every PUSHRUN_* variable of the environment table added to unset_env, so the
// caller's settings never leak into a test (what the test sets in options.env still applies).
ProcessOptions WithoutPushrunEnvironment(ProcessOptions options = {});

#ifdef PUSHRUN_BINARY
// {PUSHRUN_BINARY, args...}: for a ChildProcess that a test signals or waits for itself.
std::vector<std::string> PushrunArgv(const std::vector<std::string>& args);

// Runs pushrun with `args` to the end, with WithoutPushrunEnvironment(options).
ProcessResult Pushrun(const std::vector<std::string>& args, ProcessOptions options = {});
#endif

// The value of the one series `name` of job `job` carrying every fragment on the gateway;
// nothing when there is no such series or more than one.
std::optional<double> PushedValue(const PushgatewayProcess& gateway, const std::string& name,
                                  const std::string& job, std::vector<std::string> fragments = {});

}  // namespace pushrun::testing
