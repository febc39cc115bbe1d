// Cancellation: a flag, a condition variable for sleepers and the transports' wake-ups.

#include <utility>

#include "pushrun/metrics/transport.h"

namespace pushrun::metrics {

void Cancellation::Cancel() noexcept {
  std::lock_guard lock(mutex_);
  if (cancelled_) return;
  cancelled_ = true;
  // Under the lock, so that no Subscription ends (and no transfer is freed) during a wake.
  for (auto& [id, wake] : wakes_) {
    try {
      wake();
    } catch (...) {
      // A wake that fails leaves its transfer to its own timeout.
    }
  }
  changed_.notify_all();
}

bool Cancellation::IsCancelled() const noexcept {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

bool Cancellation::SleepFor(std::chrono::milliseconds wait) const {
  std::unique_lock lock(mutex_);
  return !changed_.wait_for(lock, wait, [this] { return cancelled_; });
}

Cancellation::Subscription Cancellation::OnCancel(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  if (cancelled_) wake();
  const std::uint64_t id = next_id_++;
  wakes_.emplace(id, std::move(wake));
  return Subscription(this, id);
}

Cancellation::Subscription::~Subscription() {
  std::lock_guard lock(owner_->mutex_);
  owner_->wakes_.erase(id_);
}

}  // namespace pushrun::metrics
