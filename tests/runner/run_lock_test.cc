#include "pushrun/runner/run_lock.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "support/temp_dir.h"

using pushrun::runner::RunLock;

TEST_CASE("RunLock: a second run finds the lock held until the first releases it",
          "[runner][lock]") {
  const pushrun::testing::TempDir dir;
  const std::string path = dir.path + "/run.lock";
  std::string error;
  std::optional<RunLock> first, second;
  REQUIRE(RunLock::TryAcquire(path, &first, &error) == RunLock::Outcome::kAcquired);
  // flock locks belong to the open file description, so a second open in the same process
  // conflicts just as another process would.
  CHECK(RunLock::TryAcquire(path, &second, &error) == RunLock::Outcome::kHeld);
  CHECK_FALSE(second.has_value());
  first.reset();
  CHECK(RunLock::TryAcquire(path, &second, &error) == RunLock::Outcome::kAcquired);
}

TEST_CASE("RunLock: an unusable path is an error that names it", "[runner][lock]") {
  std::string error;
  std::optional<RunLock> lock;
  CHECK(RunLock::TryAcquire("/nonexistent-pushrun/x.lock", &lock, &error) ==
        RunLock::Outcome::kError);
  CHECK_THAT(error, Catch::Contains("/nonexistent-pushrun/x.lock"));
}
