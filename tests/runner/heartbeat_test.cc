// The heartbeat scheduler with fake callbacks: beats repeat, a slow send makes later beats skip
// instead of piling up, Stop() waits for a send no longer than its timeout, and every family
// name a beat carried is remembered. Time bounds here are generous "does not hang" limits.

#include "pushrun/runner/heartbeat.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/run_process.h"

namespace {

using pushrun::metrics::MetricFamily;
using pushrun::metrics::MetricType;
using pushrun::runner::Heartbeat;
using pushrun::runner::HeartbeatOptions;
using pushrun::runner::HeartbeatStats;
using pushrun::testing::WaitUntil;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

std::vector<MetricFamily> Report(std::vector<std::string> names) {
  std::vector<MetricFamily> families;
  for (std::string& name : names)
    families.push_back(MetricFamily{
        .name = std::move(name), .help = {}, .type = MetricType::kGauge, .samples = {}});
  return families;
}

// A send that blocks until Open() is called, and says when it is inside.
struct Latch {
  std::promise<void> opened;
  std::shared_future<void> open = opened.get_future().share();
  std::atomic<int> inside{0};
  std::atomic<int> most_inside{0};
  std::atomic<int> calls{0};
  void Open() { opened.set_value(); }
  Heartbeat::Send Sender(const std::shared_ptr<Latch>& self) {
    return [self](const std::vector<MetricFamily>&) {
      ++self->calls;
      const int now = ++self->inside;
      if (now > self->most_inside) self->most_inside = now;
      self->open.wait();
      --self->inside;
    };
  }
};

}  // namespace

TEST_CASE("Heartbeat: beats repeat every interval and remember every family they carried",
          "[runner][heartbeat]") {
  std::atomic<int> built{0};
  Heartbeat heartbeat(
      HeartbeatOptions{.interval = milliseconds(10), .send_timeout = milliseconds(1000)},
      [&] {
        // The sidecar's families change between beats; all of them must be remembered.
        return Report({"pushrun_running", ++built % 2 == 1 ? "odd" : "even"});
      },
      [](const std::vector<MetricFamily>&) {});
  REQUIRE(WaitUntil([&] { return heartbeat.stats().sent >= 3; }));
  const HeartbeatStats stats = heartbeat.Stop();
  CHECK(stats.sent >= 3);
  CHECK(stats.failed == 0);
  CHECK_FALSE(stats.abandoned);
  CHECK(heartbeat.PushedFamilyNames() == std::set<std::string>{"even", "odd", "pushrun_running"});
}

TEST_CASE("Heartbeat: a beat due while a send is in flight is skipped and counted",
          "[runner][heartbeat]") {
  auto latch = std::make_shared<Latch>();
  Heartbeat heartbeat(
      HeartbeatOptions{.interval = milliseconds(10), .send_timeout = milliseconds(60'000)},
      [] { return Report({"pushrun_running"}); }, latch->Sender(latch));
  REQUIRE(WaitUntil([&] { return latch->calls == 1; }));
  std::this_thread::sleep_for(milliseconds(200));  // some twenty beats fall due meanwhile
  CHECK(latch->calls == 1);
  latch->Open();
  const HeartbeatStats stats = heartbeat.Stop();
  CHECK(latch->most_inside == 1);
  CHECK(stats.skipped >= 1);
  // Skipped beats are not sent late in a burst either.
  CHECK(stats.sent <= 3);
  CHECK_FALSE(stats.abandoned);
}

TEST_CASE("Heartbeat: Stop() waits for a send that ends within its timeout",
          "[runner][heartbeat]") {
  auto finished = std::make_shared<std::atomic<bool>>(false);
  auto started = std::make_shared<std::atomic<bool>>(false);
  Heartbeat heartbeat(
      HeartbeatOptions{.interval = milliseconds(10), .send_timeout = milliseconds(60'000)},
      [] { return Report({"pushrun_running"}); },
      [finished, started](const std::vector<MetricFamily>&) {
        if (started->exchange(true)) return;
        std::this_thread::sleep_for(milliseconds(300));
        *finished = true;
      });
  REQUIRE(WaitUntil([&] { return started->load(); }));
  const HeartbeatStats stats = heartbeat.Stop();
  CHECK(finished->load());
  CHECK_FALSE(stats.abandoned);
}

TEST_CASE("Heartbeat: Stop() gives up on a send that outlives its timeout", "[runner][heartbeat]") {
  auto latch = std::make_shared<Latch>();
  Clock::duration stop_took{};
  HeartbeatStats stats;
  {
    Heartbeat heartbeat(
        HeartbeatOptions{.interval = milliseconds(10), .send_timeout = milliseconds(100)},
        [] { return Report({"pushrun_running"}); }, latch->Sender(latch));
    REQUIRE(WaitUntil([&] { return latch->calls == 1; }));
    const Clock::time_point before = Clock::now();
    stats = heartbeat.Stop();
    stop_took = Clock::now() - before;
  }  // the Heartbeat is gone while its send is still blocked
  CHECK(stats.abandoned);
  CHECK(stop_took < std::chrono::seconds(5));
  // The beats that fell due while it hung (about ten) are counted, as when a send ends.
  CHECK(stats.skipped >= 1);
  latch->Open();
  // The abandoned send still finds its state and ends cleanly.
  CHECK(WaitUntil([&] { return latch->inside == 0; }));
  CHECK(latch->calls == 1);
}

TEST_CASE("Heartbeat: Stop() before the first beat sends nothing and returns at once",
          "[runner][heartbeat]") {
  std::atomic<int> sends{0};
  Heartbeat heartbeat(
      HeartbeatOptions{.interval = std::chrono::hours(1), .send_timeout = milliseconds(1000)},
      [] { return Report({"pushrun_running"}); },
      [&](const std::vector<MetricFamily>&) { ++sends; });
  const Clock::time_point before = Clock::now();
  const HeartbeatStats stats = heartbeat.Stop();
  CHECK(Clock::now() - before < std::chrono::seconds(5));
  CHECK(stats.sent == 0);
  CHECK(sends == 0);
  CHECK(heartbeat.PushedFamilyNames().empty());
  CHECK(heartbeat.Stop().sent == 0);  // a second Stop() is harmless
}

TEST_CASE("Heartbeat: a failing send is counted and the beats go on", "[runner][heartbeat]") {
  Heartbeat heartbeat(
      HeartbeatOptions{.interval = milliseconds(10), .send_timeout = milliseconds(1000)},
      [] { return Report({"pushrun_running"}); },
      [](const std::vector<MetricFamily>&) { throw std::runtime_error("gateway down"); });
  REQUIRE(WaitUntil([&] { return heartbeat.stats().failed >= 3; }));
  const HeartbeatStats stats = heartbeat.Stop();
  CHECK(stats.failed >= 3);
  // A beat that failed may still have been applied, so its families count as pushed.
  CHECK(heartbeat.PushedFamilyNames() == std::set<std::string>{"pushrun_running"});
}

TEST_CASE("Heartbeat: an interval that is not positive is refused, not a busy loop",
          "[runner][heartbeat]") {
  const milliseconds interval = GENERATE(milliseconds(0), milliseconds(-5));
  CHECK_THROWS_AS(
      Heartbeat(
          HeartbeatOptions{.interval = interval, .send_timeout = interval},
          [] { return Report({"pushrun_running"}); }, [](const std::vector<MetricFamily>&) {}),
      std::invalid_argument);
}
