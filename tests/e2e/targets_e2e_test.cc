// Several targets through the pushrun binary: what `pushrun check` shows of each, and the
// refusals (exit 125) that come before the command starts.

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::ProcessOptions;
using pushrun::testing::ProcessResult;
using pushrun::testing::Pushrun;
using pushrun::testing::TempDir;

TEST_CASE("pushrun check: every target with its kind, URL and own credentials as <set>",
          "[e2e][config][targets]") {
  TempDir dir;
  const std::string token = dir.File("rw-token", "rw-SECRET-token\n", 0600);
  const std::string fleet = dir.File("fleet.toml", R"([gateway]
url = ["http://127.0.0.1:9", "http://127.0.0.1:10"]
bearer_token_env = "GW_TOKEN"

[[remote_write]]
url = "http://127.0.0.1:11/api/v1/write"
bearer_token_file = "rw-token"
headers = { X-Scope-OrgID = "team-a" }

[jobs.backup]
command = ["/bin/true"]
)");
  ProcessOptions options;
  options.env = {"GW_TOKEN=gw-SECRET-token"};
  SECTION("from the file") {
    const ProcessResult result = Pushrun({"-c", fleet, "check"}, options);
    INFO(result.err);
    REQUIRE(result.status() == 0);
    CHECK_THAT(result.out, !Catch::Contains("SECRET"));
    CHECK_THAT(
        result.out,
        Catch::Contains("gateway.url = [\"http://127.0.0.1:9\", \"http://127.0.0.1:10\"]\n"));
    CHECK_THAT(result.out,
               Catch::Contains("targets = [\n"
                               "  { kind = \"pushgateway\", url = \"http://127.0.0.1:9\", "
                               "bearer_token = \"<set>\" },\n"
                               "  { kind = \"pushgateway\", url = \"http://127.0.0.1:10\", "
                               "bearer_token = \"<set>\" },\n"
                               "  { kind = \"remote_write\", url = "
                               "\"http://127.0.0.1:11/api/v1/write\", headers = { "
                               "\"X-Scope-OrgID\" = \"team-a\" }, bearer_token = \"<set>\" },\n"
                               "]\n"));
  }
  SECTION("flags replace the file's lists, in the order given") {
    const ProcessResult result =
        Pushrun({"-c", fleet, "--remote-write", "http://127.0.0.1:12/write", "--gateway",
                 "http://127.0.0.1:9", "--remote-write", "http://127.0.0.1:13/write", "check"},
                options);
    INFO(result.err);
    REQUIRE(result.status() == 0);
    CHECK_THAT(result.out, !Catch::Contains("SECRET"));
    // The first gateway is the file's too, so its token stays; the flags' receivers have none.
    CHECK_THAT(result.out, Catch::Contains("targets = [\n"
                                           "  { kind = \"pushgateway\", url = "
                                           "\"http://127.0.0.1:9\", bearer_token = \"<set>\" },\n"
                                           "  { kind = \"remote_write\", url = "
                                           "\"http://127.0.0.1:12/write\" },\n"
                                           "  { kind = \"remote_write\", url = "
                                           "\"http://127.0.0.1:13/write\" },\n"
                                           "]\n"));
  }
}

TEST_CASE("pushrun: --delete-on-success with only remote write exits 125 before the command",
          "[e2e][config][targets]") {
  TempDir dir;
  const std::string marker = dir.path + "/ran";
  ProcessOptions options;
  std::vector<std::string> args = {"--delete-on-success"};
  SECTION("--remote-write") {
    args.insert(args.end(), {"--remote-write", "http://127.0.0.1:9/api/v1/write"});
  }
  SECTION("PUSHRUN_REMOTE_WRITE") {
    options.env.push_back("PUSHRUN_REMOTE_WRITE=http://127.0.0.1:9/api/v1/write");
  }
  args.insert(args.end(), {"--", "/bin/sh", "-c", "touch " + marker});
  const ProcessResult result = Pushrun(args, options);
  CHECK(result.status() == 125);
  CHECK_FALSE(std::filesystem::exists(marker));
  CHECK_THAT(result.err, Catch::Contains("pushrun: error: delete_on_success: "));
  CHECK_THAT(result.err, Catch::Contains("every target is a remote-write receiver"));
  CHECK_THAT(result.err, Catch::Contains("add a Pushgateway"));
}

TEST_CASE("pushrun: a remote-write URL with credentials exits 125 without echoing them",
          "[e2e][config][targets][secrets]") {
  TempDir dir;
  const std::string marker = dir.path + "/ran";
  const std::string url = "http://writer:hunter2@127.0.0.1:9/api/v1/write";
  ProcessOptions options;
  std::vector<std::string> args;
  std::string named;
  SECTION("flag") {
    args = {"--remote-write", "http://127.0.0.1:9/api/v1/write", "--remote-write", url};
    named = "pushrun: error: --remote-write: ";
  }
  SECTION("environment") {
    options.env.push_back("PUSHRUN_REMOTE_WRITE=http://127.0.0.1:9/write " + url);
    named = "pushrun: error: PUSHRUN_REMOTE_WRITE: URL 2 of the list: ";
  }
  SECTION("config file") {
    const std::string fleet = dir.File("fleet.toml", "[[remote_write]]\nurl = \"" + url + "\"\n");
    args = {"-c", fleet};
    named = "pushrun: error: " + fleet + ":2:7: remote_write[0].url: ";
  }
  args.insert(args.end(), {"--", "/bin/sh", "-c", "touch " + marker});
  const ProcessResult result = Pushrun(args, options);
  CHECK(result.status() == 125);
  CHECK_FALSE(std::filesystem::exists(marker));
  CHECK_THAT(result.err, Catch::Contains(named));
  CHECK_THAT(result.err, !Catch::Contains("hunter2"));
}

}  // namespace

#endif  // PUSHRUN_BINARY
