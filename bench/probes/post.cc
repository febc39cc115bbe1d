// The physical floor of a push: the round trip of one HTTP POST over loopback, measured
// in-process (no process start, no library loading), from connect() to the end of the
// response. The gateway's own processing of the body is most of it.
//
//   bench_post HOST PORT PATH BODY_FILE RUNS
//
// Prints "post_ms=<median> open_ms=<median>" (CLOCK_MONOTONIC): open_ms leaves out the
// connect(), as for a wrapper that opened its connection while the command ran. Plain sockets,
// HTTP/1.1, "Connection: close"; fails (exit 1) on anything but a 2xx.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

double NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// One request; returns the HTTP status, or -1 on a socket error. `connected` gets the time the
// connection was open.
int PostOnce(const sockaddr_in& address, const std::string& request, double* connected) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  *connected = NowMs();
  for (std::size_t sent = 0; sent < request.size();) {
    ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;) response.append(buffer, n);
  close(fd);
  // "HTTP/1.1 200 OK"
  if (response.size() < 12) return -1;
  return std::atoi(response.c_str() + 9);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: bench_post HOST PORT PATH BODY_FILE RUNS\n");
    return 2;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) {
    std::fprintf(stderr, "bench_post: HOST must be an IPv4 address\n");
    return 2;
  }
  std::ifstream in(argv[4], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "bench_post: cannot read %s\n", argv[4]);
    return 2;
  }
  const std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string request = std::string("POST ") + argv[3] + " HTTP/1.1\r\nHost: " + argv[1] +
                              ":" + argv[2] +
                              "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8"
                              "\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  const int runs = std::max(1, std::atoi(argv[5]));
  std::vector<double> times, open_times;
  for (int i = 0; i < runs + 1; ++i) {  // the first one warms up
    const double start = NowMs();
    double connected = start;
    const int status = PostOnce(address, request, &connected);
    const double end = NowMs();
    if (status / 100 != 2) {
      std::fprintf(stderr, "bench_post: the gateway answered %d\n", status);
      return 1;
    }
    if (i > 0) {
      times.push_back(end - start);
      open_times.push_back(end - connected);
    }
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  };
  std::printf("post_ms=%.4f open_ms=%.4f\n", median(times), median(open_times));
  return 0;
}
