#pragma once
// A real Prometheus (Debian's prometheus 2.42) for integration tests: a remote-write receiver
// (--web.enable-remote-write-receiver) on a free 127.0.0.1 port with its storage in a private
// temporary directory, ready when the constructor returns, stopped and removed by the
// destructor. The test gives the configuration, so a Prometheus can also scrape a gateway and
// evaluate alerting rules.

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/prometheus_api.h"

namespace pushrun::testing {

struct TempDir;

class PrometheusProcess {
 public:
  struct Options {
    // prometheus.yml. Relative paths in it (rule_files) are resolved against the directory the
    // files below are written to.
    std::string config = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n";
    // Written next to the configuration before start: name -> content (such as a rule file).
    std::map<std::string, std::string> files{};
    std::vector<std::string> extra_args{};
  };
  PrometheusProcess();
  explicit PrometheusProcess(Options options);
  ~PrometheusProcess();
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  // "http://127.0.0.1:PORT"
  std::string url() const;
  // url() + "/api/v1/write"
  std::string write_url() const { return url() + "/api/v1/write"; }
  int port() const { return port_; }
  // The directory holding the configuration, the given files and the storage.
  const std::string& dir() const;

  // An instant query (/api/v1/query) now; throws unless the answer is a vector.
  std::vector<QuerySample> Query(const std::string& promql) const;
  // Query repeated until at least `count` samples come back or `timeout_ms` passes.
  std::vector<QuerySample> Poll(const std::string& promql, std::size_t count,
                                int timeout_ms = 20'000) const;

 private:
  Options options_;
  std::unique_ptr<TempDir> dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pushrun::testing
