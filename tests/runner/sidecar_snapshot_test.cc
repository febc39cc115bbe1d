// Sidecar snapshots while the command runs: the file is replaced by rename, read again only
// when it changed, and a refused version never displaces the last valid one.

#include "pushrun/runner/sidecar_snapshot.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "support/temp_dir.h"

namespace {

using pushrun::runner::SidecarRules;
using pushrun::runner::SidecarSnapshot;
using pushrun::testing::TempDir;

// What a well-behaved command does: write the new version beside the file, rename it over.
void Replace(const TempDir& dir, const std::string& content) {
  const std::string next = dir.File("metrics.prom.next", content);
  REQUIRE(std::rename(next.c_str(), (dir.path + "/metrics.prom").c_str()) == 0);
}

std::optional<double> Progress(const SidecarSnapshot& snapshot) {
  for (const auto& family : snapshot.families()) {
    if (family.name == "progress" && family.samples.size() == 1) return family.samples[0].value;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("Sidecar snapshot: each renamed-over version is taken, and only once",
          "[runner][sidecar][heartbeat]") {
  TempDir dir;
  SidecarSnapshot snapshot(dir.path + "/metrics.prom", SidecarRules{});
  CHECK_FALSE(snapshot.Refresh().has_value());  // not written yet
  CHECK(snapshot.families().empty());

  Replace(dir, "# TYPE progress gauge\nprogress 1\n");
  CHECK_FALSE(snapshot.Refresh().has_value());
  CHECK(Progress(snapshot) == 1);
  CHECK_FALSE(snapshot.Refresh().has_value());
  CHECK_FALSE(snapshot.Refresh().has_value());
  CHECK(snapshot.reads() == 1);

  Replace(dir, "# TYPE progress gauge\nprogress 2\n");
  CHECK_FALSE(snapshot.Refresh().has_value());
  CHECK(Progress(snapshot) == 2);
  CHECK(snapshot.reads() == 2);
}

TEST_CASE("Sidecar snapshot: an invalid version warns once and the previous values stay",
          "[runner][sidecar][heartbeat]") {
  TempDir dir;
  SidecarSnapshot snapshot(dir.path + "/metrics.prom", SidecarRules{});
  Replace(dir, "# TYPE progress gauge\nprogress 1\n");
  REQUIRE_FALSE(snapshot.Refresh().has_value());

  const std::string bad = GENERATE(as<std::string>{},
                                   "progress 2\nprogress 2\n",         // duplicate series
                                   "progress 2\nbroken{ 3\n",          // syntax, after a good line
                                   "pushrun_running 0\nprogress 2\n",  // pushrun's own name
                                   "progress 2 1700000000000\n");      // a timestamp
  INFO(bad);
  Replace(dir, bad);
  const std::optional<std::string> warning = snapshot.Refresh();
  REQUIRE(warning.has_value());
  CHECK(warning->find(dir.path + "/metrics.prom") != std::string::npos);
  CHECK(Progress(snapshot) == 1);
  CHECK_FALSE(snapshot.Refresh().has_value());  // the same bad version: no second warning
  CHECK(Progress(snapshot) == 1);

  Replace(dir, "# TYPE progress gauge\nprogress 3\n");
  CHECK_FALSE(snapshot.Refresh().has_value());
  CHECK(Progress(snapshot) == 3);
}

TEST_CASE("Sidecar snapshot: a removed file keeps the last snapshot",
          "[runner][sidecar][heartbeat]") {
  TempDir dir;
  SidecarSnapshot snapshot(dir.path + "/metrics.prom", SidecarRules{});
  Replace(dir, "progress 1\n");
  REQUIRE_FALSE(snapshot.Refresh().has_value());
  REQUIRE(std::remove((dir.path + "/metrics.prom").c_str()) == 0);
  CHECK_FALSE(snapshot.Refresh().has_value());
  CHECK(Progress(snapshot) == 1);
}

TEST_CASE("Sidecar snapshot: the same size written in place is noticed by its times",
          "[runner][sidecar][heartbeat]") {
  TempDir dir;
  SidecarSnapshot snapshot(dir.path + "/metrics.prom", SidecarRules{});
  dir.File("metrics.prom", "progress 1\n");
  REQUIRE_FALSE(snapshot.Refresh().has_value());
  // Some file systems keep whole seconds; wait for the next tick of the clock they use.
  ::usleep(1'100'000);
  dir.File("metrics.prom", "progress 7\n");
  CHECK_FALSE(snapshot.Refresh().has_value());
  CHECK(Progress(snapshot) == 7);
}
