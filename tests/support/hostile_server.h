#pragma once
// The scripted hostile HTTP server (tests/support/hostile_server.py) as its own process on a
// free 127.0.0.1 port: every connection is answered the way its mode says (chunk sizes that
// overflow, chunks that never end, interim answers, a reply that drips, 100 MB bodies, random
// bytes...), or, as "stall-proxy:MS:PORT", a slow gateway in front of a real one on PORT. Killed
// with the object.

#include <memory>
#include <string>

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace pushrun::testing {

class HostileServer {
 public:
  // With `cert_file` and `key_file` (PEM), it speaks TLS.
  explicit HostileServer(const std::string& mode, const std::string& cert_file = {},
                         const std::string& key_file = {});

  // "http://127.0.0.1:PORT", or "https://..." with TLS.
  std::string url() const;
  // Requests the server has taken in (read, or for "never-read" accepted), one line each:
  // "<method> <path> <body bytes>".
  std::string Log() const;
  // Mode "capture": the bodies of all requests, as received, one after the other.
  std::string CapturedBodies() const;

 private:
  TempDir dir_;
  std::unique_ptr<ChildProcess> process_;
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace pushrun::testing
