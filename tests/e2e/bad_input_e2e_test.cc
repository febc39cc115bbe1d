// The pushrun binary with hostile sidecars: the error is one clear line, the command's status
// is kept, the core report still reaches the gateway (sidecar_valid 0), and a 1 GiB file is
// refused without being read into memory.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::ProcessResult;
using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::Pushrun;

// The gateway holds no group at all (every group gets push_time_seconds).
bool GatewayIsEmpty(const PushgatewayProcess& gateway) {
  return gateway.Lines("push_time_seconds").empty();
}

std::size_t CountLines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("pushrun (bad input): a 1 GiB sidecar is refused in small memory, core report pushed",
          "[e2e][bad-input][integration]") {
  PushgatewayProcess gateway;
  // The outer pushrun measures the inner one: its report's max RSS is the inner's peak.
  const ProcessResult result =
      Pushrun({"--gateway", gateway.url(), "--job", "outer", "--", PUSHRUN_BINARY, "--gateway",
               gateway.url(), "--job", "huge", "--", "/bin/sh", "-c",
               "truncate -s 1G \"$PUSHRUN_METRICS_FILE\"; exit 4"});
  CHECK(result.status() == 4);
  CHECK_THAT(result.err, Catch::Contains("sidecar refused: "));
  CHECK_THAT(result.err,
             Catch::Contains(": 1073741824 bytes, larger than the limit of 16777216 bytes"));
  CHECK(PushedValue(gateway, "pushrun_exit_code", "huge") == 4.0);
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "huge") == 0.0);
  const auto rss = PushedValue(gateway, "pushrun_max_rss_bytes", "outer");
  REQUIRE(rss.has_value());
  // Far below the 1 GiB the file would take if read. AddressSanitizer's shadow memory and
  // quarantine add some tens of MiB to any process, so its builds get more room.
#ifdef __SANITIZE_ADDRESS__
  constexpr double kBound = 128.0 * 1024 * 1024;
#else
  constexpr double kBound = 64.0 * 1024 * 1024;
#endif
  CHECK(*rss < kBound);
}

TEST_CASE("pushrun (bad input): hostile sidecars give one error line and the core report",
          "[e2e][bad-input][integration]") {
  PushgatewayProcess gateway;
  const std::string script = GENERATE(
      as<std::string>{},
      "head -c 65536 /dev/urandom",                      // binary garbage
      "printf 'a 1\\000\\n'",                            // a NUL byte
      "head -c 1048576 /dev/zero | tr '\\000' n; echo",  // a 1 MB line
      "printf 'x{'; for i in $(seq 2000); do printf 'a=\"1\",'; done; echo '} 1'",  // repeats
      "printf 'x{l=\"\\377\\376\"} 1\\n'",                                          // invalid UTF-8
      "printf 'a 1\\nb 1\\nc 1\\nd 1\\n'");  // over --max-series 3
  CAPTURE(script);
  const ProcessResult result =
      Pushrun({"--gateway", gateway.url(), "--job", "hostile", "--max-series", "3", "--", "/bin/sh",
               "-c", "{ " + script + "; } > \"$PUSHRUN_METRICS_FILE\"; exit 9"});
  CHECK(result.status() == 9);
  CHECK_THAT(result.err, Catch::StartsWith("pushrun: error: sidecar refused: "));
  CHECK(CountLines(result.err) == 1);
  CHECK(result.err.size() < 512);
  CHECK(PushedValue(gateway, "pushrun_exit_code", "hostile") == 9.0);
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "hostile") == 0.0);
}

// A group that is not UTF-8 is answered 400 by the gateway, which keeps it anyway and then
// fails every scrape of its /metrics page: pushrun refuses it before the command starts.
TEST_CASE("pushrun (bad input): a job or grouping value that is not UTF-8 exits 125, runs nothing",
          "[e2e][bad-input][integration]") {
  PushgatewayProcess gateway;
  pushrun::testing::TempDir dir;
  const std::string marker = dir.path + "/ran";
  std::vector<std::string> args{"--gateway", gateway.url()};
  std::string expected;
  SECTION("a job name") {
    args.insert(args.end(), {"--job", "backup\xff"});
    expected = "job name \"backup\\xff\" is not UTF-8";
  }
  SECTION("a grouping value") {
    args.insert(args.end(), {"--job", "backup", "-g", "path=\xc0\xaf"});
    expected = "grouping label path's value \"\\xc0\\xaf\" is not UTF-8";
  }
  args.insert(args.end(), {"--", "/bin/sh", "-c", "touch " + marker});
  const ProcessResult result = Pushrun(args);
  CHECK(result.status() == 125);
  CHECK_THAT(result.err, Catch::Contains(expected));
  CHECK_FALSE(std::filesystem::exists(marker));
  CHECK(GatewayIsEmpty(gateway));
}

TEST_CASE("pushrun (bad input): a command whose base name is no job name asks for --job",
          "[e2e][bad-input][integration]") {
  PushgatewayProcess gateway;
  pushrun::testing::TempDir dir;
  std::string command;
  std::string expected;
  SECTION("-- / (an empty base name)") {
    command = "/";
    expected = "the command's base name \"\" is not usable as a job name (it is empty): pass --job";
  }
  SECTION("a base name that is not UTF-8") {
    command = dir.path + "/run\xff";
    std::filesystem::create_symlink("/bin/true", command);
    expected =
        "the command's base name \"run\\xff\" is not usable as a job name (it is not "
        "UTF-8): pass --job";
  }
  const ProcessResult result = Pushrun({"--gateway", gateway.url(), "--", command});
  CHECK(result.status() == 125);
  CHECK_THAT(result.err, Catch::Contains(expected));
  CHECK(GatewayIsEmpty(gateway));
}

TEST_CASE(
    "pushrun (bad input): a command that swaps its private folder for a symlink reads "
    "and deletes nothing outside it",
    "[e2e][bad-input][integration]") {
  PushgatewayProcess gateway;
  pushrun::testing::TempDir tmpdir;
  pushrun::testing::TempDir other;
  const std::string victim = other.path + "/metrics.prom";
  std::ofstream(victim) << "# TYPE stolen gauge\nstolen 1\n";
  const ProcessResult result = Pushrun(
      {"--gateway", gateway.url(), "--job", "swap", "--", "/bin/sh", "-c",
       "d=$(dirname \"$PUSHRUN_METRICS_FILE\"); mv \"$d\" \"$d.moved\" && ln -s \"$0\" \"$d\"; "
       "exit 6",
       other.path},
      {.env = {"TMPDIR=" + tmpdir.path}, .unset_env = {}});
  CHECK(result.status() == 6);
  CHECK_THAT(result.err, Catch::Contains("the private directory was replaced by a symbolic link"));
  CHECK(pushrun::testing::ReadFile(victim) == "# TYPE stolen gauge\nstolen 1\n");
  CHECK(PushedValue(gateway, "pushrun_exit_code", "swap") == 6.0);
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "swap") == 0.0);
  CHECK(gateway.Lines("stolen").empty());
}

// The fuzzer checks the parser on millions of inputs but cannot ask a server about each: the
// seeds it starts from, where `pushrun lint` accepts them, must be accepted by the real gateway
// too, as a sidecar of a run.
TEST_CASE("pushrun (bad input): every corpus file lint accepts, the real gateway accepts too",
          "[e2e][bad-input][integration]") {
  PushgatewayProcess gateway;
  std::size_t accepted = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(PUSHRUN_SOURCE_DIR "/tests/fuzz/corpus/parser")) {
    const std::string file = entry.path().string();
    CAPTURE(file);
    if (Pushrun({"lint", file}).status() != 0) continue;
    ++accepted;
    const std::string job = "corpus_" + entry.path().stem().string();
    const ProcessResult run = Pushrun({"--gateway", gateway.url(), "--job", job, "--", "/bin/sh",
                                       "-c", "cat \"$0\" > \"$PUSHRUN_METRICS_FILE\"", file});
    CHECK(run.status() == 0);
    CHECK(run.err.empty());
    CHECK(PushedValue(gateway, "pushrun_sidecar_valid", job) == 1.0);
    // The gateway took the push: it never recorded a failed one for the group.
    CHECK(PushedValue(gateway, "push_failure_time_seconds", job) == 0.0);
  }
  CHECK(accepted >= 3);
}

#endif  // PUSHRUN_BINARY
