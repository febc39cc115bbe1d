#include "cancel_on_signal.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <mutex>
#include <thread>

namespace pushrun::runner::detail {
namespace {

constexpr int kCancelling[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
constexpr int kIgnored[] = {SIGUSR1, SIGUSR2};

// The pipe the handler writes to while a CancelOnSignal exists; -1 otherwise.
std::atomic<int> handler_fd{-1};

extern "C" void OnSignal(int sig) {
  const int saved_errno = errno;
  const int fd = handler_fd.load();
  if (fd >= 0) {
    const unsigned char byte = static_cast<unsigned char>(sig);
    // Non-blocking: a full pipe means a cancellation is on its way already.
    (void)!::write(fd, &byte, 1);
  }
  errno = saved_errno;
}

// The process's one watcher: the pipe (never closed, so the handler never writes to a
// descriptor that was reused) and what the current object wants done.
struct Watcher {
  int read_end = -1;
  int write_end = -1;
  std::mutex mutex;
  std::shared_ptr<metrics::Cancellation> cancellation;  // the current object's
  std::shared_ptr<std::atomic<int>> received;           // null while no object exists

  // Reads signal numbers for as long as the process lives. A number the handler wrote for
  // an object that is gone by the time it is read finds no object and is dropped.
  void Watch() {
    for (;;) {
      pollfd readable{read_end, POLLIN, 0};
      if (::poll(&readable, 1, -1) < 0 && errno != EINTR) return;
      unsigned char byte = 0;
      const ssize_t n = ::read(read_end, &byte, 1);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) return;
      std::lock_guard lock(mutex);
      if (!received) continue;
      int expected = 0;
      received->compare_exchange_strong(expected, byte);
      if (cancellation) cancellation->Cancel();
    }
  }
};

// The watcher, started on first use; null when the pipe or the thread could not be made.
// Never destroyed: its thread may run until the process ends.
Watcher* TheWatcher() {
  static Watcher* const watcher = []() -> Watcher* {
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) return nullptr;
    auto* made = new Watcher;
    made->read_end = ends[0];
    made->write_end = ends[1];
    // The watcher takes no signal itself; it only reads what the handler wrote.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    bool started = true;
    try {
      std::thread([made] { made->Watch(); }).detach();
    } catch (const std::exception&) {
      started = false;
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (started) return made;
    ::close(ends[0]);
    ::close(ends[1]);
    delete made;
    return nullptr;
  }();
  return watcher;
}

}  // namespace

struct CancelOnSignal::Saved {
  struct sigaction cancelling[std::size(kCancelling)]{};
  struct sigaction ignored[std::size(kIgnored)]{};
};

void CancelOnSignal::StartWatcher() noexcept {
  try {
    (void)TheWatcher();
  } catch (...) {
    // Made again (and reported as ignored signals) by the first object.
  }
}

CancelOnSignal::CancelOnSignal(std::shared_ptr<metrics::Cancellation> cancellation)
    : cancellation_(std::move(cancellation)),
      received_(std::make_shared<std::atomic<int>>(0)),
      saved_(std::make_unique<Saved>()) {
  Watcher* watcher = TheWatcher();
  if (watcher != nullptr) {
    std::lock_guard lock(watcher->mutex);
    watcher->cancellation = cancellation_;
    watcher->received = received_;
  }
  handler_fd.store(watcher != nullptr ? watcher->write_end : -1);
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
    ::sigaction(kCancelling[i], was_ignored || watcher == nullptr ? &ignore : &handle, nullptr);
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
  handler_fd.store(-1);
  if (Watcher* watcher = TheWatcher()) {
    std::lock_guard lock(watcher->mutex);
    watcher->cancellation.reset();
    watcher->received.reset();
  }
}

}  // namespace pushrun::runner::detail
