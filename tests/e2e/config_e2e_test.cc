// Config files through the pushrun binary: run JOB, jobs, check, precedence across flags,
// environment and file, and secrets against a real Pushgateway with basic auth.

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/fault_server.h"
#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::FaultServer;
using pushrun::testing::ProcessOptions;
using pushrun::testing::ProcessResult;
using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::Pushrun;
using pushrun::testing::TempDir;

// A gateway that wants basic auth from alice with "pushrun-test-password" (bcrypt cost 4, as in
// the metrics integration tests); its web config is written to `dir`.
PushgatewayProcess::Options BasicAuthGateway(const TempDir& dir) {
  PushgatewayProcess::Options options;
  options.web_config_file = dir.File(
      "web.yml",
      "basic_auth_users:\n  alice: $2b$04$5P4PKW15znLVqyOoFnCnfuFxNrjDhrETCzpTiZRLbX/DGgEUtSp.m\n");
  return options;
}

TEST_CASE("pushrun run JOB: two jobs of one file, each under its own grouping",
          "[e2e][config][integration]") {
  PushgatewayProcess gateway;
  TempDir dir;
  const std::string fleet = dir.File("fleet.toml", R"([gateway]
url = ")" + gateway.url() + R"("

[defaults]
grouping = { env = "test", shard = "0" }

[jobs.alpha]
command = ["/bin/sh", "-c", "exit 0"]
grouping = { shard = "1" }

[jobs.beta]
job = "bee"
command = ["/bin/sh", "-c", "exit \"$0\""]
grouping = { shard = "2" }
)");
  const ProcessResult alpha = Pushrun({"-c", fleet, "run", "alpha"});
  INFO(alpha.err);
  CHECK(alpha.status() == 0);
  // Extra arguments after -- are appended to the job's command: $0 = 3.
  const ProcessResult beta = Pushrun({"-c", fleet, "run", "beta", "--", "3"});
  INFO(beta.err);
  CHECK(beta.status() == 3);

  CHECK(PushedValue(gateway, "pushrun_exit_code", "alpha", {"env=\"test\"", "shard=\"1\""}) == 0);
  CHECK(PushedValue(gateway, "pushrun_exit_code", "bee", {"env=\"test\"", "shard=\"2\""}) == 3);
  CHECK(gateway.Lines("pushrun_exit_code", {"shard=\"0\""}).empty());

  SECTION("jobs lists them") {
    const ProcessResult jobs = Pushrun({"-c", fleet, "jobs"});
    CHECK(jobs.status() == 0);
    CHECK(jobs.out == "alpha\nbeta\n");
  }
  SECTION("PUSHRUN_CONFIG names the file, flags and environment still win") {
    const ProcessResult again =
        Pushrun({"run", "alpha", "-g", "shard=9"},
                ProcessOptions{.env = {"PUSHRUN_CONFIG=" + fleet, "PUSHRUN_GROUPING=env=ci"}});
    INFO(again.err);
    CHECK(again.status() == 0);
    CHECK(PushedValue(gateway, "pushrun_exit_code", "alpha", {"env=\"ci\"", "shard=\"9\""}) == 0);
  }
  SECTION("--job NAME wraps an ad-hoc command with the table NAME") {
    const ProcessResult adhoc =
        Pushrun({"-c", fleet, "--job", "beta", "--", "/bin/sh", "-c", "exit 5"});
    CHECK(adhoc.status() == 5);
    // The table says job = "bee", but the flag names the job: flags win.
    CHECK(PushedValue(gateway, "pushrun_exit_code", "beta", {"shard=\"2\""}) == 5);
  }
}

TEST_CASE("pushrun check and run refuse a bad file with file:line:col and exit 125",
          "[e2e][config][integration]") {
  TempDir dir;
  const std::string marker = dir.path + "/ran";
  const std::string bad = dir.File(
      "bad.toml", "[jobs.a]\ncommand = [\"touch\", \"" + marker + "\"]\ntimeout = \"5 minutes\"\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"-c", bad, "check"}, {"-c", bad, "run", "a"}}) {
    const ProcessResult result = Pushrun(args);
    CHECK(result.status() == 125);
    CHECK_THAT(result.err, Catch::Contains("pushrun: error: " + bad + ":3:11: jobs.a.timeout: "));
  }
  CHECK_FALSE(std::filesystem::exists(marker));

  SECTION("a job without a command") {
    const std::string none = dir.File("none.toml", "[jobs.a]\ntimeout = \"5s\"\n");
    const ProcessResult result = Pushrun({"-c", none, "run", "a"});
    CHECK(result.status() == 125);
    CHECK_THAT(result.err, Catch::Contains(none + ":1:1: jobs.a.command: "));
  }
  SECTION("run without a config file") { CHECK(Pushrun({"run", "a"}).status() == 125); }
}

TEST_CASE("pushrun check accepts packaging/fleet.example.toml", "[e2e][config][integration]") {
  const std::string example = PUSHRUN_SOURCE_DIR "/packaging/fleet.example.toml";
  const ProcessResult result = Pushrun({"-c", example, "check"},
                                       ProcessOptions{.env = {"PUSHGATEWAY_TOKEN=example-SECRET"}});
  INFO(result.err);
  CHECK(result.status() == 0);
  CHECK(result.err.empty());
  CHECK_THAT(result.out, Catch::Contains("[jobs.nightly_backup]"));
  CHECK_THAT(result.out, Catch::Contains("gateway.bearer_token = \"<set>\""));
  CHECK_THAT(result.out, !Catch::Contains("SECRET"));
}

TEST_CASE("Secrets from a file and from the environment reach the gateway and no output",
          "[e2e][config][secrets][integration]") {
  TempDir dir;
  const std::string password = "pushrun-test-password";
  PushgatewayProcess gateway(BasicAuthGateway(dir));

  const std::string head = "[gateway]\nurl = \"" + gateway.url() + "\"\nusername = \"alice\"\n";
  const std::string jobs =
      "[defaults]\nfail_on_push_error = true\n[jobs.ok]\ncommand = [\"/bin/true\"]\n";
  std::string fleet;
  std::vector<std::string> env;
  SECTION("password_file") {
    const std::string secret = dir.File("password", password + "\n", 0600);
    fleet = dir.File("fleet.toml", head + "password_file = \"password\"\n" + jobs);
  }
  SECTION("password_env") {
    fleet = dir.File("fleet.toml", head + "password_env = \"PGW_PASSWORD\"\n" + jobs);
    env.push_back("PGW_PASSWORD=" + password);
  }
  SECTION("PUSHRUN_PASSWORD_FILE") {
    const std::string secret = dir.File("password", password, 0600);
    fleet = dir.File("fleet.toml", head + jobs);
    env.push_back("PUSHRUN_PASSWORD_FILE=" + secret);
  }

  // The push is accepted (a 401 would make --fail-on-push-error exit 125).
  const ProcessResult run = Pushrun({"-c", fleet, "-vv", "run", "ok"}, ProcessOptions{.env = env});
  INFO(run.err);
  CHECK(run.status() == 0);
  CHECK_THAT(run.out + run.err, !Catch::Contains(password));

  const ProcessResult check = Pushrun({"-c", fleet, "check"}, ProcessOptions{.env = env});
  CHECK(check.status() == 0);
  CHECK_THAT(check.out, Catch::Contains("gateway.password = \"<set>\""));
  CHECK_THAT(check.out + check.err, !Catch::Contains(password));

  const ProcessResult dry =
      Pushrun({"-c", fleet, "--dry-run", "-vv", "run", "ok"}, ProcessOptions{.env = env});
  CHECK(dry.status() == 0);
  CHECK_THAT(dry.out + dry.err, !Catch::Contains(password));
}

TEST_CASE("A wrong password fails the push without showing it; a readable secret file warns",
          "[e2e][config][secrets][integration]") {
  TempDir dir;
  PushgatewayProcess gateway(BasicAuthGateway(dir));
  dir.File("password", "wrong-SECRET-password\n", 0644);
  const std::string fleet = dir.File(
      "fleet.toml", "[gateway]\nurl = \"" + gateway.url() +
                        "\"\nusername = \"alice\"\npassword_file = \"password\"\n"
                        "[jobs.ok]\ncommand = [\"/bin/true\"]\nfail_on_push_error = true\n");
  const ProcessResult run = Pushrun({"-c", fleet, "-vv", "run", "ok"});
  INFO(run.err);
  CHECK(run.status() == 125);
  CHECK_THAT(run.err, Catch::Contains("pushrun: warning: ") &&
                          Catch::Contains("readable by group or others"));
  CHECK_THAT(run.err, Catch::Contains("401"));
  CHECK_THAT(run.out + run.err, !Catch::Contains("SECRET"));
}

}  // namespace

TEST_CASE("A job on another gateway gets none of [gateway]'s credentials, and pushrun says why",
          "[e2e][config][integration]") {
  FaultServer other({pushrun::testing::ScriptedResponse::Status(200)});
  TempDir dir;
  const std::string token = dir.File("token", "tok-for-the-main-gateway\n", 0600);
  const std::string fleet = dir.File("fleet.toml", R"([gateway]
url = "http://127.0.0.1:1"
bearer_token_file = ")" + token + R"("

[jobs.elsewhere]
command = ["/bin/true"]

[jobs.elsewhere.gateway]
url = ")" + other.url() + R"("
)");
  const ProcessResult run = Pushrun({"-c", fleet, "run", "elsewhere"});
  INFO(run.err);
  CHECK(run.status() == 0);
  REQUIRE(other.request_count() == 1);
  CHECK(other.requests()[0].Header("authorization").empty());
  CHECK_THAT(run.err, Catch::Contains("pushrun: warning: "));
  CHECK_THAT(run.err, Catch::Contains("bearer"));
  CHECK_THAT(run.err, !Catch::Contains("tok-for-the-main-gateway"));
}

#endif  // PUSHRUN_BINARY
