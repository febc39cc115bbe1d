// Config files through the pushrun binary: run JOB, jobs, check, precedence across flags,
// environment and file, and secrets against a real Pushgateway with basic auth.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "support/pushgateway_process.h"
#include "support/run_process.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::ProcessOptions;
using pushrun::testing::ProcessResult;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::RunProcess;

// Every variable of the environment table, so the caller's settings never leak in.
const std::vector<std::string> kPushrunVariables = {"PUSHRUN_CONFIG",
                                                    "PUSHRUN_GATEWAY",
                                                    "PUSHRUN_JOB",
                                                    "PUSHRUN_GROUPING",
                                                    "PUSHRUN_METHOD",
                                                    "PUSHRUN_TIMEOUT",
                                                    "PUSHRUN_TEXTFILE_DIR",
                                                    "PUSHRUN_SPOOL_DIR",
                                                    "PUSHRUN_PREFIX",
                                                    "PUSHRUN_USERNAME",
                                                    "PUSHRUN_PASSWORD_FILE",
                                                    "PUSHRUN_PASSWORD_ENV",
                                                    "PUSHRUN_BEARER_TOKEN_FILE",
                                                    "PUSHRUN_BEARER_TOKEN_ENV",
                                                    "PUSHRUN_RETRIES",
                                                    "PUSHRUN_FAIL_ON_PUSH_ERROR"};

ProcessResult Pushrun(const std::vector<std::string>& args, ProcessOptions options = {}) {
  std::vector<std::string> argv{PUSHRUN_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  options.unset_env.insert(options.unset_env.end(), kPushrunVariables.begin(),
                           kPushrunVariables.end());
  return RunProcess(argv, options);
}

struct ConfigDir {
  ConfigDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "pushrun_config_e2e.XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~ConfigDir() { std::filesystem::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    const std::string file = path + "/" + name;
    std::ofstream(file) << text;
    ::chmod(file.c_str(), mode);
    return file;
  }
  std::string path;
};

std::optional<double> Value(const PushgatewayProcess& gateway, const std::string& name,
                            const std::vector<std::string>& fragments) {
  const auto lines = gateway.Lines(name, fragments);
  if (lines.size() != 1) return std::nullopt;
  return std::stod(lines[0].substr(lines[0].rfind(' ') + 1));
}

TEST_CASE("pushrun run JOB: two jobs of one file, each under its own grouping",
          "[e2e][config][integration]") {
  PushgatewayProcess gateway;
  ConfigDir dir;
  const std::string fleet = dir.Write("fleet.toml", R"([gateway]
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

  CHECK(Value(gateway, "pushrun_exit_code", {"job=\"alpha\"", "env=\"test\"", "shard=\"1\""}) == 0);
  CHECK(Value(gateway, "pushrun_exit_code", {"job=\"bee\"", "env=\"test\"", "shard=\"2\""}) == 3);
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
    CHECK(Value(gateway, "pushrun_exit_code", {"job=\"alpha\"", "env=\"ci\"", "shard=\"9\""}) == 0);
  }
  SECTION("--job NAME wraps an ad-hoc command with the table NAME") {
    const ProcessResult adhoc =
        Pushrun({"-c", fleet, "--job", "beta", "--", "/bin/sh", "-c", "exit 5"});
    CHECK(adhoc.status() == 5);
    // The table says job = "bee", but the flag names the job: flags win.
    CHECK(Value(gateway, "pushrun_exit_code", {"job=\"beta\"", "shard=\"2\""}) == 5);
  }
}

TEST_CASE("pushrun check and run refuse a bad file with file:line:col and exit 125",
          "[e2e][config][integration]") {
  ConfigDir dir;
  const std::string marker = dir.path + "/ran";
  const std::string bad = dir.Write(
      "bad.toml", "[jobs.a]\ncommand = [\"touch\", \"" + marker + "\"]\ntimeout = \"5 minutes\"\n");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"-c", bad, "check"}, {"-c", bad, "run", "a"}}) {
    const ProcessResult result = Pushrun(args);
    CHECK(result.status() == 125);
    CHECK_THAT(result.err, Catch::Contains("pushrun: error: " + bad + ":3:11: jobs.a.timeout: "));
  }
  CHECK_FALSE(std::filesystem::exists(marker));

  SECTION("a job without a command") {
    const std::string none = dir.Write("none.toml", "[jobs.a]\ntimeout = \"5s\"\n");
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
  ConfigDir dir;
  // bcrypt (cost 4) of "pushrun-test-password", as in the metrics integration tests.
  const std::string password = "pushrun-test-password";
  const std::string web_config = dir.Write(
      "web.yml",
      "basic_auth_users:\n  alice: $2b$04$5P4PKW15znLVqyOoFnCnfuFxNrjDhrETCzpTiZRLbX/DGgEUtSp.m\n");
  PushgatewayProcess::Options gateway_options;
  gateway_options.web_config_file = web_config;
  PushgatewayProcess gateway(gateway_options);

  const std::string head = "[gateway]\nurl = \"" + gateway.url() + "\"\nusername = \"alice\"\n";
  const std::string jobs =
      "[defaults]\nfail_on_push_error = true\n[jobs.ok]\ncommand = [\"/bin/true\"]\n";
  std::string fleet;
  std::vector<std::string> env;
  SECTION("password_file") {
    const std::string secret = dir.Write("password", password + "\n", 0600);
    fleet = dir.Write("fleet.toml", head + "password_file = \"password\"\n" + jobs);
  }
  SECTION("password_env") {
    fleet = dir.Write("fleet.toml", head + "password_env = \"PGW_PASSWORD\"\n" + jobs);
    env.push_back("PGW_PASSWORD=" + password);
  }
  SECTION("PUSHRUN_PASSWORD_FILE") {
    const std::string secret = dir.Write("password", password, 0600);
    fleet = dir.Write("fleet.toml", head + jobs);
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
  ConfigDir dir;
  const std::string web_config = dir.Write(
      "web.yml",
      "basic_auth_users:\n  alice: $2b$04$5P4PKW15znLVqyOoFnCnfuFxNrjDhrETCzpTiZRLbX/DGgEUtSp.m\n");
  PushgatewayProcess::Options gateway_options;
  gateway_options.web_config_file = web_config;
  PushgatewayProcess gateway(gateway_options);
  dir.Write("password", "wrong-SECRET-password\n", 0644);
  const std::string fleet = dir.Write(
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

#endif  // PUSHRUN_BINARY
