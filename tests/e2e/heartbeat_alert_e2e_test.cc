// PushrunJobStalled as shipped (packaging/prometheus/pushrun-alerts.yml), evaluated by a real
// Prometheus that scrapes a real Pushgateway fed by the real binary: it fires for a run whose
// pushrun was killed mid-run, never for a healthy run beside it, and resolves once a later run of
// the stalled group ends.

#include <signal.h>
#include <sys/types.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/prometheus_process.h"
#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::ChildProcess;
using pushrun::testing::ProcessOptions;
using pushrun::testing::ProcessResult;
using pushrun::testing::PrometheusProcess;
using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::Pushrun;
using pushrun::testing::PushrunArgv;
using pushrun::testing::QuerySample;
using pushrun::testing::ReadFile;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;
using pushrun::testing::WithoutPushrunEnvironment;

// The commands write their pid (their process group: pushrun gives the command its own) to
// DIR/<name>.pid. Whatever happens in the test, both groups are killed at the end: the killed
// run's command outlives its pushrun.
struct CommandGroups {
  std::string dir;
  ~CommandGroups() {
    for (const char* name : {"killed", "healthy"}) {
      const std::string pid = ReadFile(dir + "/" + name + ".pid");
      if (!pid.empty()) ::kill(-static_cast<pid_t>(std::stol(pid)), SIGKILL);
    }
  }
};

std::vector<std::string> Run(const std::string& gateway, const std::string& group) {
  return PushrunArgv({"--gateway", gateway, "--job", "stall_job", "-g", "run=" + group,
                      "--heartbeat", "500ms", "--", "/bin/sh", "-c",
                      "echo $$ > \"$D/$0.pid\"; exec sleep 60", group});
}

// The PushrunJobStalled alerts Prometheus holds now, pending or firing, by their `run` label.
std::vector<std::string> Stalled(const PrometheusProcess& prometheus, const char* state) {
  std::vector<std::string> runs;
  for (const QuerySample& sample : prometheus.Query(
           std::string("ALERTS{alertname=\"PushrunJobStalled\",alertstate=\"") + state + "\"}")) {
    const auto run = sample.labels.find("run");
    runs.push_back(run != sample.labels.end() ? run->second : "?");
  }
  return runs;
}

bool Has(const std::vector<std::string>& runs, const std::string& run) {
  for (const std::string& r : runs) {
    if (r == run) return true;
  }
  return false;
}

}  // namespace

TEST_CASE(
    "PushrunJobStalled fires in a real Prometheus for a run whose pushrun was killed, and not "
    "for a healthy run beside it; the group's next run that ends resolves it",
    "[e2e][heartbeat][alerts][integration]") {
  PushgatewayProcess gateway;
  PrometheusProcess::Options options;
  // The shipped rules, untouched; the slack comes from a per-job override, as the rules say.
  // 3 intervals of 500 ms plus 4 s: a healthy run's heartbeat, seen through 1 s scrapes and 1 s
  // evaluations on a busy machine, stays well inside it.
  options.files["pushrun-alerts.yml"] =
      ReadFile(PUSHRUN_SOURCE_DIR "/packaging/prometheus/pushrun-alerts.yml");
  REQUIRE_FALSE(options.files["pushrun-alerts.yml"].empty());
  options.files["thresholds.yml"] =
      "groups:\n"
      "  - name: test-thresholds\n"
      "    rules:\n"
      "      - record: pushrun:heartbeat_slack_seconds\n"
      "        expr: vector(4)\n"
      "        labels:\n"
      "          job: stall_job\n";
  options.config =
      "global:\n"
      "  scrape_interval: 1s\n"
      "  evaluation_interval: 1s\n"
      "rule_files: [pushrun-alerts.yml, thresholds.yml]\n"
      "scrape_configs:\n"
      "  - job_name: pushgateway\n"
      "    honor_labels: true\n"
      "    static_configs:\n"
      "      - targets: ['127.0.0.1:" +
      std::to_string(gateway.port()) + "']\n";
  PrometheusProcess prometheus(options);

  TempDir dir;
  CommandGroups groups{dir.path};
  const ProcessOptions env = WithoutPushrunEnvironment(ProcessOptions{.env = {"D=" + dir.path}});
  ChildProcess killed(Run(gateway.url(), "killed"), env);
  ChildProcess healthy(Run(gateway.url(), "healthy"), env);
  const auto start = std::chrono::steady_clock::now();

  // Both runs' heartbeats have reached Prometheus through the gateway, with their own labels.
  REQUIRE(
      prometheus
          .Poll("pushrun_heartbeat_timestamp_seconds{job=\"stall_job\",run=~\"killed|healthy\"}", 2)
          .size() == 2);
  REQUIRE(Stalled(prometheus, "firing").empty());
  REQUIRE(Stalled(prometheus, "pending").empty());

  // No final report: pushrun_running stays 1 and the heartbeat goes stale.
  killed.Signal(SIGKILL);
  killed.Wait();

  bool healthy_alerted = false;
  const bool fired = WaitUntil(
      [&] {
        const std::vector<std::string> firing = Stalled(prometheus, "firing");
        const std::vector<std::string> pending = Stalled(prometheus, "pending");
        healthy_alerted = healthy_alerted || Has(firing, "healthy") || Has(pending, "healthy");
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        return Has(firing, "killed");
      },
      std::chrono::seconds(40));
  CHECK(fired);
  // A few more evaluations with the healthy run still beating.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < until) {
    healthy_alerted = healthy_alerted || Has(Stalled(prometheus, "firing"), "healthy") ||
                      Has(Stalled(prometheus, "pending"), "healthy");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  CHECK_FALSE(healthy_alerted);
  CHECK(prometheus.Query("pushrun_running{job=\"stall_job\",run=\"healthy\"} == 1").size() == 1);

  // The healthy run ends as a stopped job does: SIGTERM to pushrun reaches its command.
  healthy.Signal(SIGTERM);
  const ProcessResult ended = healthy.Wait();
  INFO(ended.err);
  CHECK(ended.status() == 143);
  CHECK(PushedValue(gateway, "pushrun_running", "stall_job", {"run=\"healthy\""}) == 0);

  // The next run of the stalled group, with heartbeats, ends normally: its final report marks
  // the group not running and removes the heartbeat series, and the alert resolves.
  const ProcessResult next =
      Pushrun({"--gateway", gateway.url(), "--job", "stall_job", "-g", "run=killed", "--heartbeat",
               "500ms", "--", "/bin/sh", "-c", "sleep 1"});
  INFO(next.err);
  CHECK(next.status() == 0);
  CHECK(gateway.Lines("pushrun_heartbeat_timestamp_seconds", {"run=\"killed\""}).empty());
  CHECK(WaitUntil([&] { return !Has(Stalled(prometheus, "firing"), "killed"); },
                  std::chrono::seconds(20)));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
}

#endif  // PUSHRUN_BINARY
