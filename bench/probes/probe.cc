// The command the benchmarks wrap. It records CLOCK_MONOTONIC on entry to main and right before
// _exit, so the driver can tell how long a wrapper took to start it and how long the wrapper
// lived on after it. Linked statically and kept free of C++ runtime machinery so that its own
// exec cost is small and the same under every wrapper (the driver measures it bare and
// subtracts it).
//
//   bench_probe OUT [--sleep MS] [--sidecar SRC]
//
// OUT receives "<start_ns> <exit_ns>\n". With --sleep, "<start_ns>\n" is written first, so the
// driver knows the wrapper is now waiting for its child. With --sidecar, SRC is copied into the
// file named by $PUSHRUN_METRICS_FILE before the exit time is taken.

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

std::int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Formats `value` at `out`, returns the number of characters written.
int FormatInt(std::int64_t value, char* out) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int i = 0; i < n; ++i) out[i] = digits[n - 1 - i];
  return n;
}

bool WriteAll(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool CopyFile(const char* from, const char* to) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return false;
  int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (out < 0) {
    close(in);
    return false;
  }
  char buffer[1 << 16];
  bool ok = true;
  for (;;) {
    ssize_t n = read(in, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0 || !WriteAll(out, buffer, static_cast<std::size_t>(n))) {
      ok = false;
      break;
    }
  }
  close(in);
  close(out);
  return ok;
}

void Fail(const char* message) {
  WriteAll(2, message, std::strlen(message));
  _exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t start_ns = NowNs();
  if (argc < 2) Fail("usage: bench_probe OUT [--sleep MS] [--sidecar SRC]\n");
  long sleep_ms = 0;
  const char* sidecar_src = nullptr;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--sleep") == 0) {
      sleep_ms = std::strtol(argv[i + 1], nullptr, 10);
    } else if (std::strcmp(argv[i], "--sidecar") == 0) {
      sidecar_src = argv[i + 1];
    } else {
      Fail("bench_probe: unknown option\n");
    }
  }
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) Fail("bench_probe: cannot open OUT\n");

  char line[64];
  int len = FormatInt(start_ns, line);
  if (sleep_ms > 0) {
    line[len] = '\n';
    if (!WriteAll(fd, line, static_cast<std::size_t>(len) + 1)) Fail("bench_probe: write\n");
    timespec pause{sleep_ms / 1000, (sleep_ms % 1000) * 1'000'000};
    while (nanosleep(&pause, &pause) != 0) {
    }
  }
  if (sidecar_src != nullptr) {
    const char* target = std::getenv("PUSHRUN_METRICS_FILE");
    if (target == nullptr) Fail("bench_probe: PUSHRUN_METRICS_FILE is not set\n");
    if (!CopyFile(sidecar_src, target)) Fail("bench_probe: cannot copy the sidecar\n");
  }
  line[len++] = ' ';
  // The last thing before exiting: everything after this is the wrapper's doing.
  len += FormatInt(NowNs(), line + len);
  line[len++] = '\n';
  if (pwrite(fd, line, static_cast<std::size_t>(len), 0) != len) Fail("bench_probe: write\n");
  _exit(0);
}
