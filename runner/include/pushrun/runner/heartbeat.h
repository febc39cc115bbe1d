#pragma once
// The heartbeat scheduler: while the command runs, a thread builds a running report every
// interval and hands it to a "send" callback (a push that ends within its own request
// timeout). It never lets heartbeats pile up or hold the final report back:
// - a beat that falls due while the previous one is still being sent is skipped and counted;
// - Stop() waits for a send in flight only until that send's own timeout has passed since it
//   began, then leaves it to finish on its own (a late request may still be applied, so the
//   final report repeats its deletions after it);
// - every family name any heartbeat tried to push is remembered, for those deletions.
// Thread-safe: Stop() and the accessors may be called from any thread.

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "pushrun/metrics/family.h"

namespace pushrun::runner {

struct HeartbeatOptions {
  std::chrono::milliseconds interval{1000};
  // The longest one send may take (the push's own timeout and retries); Stop() waits no longer.
  std::chrono::milliseconds send_timeout{10'000};
};

struct HeartbeatStats {
  int sent = 0;            // beats handed to the send callback
  int failed = 0;          // sends that threw
  int skipped = 0;         // beats that fell due while a send was in flight
  bool abandoned = false;  // Stop() returned with a send still in flight
};

class Heartbeat {
 public:
  using Build = std::function<std::vector<metrics::MetricFamily>()>;
  // Throws on failure (counted in HeartbeatStats::failed). It may outlive the Heartbeat when
  // Stop() gives up on it, so it must own (or share) whatever it uses.
  using Send = std::function<void(const std::vector<metrics::MetricFamily>&)>;

  // Starts the thread; the first beat is one interval from now. Throws std::invalid_argument
  // for an interval that is not positive.
  Heartbeat(HeartbeatOptions options, Build build, Send send);
  ~Heartbeat();  // Stop()
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // Ends the heartbeats: no beat starts after it is called, and it returns once the beat in
  // flight has ended or has used up its send timeout. Idempotent.
  HeartbeatStats Stop();

  HeartbeatStats stats() const;
  // Every family name a beat handed to the send callback.
  std::set<std::string> PushedFamilyNames() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace pushrun::runner
