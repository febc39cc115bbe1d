#pragma once
// A scripted HTTP server on a free 127.0.0.1 port for tests of failure handling: it answers
// the n-th request with the n-th scripted response (the last one repeats) and records every
// request it received. One server thread; connections are closed after each answer.

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pushrun::testing {

struct ScriptedResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Accept the request, read it, and never answer (the connection stays open until the server
  // is destroyed).
  bool never_answer = false;
  // Accept the request, read it, and reset the connection without a word, as a gateway killed
  // mid-request would (or, with `partial_answer`, after the first bytes of a status line).
  bool hang_up = false;
  bool partial_answer = false;

  static ScriptedResponse Status(int status, std::string body = {}) {
    return ScriptedResponse{status, {}, std::move(body), false};
  }
  static ScriptedResponse NeverAnswer() { return ScriptedResponse{0, {}, {}, true}; }
  static ScriptedResponse HangUp(bool partial_answer = false) {
    return ScriptedResponse{0, {}, {}, false, true, partial_answer};
  }
};

struct RecordedRequest {
  std::string method;
  std::string path;  // the request target as sent, e.g. "/metrics/job/x"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string body;

  // The value of the first header named `name` (lower-case), or "" if absent.
  std::string Header(const std::string& name) const;
};

class FaultServer {
 public:
  explicit FaultServer(std::vector<ScriptedResponse> script);
  ~FaultServer();
  FaultServer(const FaultServer&) = delete;
  FaultServer& operator=(const FaultServer&) = delete;

  // "http://127.0.0.1:PORT"
  std::string url() const;
  int port() const { return port_; }

  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;

 private:
  void Serve();
  void Handle(int fd);

  std::vector<ScriptedResponse> script_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::vector<int> held_fds_;  // connections that are never answered
  std::thread thread_;
};

}  // namespace pushrun::testing
