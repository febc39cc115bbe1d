#include "cancel_on_signal.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <system_error>
#include <thread>

namespace pushrun::runner::detail {
namespace {

constexpr int kCancelling[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
constexpr int kIgnored[] = {SIGUSR1, SIGUSR2};

// The pipe the handler writes to; -1 while no CancelOnSignal exists.
std::atomic<int> write_end{-1};

extern "C" void OnSignal(int sig) {
  const int saved_errno = errno;
  const int fd = write_end.load();
  if (fd >= 0) {
    const unsigned char byte = static_cast<unsigned char>(sig);
    // Non-blocking: a full pipe means a cancellation is on its way already.
    (void)!::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

}  // namespace

struct CancelOnSignal::Saved {
  struct sigaction cancelling[std::size(kCancelling)]{};
  struct sigaction ignored[std::size(kIgnored)]{};
};

struct CancelOnSignal::Watched {
  explicit Watched(std::shared_ptr<metrics::Cancellation> c) : cancellation(std::move(c)) {}
  ~Watched() {
    if (read_end >= 0) ::close(read_end);
  }
  // Reads signal numbers until the write end is closed.
  void Watch() {
    for (;;) {
      pollfd readable{read_end, POLLIN, 0};
      if (::poll(&readable, 1, -1) < 0 && errno != EINTR) return;
      unsigned char byte = 0;
      const ssize_t n = ::read(read_end, &byte, 1);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return;
      int expected = 0;
      received.compare_exchange_strong(expected, byte);
      if (cancellation) cancellation->Cancel();
    }
  }
  std::shared_ptr<metrics::Cancellation> cancellation;
  std::atomic<int> received{0};
  int read_end = -1;
};

CancelOnSignal::CancelOnSignal(std::shared_ptr<metrics::Cancellation> cancellation)
    : watched_(std::make_shared<Watched>(std::move(cancellation))),
      saved_(std::make_unique<Saved>()) {
  int pipe_ends[2];
  if (::pipe2(pipe_ends, O_CLOEXEC | O_NONBLOCK) == 0) {
    watched_->read_end = pipe_ends[0];
    write_end_ = pipe_ends[1];
    // The watcher takes no signal itself; it only reads what the handler wrote.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    try {
      std::thread([watched = watched_] { watched->Watch(); }).detach();
    } catch (const std::system_error&) {
      ::close(write_end_);  // no watcher: the signals are ignored instead (below)
      write_end_ = -1;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  write_end.store(write_end_);
  struct sigaction handle {};
  handle.sa_handler = OnSignal;
  handle.sa_flags = SA_RESTART;
  sigemptyset(&handle.sa_mask);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  for (std::size_t i = 0; i < std::size(kCancelling); ++i) {
    ::sigaction(kCancelling[i], nullptr, &saved_->cancelling[i]);
    const bool was_ignored = saved_->cancelling[i].sa_handler == SIG_IGN;
    ::sigaction(kCancelling[i], was_ignored || write_end_ < 0 ? &ignore : &handle, nullptr);
  }
  for (std::size_t i = 0; i < std::size(kIgnored); ++i) {
    ::sigaction(kIgnored[i], &ignore, &saved_->ignored[i]);
  }
}

CancelOnSignal::~CancelOnSignal() {
  for (std::size_t i = 0; i < std::size(kCancelling); ++i) {
    ::sigaction(kCancelling[i], &saved_->cancelling[i], nullptr);
  }
  for (std::size_t i = 0; i < std::size(kIgnored); ++i) {
    ::sigaction(kIgnored[i], &saved_->ignored[i], nullptr);
  }
  write_end.store(-1);
  // The watcher sees end-of-file and returns; its share of watched_ keeps what it reads alive.
  if (write_end_ >= 0) ::close(write_end_);
}

int CancelOnSignal::received() const { return watched_->received.load(); }

}  // namespace pushrun::runner::detail
