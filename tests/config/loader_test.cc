#include "pushrun/config/loader.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "first_gateway.h"
#include "pushrun/config/describe.h"
#include "pushrun/config/error.h"
#include "pushrun/config/fleet.h"
#include "support/temp_dir.h"

using pushrun::config::testing::FirstGateway;
using pushrun::config::testing::FirstGatewayUrl;
namespace pushrun::config {
namespace {

GetEnv FakeEnvironment(std::map<std::string, std::string> variables) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(variables));
  return [shared](const char* name) -> const char* {
    const auto it = shared->find(name);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
}

const Layer kNoLayer;

TEST_CASE("Config file: packaging/fleet.example.toml loads cleanly", "[config][loader]") {
  const FleetConfig fleet = LoadConfig(PUSHRUN_SOURCE_DIR "/packaging/fleet.example.toml",
                                       FakeEnvironment({{"PUSHGATEWAY_TOKEN", "example-token"}}));
  CHECK(fleet.warnings.empty());
  CHECK(JobNames(fleet) ==
        std::vector<std::string>{"db_vacuum", "log_rotate", "nightly_backup", "report_export"});
  for (const std::string& name : JobNames(fleet)) {
    CAPTURE(name);
    const Settings settings = ResolveRun(kNoLayer, kNoLayer, fleet, name, {});
    CHECK_FALSE(settings.command.empty());
    CHECK(FirstGateway(settings).push.bearer_token == "example-token");
    CHECK(settings.warnings.empty());  // report_export sets its own gateway's token
    CHECK(settings.grouping.at("env") == "prod");
  }
  const Settings vacuum = ResolveRun(kNoLayer, kNoLayer, fleet, "db_vacuum", {});
  CHECK(vacuum.job == "postgres_vacuum");
  CHECK(vacuum.method == PushMethod::kPut);
  CHECK(vacuum.grouping == std::map<std::string, std::string>{
                               {"db", "replica"}, {"env", "prod"}, {"region", "eu-central"}});
  const Settings backup = ResolveRun(kNoLayer, kNoLayer, fleet, "nightly_backup", {});
  CHECK(backup.job == "nightly_backup");
  CHECK(backup.timeout == std::chrono::hours(2));
  CHECK(backup.kill_after == std::chrono::seconds(30));
  CHECK(FirstGatewayUrl(backup) == "https://pushgateway.example.internal:9091");
  CHECK(FirstGateway(backup).push.retry.max_retries == 3);
  CHECK(FirstGateway(backup).push.retry.deadline == std::chrono::seconds(20));
  CHECK(backup.push_deadline == std::chrono::seconds(20));
  CHECK(FirstGateway(backup).push.timeout == std::chrono::seconds(5));
  CHECK(FirstGateway(backup).push.gzip);
  CHECK(FirstGateway(backup).push.headers == metrics::Headers{{"X-Scope-OrgID", "batch"}});
  const Settings report = ResolveRun(kNoLayer, kNoLayer, fleet, "report_export", {});
  CHECK(FirstGatewayUrl(report) == "http://pushgateway-reports.example.internal:9091");
  CHECK(FirstGateway(report).push.retry.max_retries == 1);
  CHECK(FirstGateway(report).push.timeout == std::chrono::seconds(5));
  CHECK(report.timeout == std::chrono::minutes(90));
}

TEST_CASE("Config file: every wrapper setting can be set in a job table", "[config][loader]") {
  pushrun::testing::TempDir dir;
  const std::string token = dir.File("token", "tok-123\n", 0600);
  const std::string toml = R"(
[jobs.all]
job = "pushed_name"
command = ["/bin/echo", "hi"]
grouping = { a = "1", b = "" }
method = "put"
delete_on_success = true
push_start = true
timeout = "1m"
kill_after = "5s"
timeout_signal = 2
sidecar = "side.prom"
sidecar_max_bytes = 1024
max_series = 10
textfile_dir = "/var/lib/textfiles"
fail_on_push_error = true
prefix = "batch"
spool_dir = "spool"
lock_file = "/run/lock/all"
[jobs.all.gateway]
url = "http://127.0.0.1:9091/prefix"
timeout = "2s"
connect_timeout = "1s"
deadline = "30s"
retries = 2
headers = { X-Team = "ops" }
bearer_token_file = "token"
ca_file = "/etc/ca.pem"
cert_file = "client.pem"
key_file = "client.key"
insecure_skip_verify = true
proxy = "http://proxy:3128"
gzip = true
)";
  const std::string path = dir.File("fleet.toml", toml);
  const FleetConfig fleet = LoadConfig(path, FakeEnvironment({}));
  CHECK(fleet.warnings.empty());
  const Settings s = ResolveRun(kNoLayer, kNoLayer, fleet, "all", {"--extra", "x"});
  CHECK(s.job == "pushed_name");
  CHECK(s.command == std::vector<std::string>{"/bin/echo", "hi", "--extra", "x"});
  CHECK(s.grouping == std::map<std::string, std::string>{{"a", "1"}, {"b", ""}});
  CHECK(s.method == PushMethod::kPut);
  CHECK(s.delete_on_success);
  CHECK(s.push_start);
  CHECK(s.timeout == std::chrono::minutes(1));
  CHECK(s.kill_after == std::chrono::seconds(5));
  CHECK(s.timeout_signal == 2);
  CHECK(s.sidecar == dir.path + "/side.prom");  // relative to the config file
  CHECK(s.sidecar_max_bytes == 1024);
  CHECK(s.max_series == 10);
  CHECK(s.textfile_dir == "/var/lib/textfiles");
  CHECK(s.fail_on_push_error);
  CHECK(s.prefix == "batch");
  CHECK(s.spool_dir == dir.path + "/spool");
  CHECK(s.lock_file == "/run/lock/all");
  CHECK(FirstGatewayUrl(s) == "http://127.0.0.1:9091/prefix");
  CHECK(FirstGateway(s).push.timeout == std::chrono::seconds(2));
  CHECK(FirstGateway(s).push.connect_timeout == std::chrono::seconds(1));
  CHECK(s.push_deadline == std::chrono::seconds(30));
  CHECK(FirstGateway(s).push.retry.deadline == std::chrono::seconds(30));
  CHECK(FirstGateway(s).push.retry.max_retries == 2);
  CHECK(FirstGateway(s).push.headers == metrics::Headers{{"X-Team", "ops"}});
  CHECK(FirstGateway(s).push.bearer_token == "tok-123");
  CHECK_FALSE(FirstGateway(s).push.basic_auth.has_value());
  CHECK(FirstGateway(s).push.tls.ca_file == "/etc/ca.pem");
  CHECK(FirstGateway(s).push.tls.cert_file == dir.path + "/client.pem");
  CHECK(FirstGateway(s).push.tls.key_file == dir.path + "/client.key");
  CHECK(FirstGateway(s).push.tls.insecure_skip_verify);
  CHECK(FirstGateway(s).push.proxy == "http://proxy:3128");
  CHECK(FirstGateway(s).push.gzip);
}

TEST_CASE("Config file: the job name defaults to the table name, the URL may be a string",
          "[config][loader]") {
  const FleetConfig fleet =
      ParseConfig("[jobs.nightly]\ncommand = [\"true\"]\ngateway = \"http://127.0.0.1:9091\"\n",
                  "fleet.toml", FakeEnvironment({}));
  const Settings s = ResolveRun(kNoLayer, kNoLayer, fleet, "nightly", {});
  CHECK(s.job == "nightly");
  CHECK(FirstGatewayUrl(s) == "http://127.0.0.1:9091");
}

TEST_CASE("Config file: secrets come from files and environment variables",
          "[config][loader][secrets]") {
  pushrun::testing::TempDir dir;
  SECTION("basic auth password from a 0600 file: no warning") {
    const std::string file = dir.File("pw", "s3cret\n", 0600);
    const FleetConfig fleet =
        ParseConfig("[gateway]\nurl = \"http://gw:9091\"\nusername = \"ops\"\npassword_file = \"" +
                        file + "\"\n",
                    "f.toml", FakeEnvironment({}));
    CHECK(fleet.warnings.empty());
    const Settings s = Resolve(LayersFor(kNoLayer, kNoLayer, &fleet, nullptr));
    REQUIRE(FirstGateway(s).push.basic_auth.has_value());
    CHECK(FirstGateway(s).push.basic_auth->username == "ops");
    CHECK(FirstGateway(s).push.basic_auth->password == "s3cret");
  }
  SECTION("a secret file readable by others draws a warning naming the file, not the secret") {
    const std::string file = dir.File("token", "tok-0644", 0644);
    const FleetConfig fleet = ParseConfig("[gateway]\nbearer_token_file = \"" + file + "\"\n",
                                          "f.toml", FakeEnvironment({}));
    REQUIRE(fleet.warnings.size() == 1);
    CHECK_THAT(fleet.warnings[0], Catch::StartsWith("f.toml:2:21: gateway.bearer_token_file: "));
    CHECK_THAT(fleet.warnings[0], Catch::Contains(file) && Catch::Contains("readable by group"));
    CHECK_THAT(fleet.warnings[0], !Catch::Contains("tok-0644"));
  }
  SECTION("a group-readable secret of our own group (a Kubernetes fsGroup mount): no warning") {
    const std::string file = dir.File("token", "tok-0440", 0440);
    const FleetConfig fleet = ParseConfig("[gateway]\nbearer_token_file = \"" + file + "\"\n",
                                          "f.toml", FakeEnvironment({}));
    CHECK(fleet.warnings.empty());
  }
  SECTION("a secret readable by a group we are not in draws a warning") {
    const std::string file = dir.File("token", "tok-0640", 0640);
    // A group this process is not a member of (root may chown to any).
    if (::getuid() == 0 && ::chown(file.c_str(), static_cast<uid_t>(-1), 65534) == 0) {
      const FleetConfig fleet = ParseConfig("[gateway]\nbearer_token_file = \"" + file + "\"\n",
                                            "f.toml", FakeEnvironment({}));
      CHECK(fleet.warnings.size() == 1);
    } else {
      WARN("not root: cannot give the file a foreign group; case not checked");
    }
  }
  SECTION("bearer token from an environment variable") {
    const FleetConfig fleet =
        ParseConfig("[gateway]\nurl = \"http://gw:9091\"\nbearer_token_env = \"MY_TOKEN\"\n",
                    "f.toml", FakeEnvironment({{"MY_TOKEN", "tok-env"}}));
    const Settings s = Resolve(LayersFor(kNoLayer, kNoLayer, &fleet, nullptr));
    CHECK(FirstGateway(s).push.bearer_token == "tok-env");
    CHECK(s.credential_env == std::vector<std::string>{"MY_TOKEN"});  // kept from the command
  }
  SECTION("every credential variable of the file is kept from every job's command") {
    const FleetConfig fleet = ParseConfig(
        "[gateway]\nbearer_token_env = \"TOK\"\n"
        "[jobs.a]\ncommand = [\"true\"]\nkeep_env = true\n"
        "[jobs.b]\ncommand = [\"true\"]\ngateway = { url = \"http://other:9091\", "
        "bearer_token_env = \"B_PW\" }\n",
        "f.toml", FakeEnvironment({{"TOK", "t"}, {"B_PW", "p"}}));
    const Settings a = ResolveRun(kNoLayer, kNoLayer, fleet, "a", {});
    CHECK(a.keep_env);
    CHECK_THAT(a.credential_env, Catch::UnorderedEquals(std::vector<std::string>{"TOK", "B_PW"}));
    const Settings b = ResolveRun(kNoLayer, kNoLayer, fleet, "b", {});
    CHECK_FALSE(b.keep_env);
    CHECK_THAT(b.credential_env, Catch::UnorderedEquals(std::vector<std::string>{"TOK", "B_PW"}));
  }
  SECTION("an empty secret file is an error") {
    const std::string file = dir.File("empty", "\n", 0600);
    CHECK_THROWS_WITH(
        ParseConfig("[gateway]\nbearer_token_file = \"" + file + "\"\n", "f.toml",
                    FakeEnvironment({})),
        Catch::Contains("f.toml:2:21: gateway.bearer_token_file: ") && Catch::Contains("empty"));
  }
  SECTION("two sources for one secret are an error") {
    const std::string file = dir.File("pw", "x", 0600);
    CHECK_THROWS_WITH(
        ParseConfig("[gateway]\nusername = \"u\"\npassword_file = \"" + file +
                        "\"\npassword_env = \"PW\"\n",
                    "f.toml", FakeEnvironment({{"PW", "y"}})),
        Catch::Contains("gateway.password_") && Catch::Contains("this secret is already set"));
  }
  SECTION("basic auth and a bearer token together are an error at the job") {
    const FleetConfig fleet = ParseConfig(
        "[gateway]\nusername = \"u\"\npassword_env = \"PW\"\n"
        "[jobs.a]\ncommand = [\"true\"]\ngateway = { bearer_token_env = \"TOK\" }\n",
        "f.toml", FakeEnvironment({{"PW", "y"}, {"TOK", "z"}}));
    CHECK_THROWS_WITH(ResolveRun(kNoLayer, kNoLayer, fleet, "a", {}),
                      Catch::StartsWith("f.toml:4:1: jobs.a.bearer_token: "));
  }
}

TEST_CASE("Config file: run needs a known job with a command", "[config][loader]") {
  const FleetConfig fleet =
      ParseConfig("[defaults]\ngrouping = { env = \"x\" }\n\n[jobs.adhoc]\ntimeout = \"5s\"\n",
                  "f.toml", FakeEnvironment({}));
  SECTION("a job without a command is reported at its table") {
    try {
      ResolveRun(kNoLayer, kNoLayer, fleet, "adhoc", {});
      FAIL("ran a job without a command");
    } catch (const ConfigError& error) {
      CHECK(error.line() == 4);
      CHECK(error.key_path() == "jobs.adhoc.command");
      CHECK_THAT(error.what(), Catch::Contains("no command"));
    }
  }
  SECTION("an unknown job lists the known ones") {
    CHECK_THROWS_WITH(ResolveRun(kNoLayer, kNoLayer, fleet, "nope", {}),
                      Catch::Contains("no job \"nope\"") && Catch::Contains("allowed: adhoc"));
  }
  SECTION("the job's settings apply to an ad-hoc command given by flags") {
    Layer flags;
    flags.command = std::vector<std::string>{"/bin/true"};
    const Settings s = ResolveJob(flags, kNoLayer, fleet, FindJob(fleet, "adhoc"));
    CHECK(s.command == std::vector<std::string>{"/bin/true"});
    CHECK(s.job == "adhoc");
    CHECK(s.timeout == std::chrono::seconds(5));
    CHECK(s.grouping.at("env") == "x");
  }
}

}  // namespace
}  // namespace pushrun::config

namespace pushrun::config {
namespace {

TEST_CASE("Ad-hoc commands: --job NAME picks the table NAME when the file has one",
          "[config][loader]") {
  const FleetConfig fleet =
      ParseConfig("[defaults]\ntimeout = \"1s\"\n[jobs.nightly]\ntimeout = \"2h\"\n", "f.toml",
                  [](const char*) -> const char* { return nullptr; });
  Layer flags;
  flags.command = std::vector<std::string>{"/bin/true"};
  SECTION("a table of that name") {
    flags.job = "nightly";
    CHECK(ResolveAdHoc(flags, Layer{}, &fleet).timeout == std::chrono::hours(2));
  }
  SECTION("the environment's job name, when no flag gives one") {
    Layer environment;
    environment.job = "nightly";
    CHECK(ResolveAdHoc(flags, environment, &fleet).timeout == std::chrono::hours(2));
  }
  SECTION("no such table: only [defaults]") {
    flags.job = "other";
    const Settings s = ResolveAdHoc(flags, Layer{}, &fleet);
    CHECK(s.timeout == std::chrono::seconds(1));
    CHECK(s.job == "other");
  }
  SECTION("no job name: the command's base name, and [defaults]") {
    const Settings s = ResolveAdHoc(flags, Layer{}, &fleet);
    CHECK(s.timeout == std::chrono::seconds(1));
    CHECK(s.job == "true");
  }
  SECTION("no file") { CHECK(ResolveAdHoc(flags, Layer{}, nullptr).timeout == Duration{0}); }
}

}  // namespace
}  // namespace pushrun::config
