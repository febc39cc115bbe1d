#include "support/victoria_metrics_process.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "support/pushgateway_process.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace pushrun::testing {

VictoriaMetricsProcess::VictoriaMetricsProcess() : dir_(std::make_unique<TempDir>()) {
  // The free port may be taken between probing and the bind; try a few.
  for (int attempt = 0;; ++attempt) {
    port_ = FreeLoopbackPort();
    const std::vector<std::string> args = {
        "/usr/bin/victoria-metrics",
        "-httpListenAddr=127.0.0.1:" + std::to_string(port_),
        "-storageDataPath=" + dir_->path + "/data",
        // Without these a query hides the last 30 s and caches answers: a test would wait.
        "-search.latencyOffset=0s",
        "-search.disableCache",
        "-loggerLevel=ERROR",
    };
    const std::string ready_url = url() + "/health";
    try {
      pid_ = StartServer(
          args, [&] { return HttpGet(ready_url, nullptr) == 200; }, std::chrono::seconds(60),
          dir_->path + "/victoria-metrics.log");
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 2) throw;
    }
  }
}

VictoriaMetricsProcess::~VictoriaMetricsProcess() { StopServer(pid_); }

std::string VictoriaMetricsProcess::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<QuerySample> VictoriaMetricsProcess::Query(const std::string& promql) const {
  return QueryVector(url(), promql);
}

std::vector<QuerySample> VictoriaMetricsProcess::Poll(const std::string& promql, std::size_t count,
                                                      int timeout_ms) const {
  return PollVector(url(), promql, count, timeout_ms);
}

}  // namespace pushrun::testing
