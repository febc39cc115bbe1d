#include "pushrun/runner/heartbeat.h"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

namespace pushrun::runner {

using Clock = std::chrono::steady_clock;

// Shared by the Heartbeat and its thread, so a send that Stop() gave up on can still finish
// (and find its callbacks and counters) after the Heartbeat is gone.
struct Heartbeat::State {
  HeartbeatOptions options;
  Build build;
  Send send;

  std::mutex mutex;
  std::condition_variable changed;
  bool stopping = false;
  bool finished = false;  // the thread has left its loop
  bool in_flight = false;
  Clock::time_point beat_started;
  HeartbeatStats stats;
  std::set<std::string> pushed_names;
  std::thread thread;
};

namespace {

void Beat(Heartbeat::Build& build, Heartbeat::Send& send, std::mutex& mutex,
          std::set<std::string>& pushed_names, HeartbeatStats& stats) {
  try {
    std::vector<metrics::MetricFamily> report = build();
    {
      // Recorded before sending: a request that fails or times out may still be applied.
      std::lock_guard<std::mutex> lock(mutex);
      for (const metrics::MetricFamily& family : report) pushed_names.insert(family.name);
      ++stats.sent;
    }
    send(report);
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex);
    ++stats.failed;
  }
}

}  // namespace

Heartbeat::Heartbeat(HeartbeatOptions options, Build build, Send send)
    : state_(std::make_shared<State>()) {
  if (options.interval <= std::chrono::milliseconds(0)) {
    throw std::invalid_argument("Heartbeat: the interval must be positive");
  }
  state_->options = options;
  state_->build = std::move(build);
  state_->send = std::move(send);
  state_->thread = std::thread([state = state_] {
    const Clock::duration interval = state->options.interval;
    Clock::time_point next = Clock::now() + interval;
    std::unique_lock<std::mutex> lock(state->mutex);
    while (!state->changed.wait_until(lock, next, [&] { return state->stopping; })) {
      state->in_flight = true;
      state->beat_started = Clock::now();
      lock.unlock();
      Beat(state->build, state->send, state->mutex, state->pushed_names, state->stats);
      lock.lock();
      state->in_flight = false;
      state->changed.notify_all();
      // Beats that fell due during this one are skipped, not sent late in a burst.
      const Clock::time_point now = Clock::now();
      for (next += interval; next <= now; next += interval) ++state->stats.skipped;
    }
    state->finished = true;
    state->changed.notify_all();
  });
}

Heartbeat::~Heartbeat() { Stop(); }

HeartbeatStats Heartbeat::Stop() {
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->stopping = true;
  state_->changed.notify_all();
  if (!state_->thread.joinable()) return state_->stats;
  while (!state_->finished) {
    if (!state_->in_flight) {
      state_->changed.wait(lock);
      continue;
    }
    const Clock::time_point deadline = state_->beat_started + state_->options.send_timeout;
    if (Clock::now() >= deadline) break;
    state_->changed.wait_until(lock, deadline);
  }
  std::thread thread = std::move(state_->thread);
  if (!state_->finished) {
    // The send ignored its own timeout; it holds the state and ends on its own. The beats that
    // fell due meanwhile would be counted only when it ends: count them now, for the report.
    // (A send to a gateway that never answers lands here whenever the command ends during it,
    // as the request's own timeout started a moment after beat_started.)
    state_->stats.skipped +=
        static_cast<int>((Clock::now() - state_->beat_started) / state_->options.interval);
    state_->stats.abandoned = true;
    thread.detach();
    return state_->stats;
  }
  const HeartbeatStats stats = state_->stats;
  lock.unlock();
  thread.join();
  return stats;
}

HeartbeatStats Heartbeat::stats() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->stats;
}

std::set<std::string> Heartbeat::PushedFamilyNames() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->pushed_names;
}

}  // namespace pushrun::runner
