#include "cancel_on_signal.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

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

CancelOnSignal::CancelOnSignal(std::shared_ptr<metrics::Cancellation> cancellation)
    : cancellation_(std::move(cancellation)), saved_(std::make_unique<Saved>()) {
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) pipe_[0] = pipe_[1] = -1;
  write_end.store(pipe_[1]);
  {
    // The watcher takes no signal itself; it only reads what the handler wrote.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pipe_[0] >= 0) watcher_ = std::thread([this] { Watch(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
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
    ::sigaction(kCancelling[i], was_ignored || pipe_[1] < 0 ? &ignore : &handle, nullptr);
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
  if (watcher_.joinable()) {
    const unsigned char stop = 0;
    while (::write(pipe_[1], &stop, 1) < 0 && errno == EINTR) {
    }
    watcher_.join();
  }
  if (pipe_[0] >= 0) ::close(pipe_[0]);
  if (pipe_[1] >= 0) ::close(pipe_[1]);
}

void CancelOnSignal::Watch() {
  for (;;) {
    pollfd readable{pipe_[0], POLLIN, 0};
    if (::poll(&readable, 1, -1) < 0 && errno != EINTR) return;
    unsigned char byte = 0;
    const ssize_t n = ::read(pipe_[0], &byte, 1);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0 || byte == 0) return;
    int expected = 0;
    received_.compare_exchange_strong(expected, byte);
    if (cancellation_) cancellation_->Cancel();
  }
}

}  // namespace pushrun::runner::detail
