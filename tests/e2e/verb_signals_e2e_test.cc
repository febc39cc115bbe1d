// `pushrun flush` and `pushrun delete` stopped by SIGTERM while a gateway holds their request:
// like a wrapped run, they end the request at once and leave the spool as it should be (the
// delete spooled, the flushed report kept), saying so, rather than dying mid-request.

#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "pushrun/runner/spool.h"
#include "support/fault_server.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::runner::Spool;
using pushrun::testing::ChildProcess;
using pushrun::testing::FaultServer;
using pushrun::testing::PushrunArgv;
using pushrun::testing::ScriptedResponse;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;
using pushrun::testing::WithoutPushrunEnvironment;

std::size_t Spooled(const std::string& dir) {
  return Spool(dir, "pushrun_last_success_timestamp_seconds").List().reports.size();
}

}  // namespace

TEST_CASE("pushrun delete: SIGTERM ends the held request and spools the delete",
          "[e2e][signals][spool][integration]") {
  TempDir dir;
  FaultServer gateway({ScriptedResponse::NeverAnswer()});
  ChildProcess run(PushrunArgv({"delete", "--gateway", gateway.url(), "--spool-dir", dir.path,
                                "--push-deadline", "60s", "--job", "nightly"}),
                   WithoutPushrunEnvironment());
  REQUIRE(WaitUntil([&] { return gateway.request_count() == 1; }));
  const auto sent = std::chrono::steady_clock::now();
  run.Signal(SIGTERM);
  const auto result = run.Wait();
  INFO(result.err);
  CHECK(result.status() == 128 + SIGTERM);
  CHECK(std::chrono::steady_clock::now() - sent < std::chrono::seconds(20));  // not the deadline
  CHECK_THAT(result.err, Catch::Contains("the delete was stopped"));
  CHECK(Spooled(dir.path) == 1);
}

TEST_CASE("pushrun flush: SIGTERM ends the held request and keeps the report",
          "[e2e][signals][spool][integration]") {
  TempDir dir;
  FaultServer gateway({ScriptedResponse::NeverAnswer()});
  pushrun::runner::SpooledReport report;
  report.method = "POST";
  report.params = {.job_name = "nightly", .groupings = {}};
  report.body = "# TYPE pushrun_exit_code gauge\npushrun_exit_code 0\n";
  REQUIRE(Spool(dir.path, "pushrun_last_success_timestamp_seconds").Store(report).empty());
  ChildProcess run(PushrunArgv({"flush", "--gateway", gateway.url(), "--spool-dir", dir.path,
                                "--push-deadline", "60s"}),
                   WithoutPushrunEnvironment());
  REQUIRE(WaitUntil([&] { return gateway.request_count() == 1; }));
  run.Signal(SIGTERM);
  const auto result = run.Wait();
  INFO(result.err);
  CHECK(result.status() == 128 + SIGTERM);
  CHECK_THAT(result.err, Catch::Contains("the flush was stopped"));
  CHECK(Spooled(dir.path) == 1);
}

#endif
