// Many wrapped jobs at once against one gateway: every report arrives, in its own group.

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"

#ifdef PUSHRUN_BINARY

TEST_CASE("pushrun (load): 200 wrapped jobs started at once all land, each in its own group",
          "[e2e][load][integration]") {
  constexpr int kJobs = 200;
  pushrun::testing::PushgatewayProcess gateway;
  const pushrun::testing::ProcessOptions options = pushrun::testing::WithoutPushrunEnvironment();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::unique_ptr<pushrun::testing::ChildProcess>> runs;
  for (int n = 0; n < kJobs; ++n) {
    runs.push_back(std::make_unique<pushrun::testing::ChildProcess>(
        std::vector<std::string>{PUSHRUN_BINARY, "--gateway", gateway.url(), "--job", "load", "-g",
                                 "i=" + std::to_string(n), "--", "/bin/sh", "-c",
                                 "exit " + std::to_string(n % 5)},
        options));
  }
  int wrong_status = 0;
  std::string errors;
  for (int n = 0; n < kJobs; ++n) {
    const auto result = runs[n]->Wait();
    if (result.status() != n % 5) ++wrong_status;
    errors += result.err;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CAPTURE(seconds);
  INFO(errors.substr(0, 2000));
  CHECK(wrong_status == 0);
  CHECK(errors.empty());  // no push failed
  CHECK(seconds < 60);    // generous: the point is that nothing hangs

  // One scrape, every group: job="load", i="<n>" carries exit code n % 5.
  std::map<int, double> exit_codes;
  for (const std::string& line : gateway.Lines("pushrun_exit_code", {"job=\"load\""})) {
    const std::size_t at = line.find("i=\"");
    REQUIRE(at != std::string::npos);
    const int n = std::stoi(line.substr(at + 3));
    CHECK(exit_codes.count(n) == 0);  // one series per group
    exit_codes[n] = std::stod(line.substr(line.rfind(' ') + 1));
  }
  CHECK(exit_codes.size() == kJobs);
  int mixed_up = 0;
  for (const auto& [n, code] : exit_codes) mixed_up += code != n % 5;
  CHECK(mixed_up == 0);
  CHECK(gateway.Lines("pushrun_success", {"job=\"load\""}).size() == kJobs);
  CHECK(gateway.Lines("pushrun_last_success_timestamp_seconds", {"job=\"load\""}).size() ==
        kJobs / 5);
}

#endif  // PUSHRUN_BINARY
