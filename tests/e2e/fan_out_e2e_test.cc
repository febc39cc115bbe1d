// A wrapped run to several targets through the binary: two real Pushgateways and a real
// Prometheus remote-write receiver; one gateway stopped, its entry spooled, `pushrun flush`
// delivering it once it is back.

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "support/prometheus_process.h"
#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::Pushrun;

// Writes a sidecar gauge and histogram, then exits 3.
const std::vector<std::string> kCommand = {
    "sh", "-c",
    "printf '# TYPE rows gauge\\nrows 42\\n# TYPE wait_seconds histogram\\n"
    "wait_seconds_bucket{le=\"1\"} 2\\nwait_seconds_bucket{le=\"+Inf\"} 4\\n"
    "wait_seconds_sum 6\\nwait_seconds_count 4\\n' > \"$PUSHRUN_METRICS_FILE\"; exit 3"};

std::vector<std::string> Args(std::vector<std::string> args) {
  args.push_back("--");
  args.insert(args.end(), kCommand.begin(), kCommand.end());
  return args;
}

const std::vector<std::string> kGroup = {"db=\"main\""};

}  // namespace

TEST_CASE("Fan-out e2e: one run reaches two gateways and Prometheus, exit status unchanged",
          "[e2e][fan-out][integration]") {
  PushgatewayProcess first, second;
  pushrun::testing::PrometheusProcess prometheus;
  const auto run =
      Pushrun(Args({"-v", "--gateway", first.url(), "--gateway", second.url(), "--remote-write",
                    prometheus.write_url(), "--job", "nightly", "-g", "db=main"}));
  INFO(run.err);
  CHECK(run.status() == 3);
  for (const PushgatewayProcess* gateway : {&first, &second}) {
    CHECK(PushedValue(*gateway, "pushrun_exit_code", "nightly", kGroup) == 3);
    CHECK(PushedValue(*gateway, "rows", "nightly", kGroup) == 42);
  }
  for (const auto& [query, value] : std::vector<std::pair<std::string, double>>{
           {"pushrun_exit_code{job=\"nightly\",db=\"main\"}", 3},
           {"pushrun_success{job=\"nightly\",db=\"main\"}", 0},
           {"rows{job=\"nightly\",db=\"main\"}", 42},
           {"wait_seconds_count{job=\"nightly\",db=\"main\"}", 4},
           {"histogram_quantile(0.5, wait_seconds_bucket{job=\"nightly\",db=\"main\"})", 1}}) {
    INFO(query);
    const auto held = prometheus.Poll(query, 1);
    REQUIRE(held.size() == 1);
    CHECK(held.front().value == Approx(value));
  }
  CHECK_THAT(run.err, Catch::Contains("delivered to " + first.url() + ", " + second.url() +
                                      ", remote write " + prometheus.write_url()));
}

TEST_CASE("Fan-out e2e: a stopped gateway's report is spooled and flushed once it is back",
          "[e2e][fan-out][spool][integration]") {
  pushrun::testing::TempDir spool;
  PushgatewayProcess up, down;
  down.Stop();
  const std::vector<std::string> targets = {"--gateway",       up.url(),      "--gateway",
                                            down.url(),        "--spool-dir", spool.path,
                                            "--push-deadline", "3s"};
  std::vector<std::string> args = targets;
  args.insert(args.end(), {"--job", "nightly", "-g", "db=main"});
  const auto run = Pushrun(Args(args));
  INFO(run.err);
  CHECK(run.status() == 3);
  CHECK(PushedValue(up, "rows", "nightly", kGroup) == 42);
  CHECK_THAT(run.err, Catch::Contains("spooled"));

  down.Start();
  std::vector<std::string> flush = {"flush"};
  flush.insert(flush.end(), targets.begin(), targets.end());
  const auto flushed = Pushrun(flush);
  INFO(flushed.err);
  CHECK(flushed.status() == 0);
  CHECK(PushedValue(down, "rows", "nightly", kGroup) == 42);
}

#endif
