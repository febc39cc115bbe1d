// A plain-HTTP/1.1 transport over one TCP connection per request (opened ahead by Prepare, or
// by Send). It exists so that pushing to
// an http:// gateway does not load libcurl and its ~30 shared libraries (several milliseconds
// and over a megabyte of relocated memory per process); https, proxies and credentials in the
// URL go to curl (see MakeDefaultTransport).

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "pushrun/metrics/error.h"
#include "pushrun/metrics/transport.h"
#include "pushrun/metrics/url.h"

namespace pushrun::metrics {
namespace {

using Clock = std::chrono::steady_clock;

// Responses from a gateway are short; a larger one is cut here rather than held in memory.
constexpr std::size_t kMaxResponseBytes = 1 << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Describe(const std::string& what, int error) {
  return what + ": " + std::strerror(error);
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// Waits until `fd` is ready for `events` or the deadline passes; EINTR is retried.
void WaitFor(int fd, short events, Clock::time_point deadline, const std::string& what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = RemainingMs(deadline);
    if (ms == 0) throw TransportFailure(what + ": timed out");
    int n = ::poll(&p, 1, ms);
    if (n > 0) return;
    if (n == 0) throw TransportFailure(what + ": timed out");
    if (errno != EINTR) throw TransportFailure(Describe(what, errno));
  }
}

int Connect(const GatewayUrl& url, Clock::time_point connect_deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  std::string port = std::to_string(url.port);
  int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    throw TransportFailure(std::string("resolving the host: ") + ::gai_strerror(rc));
  }
  std::string last_error = "connecting: no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      last_error = Describe("socket", errno);
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      ::freeaddrinfo(found);
      return fd;
    }
    int error = errno;
    if (error == EINPROGRESS) {
      try {
        WaitFor(fd, POLLOUT, connect_deadline, "connecting");
        socklen_t len = sizeof(error);
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        if (error == 0) {
          ::freeaddrinfo(found);
          return fd;
        }
      } catch (const TransportFailure& e) {
        last_error = e.what();
        ::close(fd);
        continue;
      }
    }
    last_error = Describe("connecting", error);
    ::close(fd);
  }
  ::freeaddrinfo(found);
  throw TransportFailure(last_error);
}

void SendAll(int fd, std::string_view head, std::string_view body, Clock::time_point deadline,
             const std::string& what) {
  std::size_t sent = 0;
  const std::size_t total = head.size() + body.size();
  while (sent < total) {
    iovec parts[2];
    int count = 0;
    if (sent < head.size()) {
      parts[count++] = {const_cast<char*>(head.data()) + sent, head.size() - sent};
      parts[count++] = {const_cast<char*>(body.data()), body.size()};
    } else {
      std::size_t off = sent - head.size();
      parts[count++] = {const_cast<char*>(body.data()) + off, body.size() - off};
    }
    msghdr msg{};
    msg.msg_iov = parts;
    msg.msg_iovlen = count;
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      WaitFor(fd, POLLOUT, deadline, what);
    } else if (errno != EINTR) {
      throw TransportFailure(Describe(what, errno));
    }
  }
}

// Reads until the peer closes, or the response is complete per Content-Length / chunking.
class ResponseReader {
 public:
  ResponseReader(int fd, Clock::time_point deadline, std::string what)
      : fd_(fd), deadline_(deadline), what_(std::move(what)) {}

  HttpResponse Read() {
    std::size_t header_end;
    while ((header_end = data_.find("\r\n\r\n")) == std::string::npos) {
      if (data_.size() > 64 * 1024) Fail("response headers too large");
      if (!Fill()) Fail("connection closed before a complete response");
    }
    HttpResponse response;
    std::string_view head(data_.data(), header_end);
    ParseHead(head, response);
    std::size_t body_start = header_end + 4;
    std::string_view encoding = HeaderValue(response, "transfer-encoding");
    std::string_view length = HeaderValue(response, "content-length");
    if (encoding.find("chunked") != std::string_view::npos) {
      response.body = ReadChunked(body_start);
    } else if (!length.empty()) {
      std::size_t n = 0;
      auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
      if (ec != std::errc()) Fail("bad Content-Length");
      std::size_t want = std::min(n, kMaxResponseBytes);
      while (data_.size() - body_start < want) {
        if (!Fill()) Fail("connection closed in the middle of the body");
      }
      response.body = data_.substr(body_start, want);
    } else {
      while (data_.size() - body_start < kMaxResponseBytes && Fill()) {
      }
      response.body = data_.substr(body_start, kMaxResponseBytes);
    }
    return response;
  }

 private:
  [[noreturn]] void Fail(const std::string& why) { throw TransportFailure(what_ + ": " + why); }

  // Appends what the socket has; false on orderly close.
  bool Fill() {
    char buffer[16 * 1024];
    for (;;) {
      ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n > 0) {
        data_.append(buffer, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0) return false;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        WaitFor(fd_, POLLIN, deadline_, what_);
      } else if (errno != EINTR) {
        Fail(std::strerror(errno));
      }
    }
  }

  void ParseHead(std::string_view head, HttpResponse& response) {
    std::size_t eol = head.find("\r\n");
    std::string_view status_line = head.substr(0, eol);
    // "HTTP/1.1 200 OK"
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
      Fail("not an HTTP response");
    }
    std::string_view code = status_line.substr(9, 3);
    auto [p, ec] = std::from_chars(code.data(), code.data() + code.size(), response.status);
    if (ec != std::errc() || p != code.data() + 3) Fail("bad status line");
    while (eol != std::string_view::npos) {
      std::size_t start = eol + 2;
      eol = head.find("\r\n", start);
      std::string_view line = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
      std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
      }
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
      response.headers.emplace_back(std::move(name), std::string(value));
    }
  }

  static std::string_view HeaderValue(const HttpResponse& response, std::string_view name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return {};
  }

  std::string ReadChunked(std::size_t pos) {
    std::string body;
    for (;;) {
      std::size_t eol;
      while ((eol = data_.find("\r\n", pos)) == std::string::npos) {
        if (!Fill()) Fail("connection closed in a chunked body");
      }
      std::size_t size = 0;
      auto [p, ec] = std::from_chars(data_.data() + pos, data_.data() + eol, size, 16);
      if (ec != std::errc()) Fail("bad chunk size");
      pos = eol + 2;
      if (size == 0) return body;
      while (data_.size() < pos + size + 2) {
        if (!Fill()) Fail("connection closed in a chunk");
      }
      if (body.size() < kMaxResponseBytes) {
        body.append(data_, pos, std::min(size, kMaxResponseBytes - body.size()));
      }
      pos += size + 2;
    }
  }

  int fd_;
  Clock::time_point deadline_;
  std::string what_;
  std::string data_;
};

// Builds the request line and headers; the body follows them as is.
std::string RequestHead(const HttpRequest& request, const GatewayUrl& url) {
  std::string head;
  head.reserve(256 + request.headers.size() * 64);
  head.append(request.method)
      .append(" ")
      .append(url.path.empty() ? "/" : url.path)
      .append(" HTTP/1.1\r\n");
  head.append("Host: ").append(url.Authority()).append("\r\n");
  bool has_agent = false;
  for (const auto& [name, value] : request.headers) {
    if (name.find_first_of("\r\n:") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      throw UsageError("header \"" + name + "\" contains a line break or colon");
    }
    has_agent = has_agent || strcasecmp(name.c_str(), "user-agent") == 0;
    head.append(name).append(": ").append(value).append("\r\n");
  }
  if (!has_agent) head.append("User-Agent: pushrun\r\n");
  head.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  head.append("Connection: close\r\n\r\n");
  return head;
}

class SocketTransport final : public Transport {
 public:
  ~SocketTransport() override {
    if (prepared_.fd >= 0) ::close(prepared_.fd);
  }

  HttpResponse Send(const HttpRequest& request) override {
    std::string error;
    const std::optional<GatewayUrl> parsed = ParseGatewayUrl(request.url, &error);
    if (!parsed) throw UsageError("invalid URL: " + error);
    const GatewayUrl& url = *parsed;
    if (url.scheme != "http") {
      throw UsageError("the socket transport only speaks plain http");
    }
    const auto start = Clock::now();
    const auto deadline =
        start + (request.timeout.count() > 0 ? request.timeout : std::chrono::hours(24));
    const auto connect_deadline = request.connect_timeout.count() > 0
                                      ? std::min(deadline, start + request.connect_timeout)
                                      : deadline;
    const std::string head = RequestHead(request, url);

    // A prepared connection the server has since closed was dropped by TakePrepared. Any
    // other failure counts like one on a new connection: a server that crashed while handling
    // the request looks the same, and the client's retry policy decides.
    const int prepared = TakePrepared(url.Authority());
    Fd fd(prepared >= 0 ? prepared : Connect(url, connect_deadline));
    SendAll(fd.get(), head, request.body, deadline, "sending the request");
    return ResponseReader(fd.get(), deadline, "reading the response").Read();
  }

  void Prepare(const HttpRequest& request) noexcept override {
    try {
      const std::optional<GatewayUrl> url = ParseGatewayUrl(request.url, nullptr);
      if (!url || url->scheme != "http") return;
      const auto timeout = request.connect_timeout.count() > 0 ? request.connect_timeout
                                                               : std::chrono::milliseconds(3000);
      const int fd = Connect(*url, Clock::now() + timeout);
      std::lock_guard lock(mutex_);
      if (prepared_.fd >= 0) ::close(prepared_.fd);
      prepared_ = Prepared{url->Authority(), fd, Clock::now()};
    } catch (...) {
      // No head start; Send connects by itself and reports what goes wrong.
    }
  }

  void Unprepare() noexcept override {
    std::lock_guard lock(mutex_);
    if (prepared_.fd >= 0) ::close(std::exchange(prepared_.fd, -1));
  }

 private:
  struct Prepared {
    std::string authority;
    int fd = -1;
    Clock::time_point opened;
  };

  // The prepared connection to `authority` if it is recent and still open, else -1.
  int TakePrepared(const std::string& authority) {
    std::lock_guard lock(mutex_);
    if (prepared_.fd < 0 || prepared_.authority != authority) return -1;
    const int fd = std::exchange(prepared_.fd, -1);
    // A server that closed the connection has made it readable (EOF); an open one has nothing
    // to say before the request.
    pollfd idle{fd, POLLIN, 0};
    if (Clock::now() - prepared_.opened > kPreparedConnectionLifetime || ::poll(&idle, 1, 0) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }

  std::mutex mutex_;
  Prepared prepared_;
};

}  // namespace

std::shared_ptr<Transport> MakeSocketTransport() { return std::make_shared<SocketTransport>(); }

}  // namespace pushrun::metrics
