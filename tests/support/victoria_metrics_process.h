#pragma once
// A real single-node VictoriaMetrics (Debian's victoria-metrics) for integration tests: a
// remote-write receiver with a Prometheus-compatible query API, on a free 127.0.0.1 port with
// its storage in a private temporary directory; stopped and removed by the destructor.
// A written sample becomes searchable only after a moment (seconds) even with the query
// latency offset and cache turned off, so tests Poll.

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "support/prometheus_api.h"

namespace pushrun::testing {

struct TempDir;

class VictoriaMetricsProcess {
 public:
  VictoriaMetricsProcess();
  ~VictoriaMetricsProcess();
  VictoriaMetricsProcess(const VictoriaMetricsProcess&) = delete;
  VictoriaMetricsProcess& operator=(const VictoriaMetricsProcess&) = delete;

  // "http://127.0.0.1:PORT"
  std::string url() const;
  // url() + "/api/v1/write"
  std::string write_url() const { return url() + "/api/v1/write"; }

  // An instant query now, and the same repeated until `count` samples or `timeout_ms`.
  std::vector<QuerySample> Query(const std::string& promql) const;
  std::vector<QuerySample> Poll(const std::string& promql, std::size_t count,
                                int timeout_ms = 30'000) const;

 private:
  std::unique_ptr<TempDir> dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pushrun::testing
