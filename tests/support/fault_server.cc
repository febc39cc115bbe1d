#include "support/fault_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace pushrun::testing {
namespace {

// How long the server waits for a slow client to send its request.
constexpr int kReadTimeoutMs = 5000;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t begin = s.find_first_not_of(" \t");
  size_t end = s.find_last_not_of(" \t\r");
  return begin == std::string::npos ? std::string() : s.substr(begin, end - begin + 1);
}

// Reads more bytes into `buffer`; false on EOF, error or timeout.
bool ReadMore(int fd, std::string& buffer) {
  pollfd p{fd, POLLIN, 0};
  int ready;
  do {
    ready = poll(&p, 1, kReadTimeoutMs);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) return false;
  char chunk[4096];
  ssize_t n;
  do {
    n = read(fd, chunk, sizeof chunk);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return false;
  buffer.append(chunk, static_cast<size_t>(n));
  return true;
}

void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string RecordedRequest::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return {};
}

FaultServer::FaultServer(std::vector<ScriptedResponse> script) : script_(std::move(script)) {
  if (script_.empty()) throw std::invalid_argument("FaultServer needs at least one response");
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    int err = errno;
    close(listen_fd_);
    throw std::runtime_error("FaultServer: " + std::string(std::strerror(err)));
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FaultServer::~FaultServer() {
  char byte = 0;
  while (write(wake_pipe_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
  for (int fd : held_fds_) close(fd);
  close(listen_fd_);
  close(wake_pipe_[0]);
  close(wake_pipe_[1]);
}

std::string FaultServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<RecordedRequest> FaultServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t FaultServer::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

void FaultServer::Serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Handle(fd);
  }
}

void FaultServer::Handle(int fd) {
  std::string buffer;
  size_t header_end;
  while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore(fd, buffer)) {
      close(fd);
      return;
    }
  }
  RecordedRequest request;
  std::string head = buffer.substr(0, header_end);
  size_t line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.find(' ', sp1 + 1);
  request.method = request_line.substr(0, sp1);
  request.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t content_length = 0;
  bool expect_continue = false;
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    pos = end + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = Lower(line.substr(0, colon));
    std::string value = Trim(line.substr(colon + 1));
    if (name == "content-length") content_length = std::stoul(value);
    if (name == "expect" && Lower(value) == "100-continue") expect_continue = true;
    request.headers.emplace_back(std::move(name), std::move(value));
  }
  if (expect_continue) WriteAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");
  std::string body = buffer.substr(header_end + 4);
  while (body.size() < content_length) {
    if (!ReadMore(fd, body)) break;
  }
  request.body = body.substr(0, content_length);

  ScriptedResponse response;
  {
    std::lock_guard lock(mutex_);
    response = script_[std::min(requests_.size(), script_.size() - 1)];
    requests_.push_back(std::move(request));
  }
  if (response.never_answer) {
    held_fds_.push_back(fd);
    return;
  }
  if (response.hang_up) {
    if (response.partial_answer) WriteAll(fd, "HTTP/1.1 20");
    linger reset{.l_onoff = 1, .l_linger = 0};  // close with RST, not FIN
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
    return;
  }
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " Scripted\r\n";
  for (const auto& [name, value] : response.headers) out += name + ": " + value + "\r\n";
  out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += "Connection: close\r\n\r\n";
  out += response.body;
  WriteAll(fd, out);
  shutdown(fd, SHUT_WR);
  close(fd);
}

}  // namespace pushrun::testing
