#include "pushrun/config/environment.h"

#include <catch2/catch.hpp>
#include <map>
#include <set>
#include <string>

#include "pushrun/config/error.h"
#include "support/temp_dir.h"

namespace pushrun::config {
namespace {

EnvironmentSettings FromMap(const std::map<std::string, std::string>& variables) {
  return EnvironmentLayer([&variables](const char* name) -> const char* {
    const auto it = variables.find(name);
    return it == variables.end() ? nullptr : it->second.c_str();
  });
}

TEST_CASE("Environment: PUSHRUN_* variables fill the environment layer", "[config][env]") {
  const EnvironmentSettings env = FromMap({
      {"PUSHRUN_CONFIG", "/etc/pushrun/fleet.toml"},
      {"PUSHRUN_GATEWAY", "http://127.0.0.1:9091"},
      {"PUSHRUN_JOB", "backup"},
      {"PUSHRUN_GROUPING", "env=prod,db=main,empty="},
      {"PUSHRUN_METHOD", "PUT"},
      {"PUSHRUN_TIMEOUT", "1h30m"},
      {"PUSHRUN_KILL_AFTER", "5s"},
      {"PUSHRUN_TIMEOUT_SIGNAL", "SIGINT"},
      {"PUSHRUN_TEXTFILE_DIR", "/var/lib/textfiles"},
      {"PUSHRUN_SPOOL_DIR", "/var/spool/pushrun"},
      {"PUSHRUN_PREFIX", "batch"},
      {"PUSHRUN_FAIL_ON_PUSH_ERROR", "yes"},
      {"PUSHRUN_PUSH_DEADLINE", "20s"},
      {"PUSHRUN_RETRIES", "4"},
      {"PUSHRUN_GZIP", "0"},
      {"PUSHRUN_JOB_UNRELATED", "ignored"},
      {"PUSHRUN_LOCK_FILE", ""},  // empty: says nothing
  });
  CHECK(env.config_path == "/etc/pushrun/fleet.toml");
  CHECK(env.layer.gateways == std::vector<std::string>{"http://127.0.0.1:9091"});
  CHECK(env.layer.job == "backup");
  CHECK(env.layer.grouping ==
        std::map<std::string, std::string>{{"db", "main"}, {"empty", ""}, {"env", "prod"}});
  CHECK(env.layer.method == PushMethod::kPut);
  CHECK(env.layer.timeout == std::chrono::minutes(90));
  CHECK(env.layer.kill_after == std::chrono::seconds(5));
  CHECK(env.layer.timeout_signal == 2);
  CHECK(env.layer.textfile_dir == "/var/lib/textfiles");
  CHECK(env.layer.spool_dir == "/var/spool/pushrun");
  CHECK(env.layer.prefix == "batch");
  CHECK(env.layer.fail_on_push_error == true);
  CHECK(env.layer.push_deadline == std::chrono::seconds(20));
  CHECK(env.layer.retries == 4);
  CHECK(env.layer.gzip == false);
  CHECK_FALSE(env.layer.lock_file.has_value());
  CHECK(env.warnings.empty());
}

TEST_CASE("Environment: a bad value is an error naming the variable", "[config][env]") {
  struct Case {
    const char* variable;
    const char* value;
    const char* message;
  };
  const Case c = GENERATE(values<Case>({
      {"PUSHRUN_GATEWAY", "pushgateway:9091", "http:// or https://"},
      {"PUSHRUN_GROUPING", "env", "missing '='"},
      {"PUSHRUN_GROUPING", "job=x", "\"job\" cannot be a grouping label"},
      {"PUSHRUN_GROUPING", "__x=1", "bad grouping label name"},
      {"PUSHRUN_METHOD", "patch", "(allowed: post, put)"},
      {"PUSHRUN_TIMEOUT", "5", "missing unit"},
      {"PUSHRUN_KILL_AFTER", "-1s", "negative"},
      {"PUSHRUN_TIMEOUT_SIGNAL", "NOPE", "unknown signal"},
      {"PUSHRUN_RETRIES", "many", "not a whole number"},
      {"PUSHRUN_RETRIES", "101", "out of range"},
      {"PUSHRUN_FAIL_ON_PUSH_ERROR", "maybe", "not a boolean"},
      {"PUSHRUN_BEARER_TOKEN_FILE", "/nonexistent/token", "No such file"},
      {"PUSHRUN_PASSWORD_ENV", "PUSHRUN_TEST_UNSET", "PUSHRUN_TEST_UNSET is unset"},
  }));
  CAPTURE(c.variable, c.value);
  try {
    FromMap({{c.variable, c.value}});
    FAIL("accepted");
  } catch (const ConfigError& error) {
    CHECK(error.key_path() == c.variable);
    CHECK_THAT(error.what(), Catch::StartsWith(std::string(c.variable) + ": "));
    CHECK_THAT(error.what(), Catch::Contains(c.message));
  }
}

TEST_CASE("Environment: secrets from a file named by a variable, with the permission warning",
          "[config][env][secrets]") {
  pushrun::testing::TempDir dir;
  const std::string token = dir.File("token", "tok-env-file\n", 0644);
  const EnvironmentSettings env = FromMap({{"PUSHRUN_BEARER_TOKEN_FILE", token}});
  CHECK(env.layer.bearer_token == "tok-env-file");
  REQUIRE(env.warnings.size() == 1);
  CHECK_THAT(env.warnings[0], Catch::StartsWith("PUSHRUN_BEARER_TOKEN_FILE: "));
  CHECK_THAT(env.warnings[0], !Catch::Contains("tok-env-file"));
}

TEST_CASE("Environment: PUSHRUN_KEEP_ENV sets keep_env; *_ENV secrets name their variable",
          "[config][env]") {
  const EnvironmentSettings env = FromMap({{"PUSHRUN_KEEP_ENV", "yes"},
                                           {"PUSHRUN_BEARER_TOKEN_ENV", "GW_TOKEN"},
                                           {"GW_TOKEN", "tok"},
                                           {"PUSHRUN_PASSWORD_ENV", "GW_PASSWORD"},
                                           {"GW_PASSWORD", "pw"}});
  CHECK(env.layer.keep_env == true);
  CHECK_THAT(env.layer.credential_env,
             Catch::UnorderedEquals(std::vector<std::string>{"GW_PASSWORD", "GW_TOKEN"}));
}

TEST_CASE("Environment: the table lists each variable once, all PUSHRUN_*", "[config][env]") {
  std::set<std::string_view> names;
  for (const EnvironmentVariable& variable : EnvironmentVariables()) {
    CAPTURE(variable.name);
    CHECK(variable.name.starts_with("PUSHRUN_"));
    CHECK_FALSE(variable.description.empty());
    CHECK(names.insert(variable.name).second);
  }
  CHECK(names.count("PUSHRUN_CONFIG") == 1);
  CHECK(names.count("PUSHRUN_GATEWAY") == 1);
  CHECK(names.count("PUSHRUN_PUSH_DEADLINE") == 1);
}

}  // namespace
}  // namespace pushrun::config
