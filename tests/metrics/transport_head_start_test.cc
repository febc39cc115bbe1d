// The transports' head starts: a connection opened by Prepare before the request is known, and
// a body whose end is held back until the caller releases it (or withdraws the request). The
// socket transport is checked against a raw listener that shows every connection and byte; the
// real Pushgateway shows that a withdrawn request stores nothing.

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

#include "pushrun/metrics/metric.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/metrics/transport.h"
#include "support/pushgateway_process.h"

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

std::shared_future<bool> Decided(bool value) {
  std::promise<bool> decision;
  decision.set_value(value);
  return decision.get_future().share();
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

TEST_CASE("Socket transport: the held-back end of a body goes only when released",
          "[metrics][transport]") {
  Listener listener;
  auto transport = MakeDefaultTransport();
  const std::string first = "big 1\n", last = "own 2\n";
  const HttpRequest request = Post(listener.url(), first + last);
  std::promise<bool> decision;
  const std::shared_future<bool> release = decision.get_future().share();
  auto sent = std::async(std::launch::async,
                         [&] { return transport->SendHeld(request, last.size(), release); });
  const int connection = listener.Accept();
  const std::string head = ReadHead(connection);
  CHECK(head.find("Content-Length: 12\r\n") != std::string::npos);
  CHECK(ReadBytes(connection, first.size()) == first);

  SECTION("released: the rest follows and the answer is returned") {
    decision.set_value(true);
    CHECK(ReadBytes(connection, last.size()) == last);
    Answer(connection);
    CHECK(sent.get().status == 200);
  }
  SECTION("withdrawn: the connection is reset short of the length, and RequestWithdrawn thrown") {
    decision.set_value(false);
    CHECK_THROWS_AS(sent.get(), RequestWithdrawn);
    char byte;
    CHECK(::recv(connection, &byte, 1, 0) <= 0);
    ::close(connection);
  }
}

TEST_CASE("Socket transport: a withdrawal stops a large body's upload early",
          "[metrics][transport]") {
  Listener listener;
  auto transport = MakeDefaultTransport();
  // 8 MiB in front of the held-back end, withdrawn from the start: the upload stops after the
  // first piece (256 KiB) instead of sending everything the server would read.
  const std::string big(8 << 20, 'x'), last = "own 2\n";
  const HttpRequest request = Post(listener.url(), big + last);
  std::promise<bool> decision;
  decision.set_value(false);
  auto sent = std::async(std::launch::async, [&] {
    return transport->SendHeld(request, last.size(), decision.get_future().share());
  });
  const int connection = listener.Accept();
  ReadHead(connection);
  const std::string received = ReadBytes(connection, big.size());
  CHECK(received.size() < big.size() / 4);
  CHECK_THROWS_AS(sent.get(), RequestWithdrawn);
  ::close(connection);
}

TEST_CASE("Transport: the default SendHeld asks first and sends nothing when withdrawn",
          "[metrics][transport]") {
  class Counting final : public Transport {
   public:
    HttpResponse Send(const HttpRequest&) override {
      ++sends;
      return HttpResponse{200, {}, {}};
    }
    int sends = 0;
  } transport;
  const HttpRequest request = Post("http://gateway.invalid/metrics", "a 1\n");
  CHECK_THROWS_AS(transport.SendHeld(request, 2, Decided(false)), RequestWithdrawn);
  CHECK(transport.sends == 0);
  CHECK(transport.SendHeld(request, 2, Decided(true)).status == 200);
  CHECK(transport.sends == 1);
}

TEST_CASE("Pushgateway (real): a push whose extra text is withdrawn stores nothing",
          "[metrics][push][integration]") {
  pushrun::testing::PushgatewayProcess gateway;
  Registry registry;
  Gauge own({.name = "own_metric", .help = "Ours.", .registries = {&registry}});
  own.Set(7);
  PushOptions options;
  options.transport = GENERATE(as<std::string>{}, "default", "curl") == "curl"
                          ? MakeCurlTransport()
                          : MakeDefaultTransport();
  const Pushgateway client(gateway.url(), options, registry);
  const PushParams params{.job_name = "held"};
  // Large enough to be on its way (several socket buffers) before the decision.
  std::string text;
  for (int i = 0; i < 40'000; ++i) text += "extra_metric{i=\"" + std::to_string(i) + "\"} 1\n";
  client.Prepare(params);

  SECTION("withdrawn") {
    try {
      client.PushAdd(params, text, Decided(false));
      FAIL("the push was not withdrawn");
    } catch (const PushError& error) {
      CHECK(error.category() == ErrorCategory::kValidation);
      CHECK(error.attempts() == 1);
    }
    // A later push has been applied, so the abandoned one would have been by now.
    CHECK(client.PushAdd({.job_name = "after"}).status == 200);
    CHECK(gateway.Lines("own_metric", {"job=\"after\""}).size() == 1);
    CHECK(gateway.Lines("extra_metric").empty());
    CHECK(gateway.Lines("own_metric", {"job=\"held\""}).empty());
  }
  SECTION("released") {
    CHECK(client.PushAdd(params, text, Decided(true)).status == 200);
    CHECK(gateway.Lines("extra_metric").size() == 40'000);
    CHECK(gateway.Lines("own_metric", {"job=\"held\""}).size() == 1);
  }
}

TEST_CASE("Pushgateway: text withdrawn with nothing of the registry to hold back sends nothing",
          "[metrics][push]") {
  Listener listener;
  Registry empty;
  PushOptions options;
  options.transport = MakeDefaultTransport();
  const Pushgateway client(listener.url().substr(0, listener.url().rfind('/')), options, empty);
  CHECK_THROWS_AS(client.PushAdd({.job_name = "j"}, "a 1\n", Decided(false)), PushError);
  CHECK_FALSE(listener.Pending(milliseconds(0)));
}
