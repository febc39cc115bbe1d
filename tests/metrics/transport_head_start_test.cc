// The transports' head start: a connection opened by Prepare before the request is known,
// checked against a raw listener that shows every connection and byte.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/metrics/transport.h"

namespace {

using namespace pushrun::metrics;
using std::chrono::milliseconds;

// A listening socket on 127.0.0.1 whose connections the test accepts and drives by hand.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd_); }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/metrics"; }

  // Whether a connection is waiting to be accepted, within `wait`.
  bool Pending(milliseconds wait) const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(wait.count())) == 1;
  }
  int Accept() const {
    REQUIRE(Pending(milliseconds(5000)));
    return ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Reads from `fd` until `count` bytes have arrived in all (or EOF / reset / 5 s of silence).
std::string ReadBytes(int fd, std::size_t count) {
  std::string data;
  char buffer[4096];
  while (data.size() < count) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) != 1) break;
    const ssize_t n = ::recv(fd, buffer, std::min(sizeof buffer, count - data.size()), 0);
    if (n <= 0) break;
    data.append(buffer, static_cast<std::size_t>(n));
  }
  return data;
}

// Whether the peer closed `fd` (end of file within 5 s), as opposed to staying silent.
bool ClosedByPeer(int fd) {
  pollfd p{fd, POLLIN, 0};
  char byte;
  return ::poll(&p, 1, 5000) == 1 && ::recv(fd, &byte, 1, 0) == 0;
}

// Reads one request head (through the blank line) from `fd`.
std::string ReadHead(int fd) {
  std::string head;
  while (head.find("\r\n\r\n") == std::string::npos) {
    const std::string byte = ReadBytes(fd, 1);
    if (byte.empty()) break;
    head += byte;
  }
  return head;
}

void Answer(int fd) {
  const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  REQUIRE(::send(fd, response.data(), response.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(response.size()));
  ::close(fd);
}

HttpRequest Post(const std::string& url, std::string body) {
  HttpRequest request;
  request.method = "POST";
  request.url = url;
  request.body = std::move(body);
  request.timeout = milliseconds(10'000);
  request.connect_timeout = milliseconds(3'000);
  return request;
}

}  // namespace

TEST_CASE("Socket transport: a Send after Prepare goes over the connection Prepare opened",
          "[metrics][transport]") {
  Listener listener;
  auto transport = MakeDefaultTransport();
  const HttpRequest request = Post(listener.url(), "a 1\n");
  transport->Prepare(request);
  const int prepared = listener.Accept();

  auto sent = std::async(std::launch::async, [&] { return transport->Send(request); });
  const std::string head = ReadHead(prepared);
  CHECK(head.rfind("POST /metrics HTTP/1.1\r\n", 0) == 0);
  CHECK(ReadBytes(prepared, 4) == "a 1\n");
  Answer(prepared);
  CHECK(sent.get().status == 200);
  CHECK_FALSE(listener.Pending(milliseconds(0)));
}

TEST_CASE("Socket transport: a prepared connection the server has closed is replaced",
          "[metrics][transport]") {
  Listener listener;
  auto transport = MakeDefaultTransport();
  const HttpRequest request = Post(listener.url(), "a 1\n");
  transport->Prepare(request);
  ::close(listener.Accept());

  auto sent = std::async(std::launch::async, [&] { return transport->Send(request); });
  const int fresh = listener.Accept();
  ReadHead(fresh);
  CHECK(ReadBytes(fresh, 4) == "a 1\n");
  Answer(fresh);
  CHECK(sent.get().status == 200);
}

TEST_CASE("Socket transport: Prepare for an unreachable gateway neither throws nor blocks Send",
          "[metrics][transport]") {
  auto transport = MakeDefaultTransport();
  HttpRequest request = Post("http://127.0.0.1:1/metrics", "a 1\n");
  transport->Prepare(request);  // connection refused: no head start, no exception
  CHECK_THROWS_AS(transport->Send(request), TransportFailure);
}

TEST_CASE("Pushgateway: Prepare opens the connection the next push to the group uses",
          "[metrics][transport][push]") {
  Listener listener;
  Registry empty;
  PushOptions options;
  options.transport = MakeDefaultTransport();
  const std::string base = listener.url().substr(0, listener.url().rfind('/'));
  const Pushgateway client(base, options, empty);
  client.Prepare({.job_name = "j"});
  const int prepared = listener.Accept();
  auto pushed = std::async(std::launch::async, [&] { return client.PushAdd({.job_name = "j"}); });
  CHECK(ReadHead(prepared).rfind("POST /metrics/job/j HTTP/1.1\r\n", 0) == 0);
  Answer(prepared);
  CHECK(pushed.get().status == 200);
  CHECK_FALSE(listener.Pending(milliseconds(0)));
}

TEST_CASE("Socket transport: Unprepare closes an unused prepared connection; Send opens a new one",
          "[metrics][transport]") {
  Listener listener;
  auto transport = MakeDefaultTransport();
  const HttpRequest request = Post(listener.url(), "a 1\n");
  transport->Prepare(request);
  const int prepared = listener.Accept();
  transport->Unprepare();
  CHECK(ClosedByPeer(prepared));
  ::close(prepared);

  auto sent = std::async(std::launch::async, [&] { return transport->Send(request); });
  const int fresh = listener.Accept();
  ReadHead(fresh);
  CHECK(ReadBytes(fresh, 4) == "a 1\n");
  Answer(fresh);
  CHECK(sent.get().status == 200);
}
