// The pushrun binary end to end: real commands, a real Pushgateway on loopback.

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::ChildProcess;
using pushrun::testing::ProcessOptions;
using pushrun::testing::ProcessResult;
using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::Pushrun;
using pushrun::testing::ReadFile;
using pushrun::testing::RunProcess;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;

// Shell that fills $PUSHRUN_METRICS_FILE with `lines` valid series (about 30 bytes each) before
// whatever a test appends: enough of them and the sidecar goes to the gateway as protobuf
// (kLargeSidecarBytes is 256 KiB), so each sidecar test runs both ways.
std::string Padding(int lines) {
  return "awk 'BEGIN { for (i = 0; i < " + std::to_string(lines) +
         "; i++) printf \"pad_metric{i=\\\"%d\\\"} %d\\n\", i, i }' >> \"$PUSHRUN_METRICS_FILE\"; ";
}

bool HasGroup(const PushgatewayProcess& gateway, const std::string& job,
              std::vector<std::string> fragments = {}) {
  fragments.push_back("job=\"" + job + "\"");
  return !gateway.Lines("push_time_seconds", fragments).empty();
}

// Alive and not a zombie.
bool Running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const std::size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z';
}

}  // namespace

TEST_CASE("pushrun: exits with the command's status and pushes it", "[e2e][integration]") {
  PushgatewayProcess gateway;
  const int code = GENERATE(0, 1, 3, 255);
  const std::string job = "exit_" + std::to_string(code);
  const auto result = Pushrun({"--gateway", gateway.url(), "--job", job, "--", "/bin/sh", "-c",
                               "exit " + std::to_string(code)});
  INFO(result.err);
  CHECK(result.status() == code);
  CHECK(PushedValue(gateway, "pushrun_exit_code", job) == code);
  CHECK(PushedValue(gateway, "pushrun_success", job) == (code == 0 ? 1 : 0));
  CHECK(PushedValue(gateway, "pushrun_signal", job) == 0);
  CHECK(PushedValue(gateway, "pushrun_running", job) == 0);
}

TEST_CASE("pushrun: a command killed by SIGTERM gives 143 and signal 15", "[e2e][integration]") {
  PushgatewayProcess gateway;
  const auto result = Pushrun(
      {"--gateway", gateway.url(), "--job", "killed", "--", "/bin/sh", "-c", "kill -TERM $$"});
  CHECK(result.status() == 143);
  CHECK(PushedValue(gateway, "pushrun_signal", "killed") == 15);
  CHECK(PushedValue(gateway, "pushrun_exit_code", "killed") == 143);
  CHECK(PushedValue(gateway, "pushrun_success", "killed") == 0);
}

TEST_CASE("pushrun: a missing command gives 127, a non-executable one 126", "[e2e][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  const std::string plain = dir.path + "/not_executable";
  std::ofstream(plain) << "#!/bin/sh\nexit 0\n";
  ::chmod(plain.c_str(), 0644);
  SECTION("missing") {
    const auto result =
        Pushrun({"--gateway", gateway.url(), "--job", "missing", "--", "/nonexistent/command"});
    CHECK(result.status() == 127);
    CHECK_THAT(result.err, Catch::Contains("pushrun: error:"));
    CHECK(PushedValue(gateway, "pushrun_exit_code", "missing") == 127);
  }
  SECTION("not executable") {
    const auto result = Pushrun({"--gateway", gateway.url(), "--job", "noexec", "--", plain});
    CHECK(result.status() == 126);
    CHECK(PushedValue(gateway, "pushrun_exit_code", "noexec") == 126);
  }
}

TEST_CASE("pushrun: --timeout stops the whole group with 124 and leaves nothing behind",
          "[e2e][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  const auto result =
      Pushrun({"--gateway", gateway.url(), "--job", "slow", "--timeout", "300ms", "--kill-after",
               "2s", "--", "/bin/sh", "-c", "sleep 100 & echo $! > \"$D/pid\"; sleep 100"},
              ProcessOptions{.env = {"D=" + dir.path}});
  CHECK(result.status() == 124);
  CHECK(result.seconds < 20);  // generous: "quickly", not a performance bound
  CHECK(PushedValue(gateway, "pushrun_timed_out", "slow") == 1);
  CHECK(PushedValue(gateway, "pushrun_exit_code", "slow") == 124);
  const pid_t grandchild = std::stoi(ReadFile(dir.path + "/pid"));
  CHECK(WaitUntil([&] { return !Running(grandchild); }, std::chrono::seconds(5)));
}

TEST_CASE("pushrun: SIGTERM to pushrun reaches a grandchild and the report is still pushed",
          "[e2e][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  const char* script = R"(sh -c 'trap "echo term > \"$D/got\"; exit 0" TERM
echo $$ > "$D/ready"
while :; do sleep 0.05; done' &
wait)";
  ChildProcess pushrun({PUSHRUN_BINARY, "--gateway", gateway.url(), "--job", "terminated", "--",
                        "/bin/sh", "-c", script},
                       ProcessOptions{.env = {"D=" + dir.path}});
  REQUIRE(WaitUntil([&] { return std::filesystem::exists(dir.path + "/ready"); }));
  pushrun.Signal(SIGTERM);
  const auto result = pushrun.Wait();
  INFO(result.err);
  CHECK(WaitUntil([&] { return std::filesystem::exists(dir.path + "/got"); },
                  std::chrono::seconds(5)));
  CHECK(PushedValue(gateway, "pushrun_received_signal", "terminated") == 15);
  CHECK(PushedValue(gateway, "pushrun_success", "terminated") == 0);
  CHECK(result.signal == 0);  // pushrun itself ended normally, after pushing
}

TEST_CASE("pushrun: as PID 1 (unshare --pid) it reaps orphaned zombies", "[e2e][integration]") {
  if (RunProcess({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", "/bin/true"}).status() !=
      0) {
    WARN("unshare --pid --mount-proc is not permitted here; skipped");
    return;
  }
  PushgatewayProcess gateway;
  // The inner sh exits at once, orphaning `sleep 0.1` to PID 1; after it died, count zombies.
  const char* script = R"(sh -c 'sleep 0.1 &'
sleep 0.8
exit $(grep -l '^State:.*Z' /proc/[0-9]*/status 2>/dev/null | wc -l))";
  const auto result =
      RunProcess({"/usr/bin/unshare", "--pid", "--fork", "--mount-proc", PUSHRUN_BINARY,
                  "--gateway", gateway.url(), "--job", "pid1", "--", "/bin/sh", "-c", script});
  INFO(result.err);
  CHECK(result.status() == 0);
  CHECK(PushedValue(gateway, "pushrun_exit_code", "pid1") == 0);
  const auto reaped = PushedValue(gateway, "pushrun_orphans_reaped", "pid1");
  REQUIRE(reaped.has_value());
  CHECK(*reaped >= 1);
}

TEST_CASE("pushrun: measured values on the gateway are right", "[e2e][integration]") {
  PushgatewayProcess gateway;
  SECTION("duration of sleep 0.3") {
    REQUIRE(Pushrun({"--gateway", gateway.url(), "--job", "sleeper", "--", "/bin/sleep", "0.3"})
                .status() == 0);
    const auto duration = PushedValue(gateway, "pushrun_duration_seconds", "sleeper");
    REQUIRE(duration.has_value());
    CHECK(*duration >= 0.29);
    CHECK(*duration < 5);
    const auto start = PushedValue(gateway, "pushrun_start_timestamp_seconds", "sleeper");
    const auto end = PushedValue(gateway, "pushrun_end_timestamp_seconds", "sleeper");
    REQUIRE((start && end));
    CHECK(*end - *start == Approx(*duration).margin(0.1));
    CHECK(PushedValue(gateway, "pushrun_last_success_timestamp_seconds", "sleeper") == end);
  }
  SECTION("CPU seconds of a busy loop") {
    REQUIRE(Pushrun({"--gateway", gateway.url(), "--job", "busy", "--", "/usr/bin/python3", "-c",
                     "sum(i * i for i in range(3_000_000))"})
                .status() == 0);
    const auto user = PushedValue(gateway, "pushrun_cpu_user_seconds", "busy");
    REQUIRE(user.has_value());
    CHECK(*user > 0.05);
    CHECK(PushedValue(gateway, "pushrun_cpu_system_seconds", "busy").has_value());
  }
  SECTION("max RSS of a 50 MB allocation") {
    REQUIRE(Pushrun({"--gateway", gateway.url(), "--job", "big", "--", "/usr/bin/python3", "-c",
                     "b = b'x' * (50 * 1024 * 1024)"})
                .status() == 0);
    const auto rss = PushedValue(gateway, "pushrun_max_rss_bytes", "big");
    REQUIRE(rss.has_value());
    CHECK(*rss >= 50.0 * 1024 * 1024);
    CHECK(*rss < 1024.0 * 1024 * 1024);
  }
}

TEST_CASE("pushrun: --push-start shows the run as running until it ends", "[e2e][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  ChildProcess pushrun({PUSHRUN_BINARY, "--gateway", gateway.url(), "--job", "long", "--push-start",
                        "--", "/bin/sh", "-c", "while [ ! -e \"$D/go\" ]; do sleep 0.05; done"},
                       ProcessOptions{.env = {"D=" + dir.path}});
  CHECK(WaitUntil([&] { return PushedValue(gateway, "pushrun_running", "long") == 1; }));
  CHECK(PushedValue(gateway, "pushrun_start_timestamp_seconds", "long").has_value());
  CHECK_FALSE(PushedValue(gateway, "pushrun_exit_code", "long").has_value());
  std::ofstream(dir.path + "/go") << "";
  const auto result = pushrun.Wait();
  INFO(result.err);
  CHECK(result.status() == 0);
  CHECK(PushedValue(gateway, "pushrun_running", "long") == 0);
  CHECK(PushedValue(gateway, "pushrun_success", "long") == 1);
}

TEST_CASE("pushrun: --log-format json writes one JSON object per message", "[e2e][integration]") {
  const auto result =
      Pushrun({"--log-format", "json", "--job", "j", "--gateway",
               "http://127.0.0.1:" + std::to_string(pushrun::testing::FreeLoopbackPort()),
               "--push-deadline", "500ms", "--", "/bin/true"});
  CHECK(result.status() == 0);
  CHECK_THAT(result.err, Catch::StartsWith("{\"time\":\""));
  CHECK_THAT(result.err, Catch::Contains("\"level\":\"error\""));
}

TEST_CASE("pushrun: with the default POST a failed run keeps the last success time",
          "[e2e][integration]") {
  PushgatewayProcess gateway;
  REQUIRE(Pushrun({"--gateway", gateway.url(), "--job", "flaky", "--", "/bin/true"}).status() == 0);
  const auto success = PushedValue(gateway, "pushrun_last_success_timestamp_seconds", "flaky");
  REQUIRE(success.has_value());
  REQUIRE(Pushrun({"--gateway", gateway.url(), "--job", "flaky", "--", "/bin/false"}).status() ==
          1);
  CHECK(PushedValue(gateway, "pushrun_last_success_timestamp_seconds", "flaky") == success);
  CHECK(PushedValue(gateway, "pushrun_success", "flaky") == 0);
  SECTION("while --method put replaces the group") {
    REQUIRE(Pushrun({"--gateway", gateway.url(), "--job", "flaky", "--method", "put", "--",
                     "/bin/false"})
                .status() == 1);
    CHECK_FALSE(
        PushedValue(gateway, "pushrun_last_success_timestamp_seconds", "flaky").has_value());
  }
}

TEST_CASE("pushrun: --delete-on-success leaves no group, pushrun delete removes exactly one",
          "[e2e][integration]") {
  PushgatewayProcess gateway;
  SECTION("--delete-on-success") {
    REQUIRE(Pushrun({"--gateway", gateway.url(), "--job", "tidy", "--", "/bin/false"}).status() ==
            1);
    REQUIRE(HasGroup(gateway, "tidy"));
    CHECK(Pushrun({"--gateway", gateway.url(), "--job", "tidy", "--delete-on-success", "--",
                   "/bin/true"})
              .status() == 0);
    CHECK(WaitUntil([&] { return !HasGroup(gateway, "tidy"); }));
  }
  SECTION("pushrun delete") {
    for (const char* shard : {"shard=1", "shard=2"}) {
      REQUIRE(
          Pushrun({"--gateway", gateway.url(), "--job", "sharded", "-g", shard, "--", "/bin/true"})
              .status() == 0);
    }
    const auto result =
        Pushrun({"delete", "--gateway", gateway.url(), "--job", "sharded", "-g", "shard=1"});
    INFO(result.err);
    CHECK(result.status() == 0);
    // The gateway answers 202 and applies the deletion just after.
    CHECK(pushrun::testing::WaitUntil(
        [&] { return !HasGroup(gateway, "sharded", {"shard=\"1\""}); }));
    CHECK(HasGroup(gateway, "sharded", {"shard=\"2\""}));
  }
}

TEST_CASE("pushrun: --dry-run sends nothing and prints method, URL and body",
          "[e2e][integration]") {
  PushgatewayProcess gateway;
  const auto result = Pushrun({"--gateway", gateway.url(), "--job", "dry", "-g", "env=test",
                               "--dry-run", "--", "/bin/true"});
  CHECK(result.status() == 0);
  CHECK_THAT(result.out,
             Catch::StartsWith("POST " + gateway.url() + "/metrics/job/dry/env/test\n\n"));
  CHECK_THAT(result.out, Catch::Contains("\npushrun_exit_code 0\n"));
  CHECK_FALSE(HasGroup(gateway, "dry"));
}

TEST_CASE("pushrun: the sidecar is merged into the report, privately, and cleaned up",
          "[e2e][integration]") {
  PushgatewayProcess gateway;
  const int padding = GENERATE(0, 20'000);
  const std::string method = GENERATE(as<std::string>{}, "post", "put");
  const auto result = Pushrun({"--gateway", gateway.url(), "--job", "side", "--method", method,
                               "--", "/bin/sh", "-c",
                               "echo \"$PUSHRUN_METRICS_FILE\"; " + Padding(padding) +
                                   "echo 'demo_rows_processed 42' >> \"$PUSHRUN_METRICS_FILE\""});
  INFO(result.err);
  REQUIRE(result.status() == 0);
  CHECK(PushedValue(gateway, "demo_rows_processed", "side") == 42);
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "side") == 1);
  CHECK(PushedValue(gateway, "pushrun_success", "side") == 1);
  CHECK(gateway.Lines("pad_metric", {"job=\"side\""}).size() == static_cast<std::size_t>(padding));
  const std::string path = result.out.substr(0, result.out.find('\n'));
  REQUIRE_FALSE(path.empty());
  CHECK_FALSE(std::filesystem::exists(std::filesystem::path(path).parent_path()));
}

TEST_CASE("pushrun: --sidecar PATH is read after the run and left in place", "[e2e][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  const std::string path = dir.path + "/given.prom";
  const auto result =
      Pushrun({"--gateway", gateway.url(), "--job", "given", "--sidecar", path, "--", "/bin/sh",
               "-c", "[ \"$PUSHRUN_METRICS_FILE\" = \"$P\" ] && echo 'rows 7' > \"$P\""},
              ProcessOptions{.env = {"P=" + path}});
  INFO(result.err);
  CHECK(result.status() == 0);
  CHECK(PushedValue(gateway, "rows", "given") == 7);
  CHECK(std::filesystem::exists(path));
}

TEST_CASE("pushrun: a malformed sidecar is refused with line and column, core metrics pushed",
          "[e2e][integration]") {
  PushgatewayProcess gateway;
  // With the padding, the bad line is the last of a large sidecar, found after 20,000 good
  // lines were already converted to protobuf: none of them may reach the gateway.
  const int padding = GENERATE(0, 20'000);
  const auto result =
      Pushrun({"--gateway", gateway.url(), "--job", "badside", "--", "/bin/sh", "-c",
               Padding(padding) +
                   "printf 'good_metric 1\\nbad{ 2\\n' >> \"$PUSHRUN_METRICS_FILE\"; exit 4"});
  CHECK(result.status() == 4);
  CHECK_THAT(result.err, Catch::Contains("pushrun: error: "));
  CHECK_THAT(result.err, Catch::Contains("metrics.prom:" + std::to_string(padding + 2) + ":"));
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "badside") == 0);
  CHECK(PushedValue(gateway, "pushrun_exit_code", "badside") == 4);
  CHECK_FALSE(PushedValue(gateway, "good_metric", "badside").has_value());
  CHECK(gateway.Lines("pad_metric").empty());
}

TEST_CASE("pushrun: sidecar metrics the gateway refuses are dropped, the core report stays",
          "[e2e][integration]") {
  PushgatewayProcess gateway;
  const int padding = GENERATE(0, 20'000);
  // The gateway exposes go_goroutines as a gauge itself: a counter of that name is refused.
  const auto result =
      Pushrun({"--gateway", gateway.url(), "--job", "clash", "--", "/bin/sh", "-c",
               Padding(padding) + "printf '# TYPE go_goroutines counter\\ngo_goroutines 1\\n' "
                                  ">> \"$PUSHRUN_METRICS_FILE\""});
  INFO(result.err);
  CHECK(result.status() == 0);
  CHECK_THAT(result.err, Catch::Contains("pushrun: error: "));
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "clash") == 0);
  CHECK(PushedValue(gateway, "pushrun_success", "clash") == 1);
  CHECK(gateway.Lines("pad_metric").empty());
}

TEST_CASE("pushrun: with the gateway down the exit status is unchanged and the deadline holds",
          "[e2e][integration]") {
  const std::string url =
      "http://127.0.0.1:" + std::to_string(pushrun::testing::FreeLoopbackPort());
  SECTION("the command's status") {
    const auto result = Pushrun({"--gateway", url, "--job", "down", "--retries", "50",
                                 "--push-deadline", "1s", "--", "/bin/sh", "-c", "exit 3"});
    CHECK(result.status() == 3);
    CHECK_THAT(result.err, Catch::Contains("pushrun: error:"));
    CHECK(result.seconds < 10);  // generous bound around the 1 s deadline
  }
  SECTION("--fail-on-push-error turns a success into 125") {
    const auto result = Pushrun({"--gateway", url, "--job", "down", "--push-deadline", "1s",
                                 "--fail-on-push-error", "--", "/bin/true"});
    CHECK(result.status() == 125);
  }
}

TEST_CASE("pushrun: everything after -- belongs to the command", "[e2e][integration]") {
  const auto result = Pushrun({"--dry-run", "--job", "args", "--", "/bin/sh", "-c",
                               "echo \"$@\" >&2", "sh", "--job", "--help", "--", "-v"});
  CHECK(result.status() == 0);
  CHECK_THAT(result.err, Catch::StartsWith("--job --help -- -v\n"));
}

TEST_CASE("pushrun: usage errors exit 125 with pushrun: error:", "[e2e][integration]") {
  const std::vector<std::string> args =
      GENERATE(std::vector<std::string>{"--method", "patch", "--", "/bin/true"},
               std::vector<std::string>{"--timeout", "soon", "--", "/bin/true"},
               std::vector<std::string>{"-g", "job=x", "--", "/bin/true"},
               std::vector<std::string>{"--no-such-flag", "--", "/bin/true"},
               std::vector<std::string>{"--gateway", "ftp://x", "--", "/bin/true"},
               std::vector<std::string>{"--job", "x"});
  const auto result = Pushrun(args);
  CHECK(result.status() == 125);
  CHECK_THAT(result.err, Catch::StartsWith("pushrun: error: "));
}

TEST_CASE("pushrun: a bad --header exits 125 before the command, never echoing the value",
          "[e2e][integration]") {
  TempDir dir;
  const std::string header =
      GENERATE(as<std::string>{}, "Authorization Bearer s3cret", "X-Token: s3cret\rHost: evil",
               "Content-Length: 5", "Bad Name s3cret: x");
  CAPTURE(header);
  const std::string ran = dir.path + "/ran";
  const auto result = Pushrun(
      {"--dry-run", "--job", "h", "--header", header, "--", "/bin/sh", "-c", "touch " + ran});
  CHECK(result.status() == 125);
  CHECK_THAT(result.err, Catch::StartsWith("pushrun: error: --header"));
  CHECK_THAT(result.err, !Catch::Contains("s3cret"));
  CHECK(access(ran.c_str(), F_OK) != 0);
}

TEST_CASE("pushrun: --gateway takes the scheme in any case and refuses port 0",
          "[e2e][integration]") {
  CHECK(Pushrun({"--dry-run", "--gateway", "HTTP://127.0.0.1:9", "--job", "u", "--", "/bin/true"})
            .status() == 0);
  const auto refused =
      Pushrun({"--dry-run", "--gateway", "http://127.0.0.1:0", "--job", "u", "--", "/bin/true"});
  CHECK(refused.status() == 125);
  CHECK_THAT(refused.err, Catch::Contains("1 to 65535"));
}

TEST_CASE("pushrun: without a gateway the report goes to a textfile or stderr",
          "[e2e][integration]") {
  TempDir dir;
  SECTION("textfile") {
    REQUIRE(Pushrun({"--textfile-dir", dir.path, "--job", "tf", "-g", "db=main", "--", "/bin/true"})
                .status() == 0);
    const std::string text = ReadFile(dir.path + "/tf@db=main.prom");
    CHECK_THAT(text, Catch::Contains("pushrun_exit_code{job=\"tf\",db=\"main\"} 0\n"));
    // A later failure keeps the success time, as a POST would.
    REQUIRE(
        Pushrun({"--textfile-dir", dir.path, "--job", "tf", "-g", "db=main", "--", "/bin/false"})
            .status() == 1);
    const std::string after = ReadFile(dir.path + "/tf@db=main.prom");
    CHECK_THAT(after, Catch::Contains("pushrun_exit_code{job=\"tf\",db=\"main\"} 1\n"));
    CHECK_THAT(after, Catch::Contains("pushrun_last_success_timestamp_seconds{"));
  }
  SECTION("stderr") {
    const auto result = Pushrun({"--job", "loud", "--", "/bin/true"});
    CHECK(result.status() == 0);
    CHECK_THAT(result.err, Catch::Contains("pushrun_exit_code{job=\"loud\"} 0\n"));
  }
}

// Before, each pair wrote the same file and the second run silently replaced the first's.
TEST_CASE("pushrun: groups that differ never share a textfile", "[e2e][integration]") {
  TempDir dir;
  struct Run {
    std::vector<std::string> group;
    int status;
  };
  const std::vector<std::pair<Run, Run>> pairs = {
      {{{"--job", "a/b"}, 1}, {{"--job", "a_b"}, 2}},
      {{{"--job", "j", "-g", "v=a\"b"}, 3}, {{"--job", "j", "-g", "v=a_b"}, 4}},
      {{{"--job", "a@b=c"}, 5}, {{"--job", "a", "-g", "b=c"}, 6}},
  };
  for (const auto& [one, other] : pairs) {
    for (const Run& run : {one, other}) {
      std::vector<std::string> args{"--textfile-dir", dir.path};
      args.insert(args.end(), run.group.begin(), run.group.end());
      args.insert(args.end(), {"--", "/bin/sh", "-c", "exit " + std::to_string(run.status)});
      REQUIRE(Pushrun(args).status() == run.status);
    }
  }
  std::set<int> statuses;
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path)) {
    const std::string text = ReadFile(entry.path());
    const auto at = text.find("pushrun_exit_code{");
    REQUIRE(at != std::string::npos);
    const auto end = text.find('\n', at);
    statuses.insert(std::stoi(text.substr(text.rfind(' ', end) + 1, end)));
    ++files;
  }
  CHECK(files == 6);
  CHECK(statuses == std::set<int>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("pushrun lint: 0 for a good file, 1 with file:line:col for a bad one",
          "[e2e][integration]") {
  TempDir dir;
  const std::string good = dir.path + "/good.prom";
  const std::string bad = dir.path + "/bad.prom";
  std::ofstream(good) << "# TYPE rows gauge\nrows 1\n";
  std::ofstream(bad) << "rows 1\nother 2 1700000000\n";
  CHECK(Pushrun({"lint", good}).status() == 0);
  const auto result = Pushrun({"lint", bad});
  CHECK(result.status() == 1);
  CHECK_THAT(result.err, Catch::StartsWith(bad + ":2:9: "));
}

TEST_CASE("pushrun lint: histograms and counters are checked as the exposition format defines",
          "[e2e][integration]") {
  TempDir dir;
  const std::string file = dir.path + "/metrics.prom";
  struct Case {
    std::string content;
    std::string message;
  };
  const std::string histogram = "# TYPE h histogram\n";
  const Case bad = GENERATE_COPY(
      Case{"# TYPE c_total counter\nc_total -2\n", ":2:1: counter \"c_total\" is negative (-2)"},
      Case{histogram + "h_bucket{le=\"1\"} 1\nh_count 1\n",
           ":2:1: histogram \"h\" has no le=\"+Inf\""},
      Case{histogram + "h_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n",
           ":3:1: histogram \"h\" is not cumulative"},
      Case{histogram + "h_bucket{le=\"1\"} -1\nh_bucket{le=\"+Inf\"} 0\nh_count 0\n",
           ":2:1: histogram bucket of \"h\" is negative"},
      Case{histogram + "h_bucket{le=\"+Inf\"} 3\nh_count 4\n",
           ":3:1: histogram \"h\": _count (4) differs from the le=\"+Inf\" bucket (3)"});
  CAPTURE(bad.content);
  std::ofstream(file) << bad.content;
  const auto result = Pushrun({"lint", file});
  CHECK(result.status() == 1);
  CHECK_THAT(result.err, Catch::StartsWith(file + bad.message));
}

#endif  // PUSHRUN_BINARY
