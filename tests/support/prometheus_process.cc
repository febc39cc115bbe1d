#include "support/prometheus_process.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "support/pushgateway_process.h"
#include "support/server_process.h"
#include "support/temp_dir.h"

namespace pushrun::testing {

PrometheusProcess::PrometheusProcess() : PrometheusProcess(Options{}) {}

PrometheusProcess::PrometheusProcess(Options options)
    : options_(std::move(options)), dir_(std::make_unique<TempDir>()) {
  const std::string config = dir_->File("prometheus.yml", options_.config);
  for (const auto& [name, content] : options_.files) dir_->File(name, content);
  // The free port may be taken between probing and Prometheus' bind; try a few.
  for (int attempt = 0;; ++attempt) {
    port_ = FreeLoopbackPort();
    std::vector<std::string> args = {
        "/usr/bin/prometheus",
        "--config.file=" + config,
        "--storage.tsdb.path=" + dir_->path + "/data",
        "--web.listen-address=127.0.0.1:" + std::to_string(port_),
        "--web.enable-remote-write-receiver",
        "--log.level=error",
    };
    args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    const std::string ready_url = url() + "/-/ready";
    try {
      // Replaying an empty TSDB and loading the config takes a second or two on a busy machine.
      pid_ = StartServer(
          args, [&] { return HttpGet(ready_url, nullptr) == 200; }, std::chrono::seconds(60),
          dir_->path + "/prometheus.log");
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 2) throw;
    }
  }
}

PrometheusProcess::~PrometheusProcess() { StopServer(pid_); }

std::string PrometheusProcess::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

const std::string& PrometheusProcess::dir() const { return dir_->path; }

std::vector<QuerySample> PrometheusProcess::Query(const std::string& promql) const {
  return QueryVector(url(), promql);
}

std::vector<QuerySample> PrometheusProcess::Poll(const std::string& promql, std::size_t count,
                                                 int timeout_ms) const {
  return PollVector(url(), promql, count, timeout_ms);
}

}  // namespace pushrun::testing
