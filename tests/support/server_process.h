#pragma once
// Starting and stopping a real server for integration tests (the Pushgateway, Prometheus,
// VictoriaMetrics): one implementation of fork/exec, waiting until it answers, and stopping it.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace pushrun::testing {

// Starts `args` (args[0] is the binary's path) with stdin, stdout and stderr on /dev/null (or
// stdout and stderr appended to `log_file`, if given) and killed if the test process dies; then
// calls `ready` every 20 ms until it returns true. Returns the pid. Throws std::runtime_error,
// naming the binary, if the server exits first or is not ready within `timeout` (it is stopped
// then).
pid_t StartServer(const std::vector<std::string>& args, const std::function<bool()>& ready,
                  std::chrono::milliseconds timeout = std::chrono::seconds(15),
                  const std::string& log_file = {});

// SIGTERM, then SIGKILL after 5 s; reaps the process. Does nothing for pid <= 0.
void StopServer(pid_t pid);

}  // namespace pushrun::testing
