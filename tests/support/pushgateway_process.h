#pragma once
// A real Pushgateway (Debian's prometheus-pushgateway) for integration tests: started on a
// free 127.0.0.1 port with in-memory persistence, ready when the constructor returns, stopped
// by the destructor.

#include <sys/types.h>

#include <string>
#include <vector>

namespace pushrun::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeLoopbackPort();

// GET `url`; returns the HTTP status and fills `body`. Test helper, plain HTTP only.
int HttpGet(const std::string& url, std::string* body);

class PushgatewayProcess {
 public:
  struct Options {
    std::string route_prefix;     // --web.route-prefix
    std::string web_config_file;  // --web.config.file (TLS, basic auth)
    std::vector<std::string> extra_args;
    bool https = false;  // the web config enables TLS
  };
  PushgatewayProcess();
  explicit PushgatewayProcess(Options options);
  ~PushgatewayProcess();
  PushgatewayProcess(const PushgatewayProcess&) = delete;
  PushgatewayProcess& operator=(const PushgatewayProcess&) = delete;

  // "http://127.0.0.1:PORT" plus the route prefix, if any.
  std::string url() const;
  int port() const { return port_; }

  // Stop (SIGTERM, wait) and start again on the same port; metrics are lost on restart.
  void Stop();
  void Start();
  bool running() const { return pid_ > 0; }

  // The gateway's /metrics text (plain HTTP only).
  std::string Scrape() const;
  // The lines of Scrape() that start with `metric_name` and contain every `fragment`.
  std::vector<std::string> Lines(const std::string& metric_name,
                                 const std::vector<std::string>& fragments = {}) const;

 private:
  Options options_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace pushrun::testing
