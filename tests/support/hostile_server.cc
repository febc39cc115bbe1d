#include "support/hostile_server.h"

#include <chrono>
#include <stdexcept>

namespace pushrun::testing {

HostileServer::HostileServer(const std::string& mode, const std::string& cert_file,
                             const std::string& key_file)
    : tls_(!cert_file.empty()) {
  const std::string port_file = dir_.path + "/port";
  std::vector<std::string> argv{"/usr/bin/python3",
                                PUSHRUN_SOURCE_DIR "/tests/support/hostile_server.py", mode,
                                port_file, dir_.path + "/log"};
  if (tls_) {
    argv.push_back(cert_file);
    argv.push_back(key_file);
  }
  process_ =
      std::make_unique<ChildProcess>(argv, ProcessOptions{.timeout = std::chrono::minutes(10)});
  if (!WaitUntil([&] { return !ReadFile(port_file).empty(); })) {
    throw std::runtime_error("the hostile server (" + mode + ") did not start");
  }
  port_ = std::stoi(ReadFile(port_file));
}

std::string HostileServer::url() const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_);
}

std::string HostileServer::Log() const { return ReadFile(dir_.path + "/log"); }

std::string HostileServer::CapturedBodies() const { return ReadFile(dir_.path + "/log.body"); }

}  // namespace pushrun::testing
