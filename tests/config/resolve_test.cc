// The precedence matrix: for each setting and each combination of layers that set it, the
// most important one wins (flags > environment > job table > [defaults] > built-in).
// The environment layer and the file layers go through their real parsers.

#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <string>

#include "first_gateway.h"
#include "pushrun/config/environment.h"
#include "pushrun/config/fleet.h"
#include "pushrun/config/loader.h"
#include "pushrun/config/settings.h"

using pushrun::config::testing::FirstGateway;
using pushrun::config::testing::FirstGatewayUrl;
namespace pushrun::config {
namespace {

enum LayerIndex { kFlags = 0, kEnvironment = 1, kJob = 2, kDefaults = 3 };
constexpr const char* kLayerNames[] = {"flags", "environment", "job", "defaults"};

// How one setting is written in each layer, and read back from Settings.
struct Setting {
  const char* name;
  std::function<void(Layer& flags, const std::string& value)> set_flag;
  const char* env_variable;
  std::function<std::string(const std::string& value)> env_value;
  // TOML line(s) for the value; for the defaults layer of gateway keys, a [gateway] line.
  std::function<std::string(const std::string& value, bool defaults)> toml;
  std::function<std::string(const Settings&)> read;
  std::string values[4];  // per layer
  std::string built_in;
};

std::vector<Setting> Settings_() {
  return {
      {"gateway URL",
       [](Layer& l, const std::string& v) { l.gateways = std::vector<std::string>{v}; },
       "PUSHRUN_GATEWAY",
       [](const std::string& v) { return v; },
       [](const std::string& v, bool defaults) {
         return defaults ? "[gateway]\nurl = \"" + v + "\"\n" : "gateway = \"" + v + "\"\n";
       },
       [](const Settings& s) { return FirstGatewayUrl(s); },
       {"http://flag:9091", "http://env:9091", "http://job:9091", "http://defaults:9091"},
       ""},
      {"job name",
       [](Layer& l, const std::string& v) { l.job = v; },
       "PUSHRUN_JOB",
       [](const std::string& v) { return v; },
       [](const std::string& v, bool) { return "job = \"" + v + "\"\n"; },
       [](const Settings& s) { return s.job; },
       {"flag_job", "env_job", "job_job", "defaults_job"},
       "the_table"},  // without a job key, the table's name
      {"method",
       [](Layer& l, const std::string& v) {
         l.method = v == "put" ? PushMethod::kPut : PushMethod::kPost;
       },
       "PUSHRUN_METHOD",
       [](const std::string& v) { return v; },
       [](const std::string& v, bool) { return "method = \"" + v + "\"\n"; },
       [](const Settings& s) { return std::string(s.method == PushMethod::kPut ? "put" : "post"); },
       {"put", "post", "put", "post"},
       "post"},
      {"timeout",
       [](Layer& l, const std::string& v) { l.timeout = Duration{std::stoll(v)}; },
       "PUSHRUN_TIMEOUT",
       [](const std::string& v) { return v + "ms"; },
       [](const std::string& v, bool) { return "timeout = \"" + v + "ms\"\n"; },
       [](const Settings& s) { return std::to_string(s.timeout.count()); },
       {"1000", "2000", "3000", "4000"},
       "0"},
      {"push deadline",
       [](Layer& l, const std::string& v) { l.push_deadline = Duration{std::stoll(v)}; },
       "PUSHRUN_PUSH_DEADLINE",
       [](const std::string& v) { return v + "ms"; },
       [](const std::string& v, bool defaults) {
         return defaults ? "[gateway]\ndeadline = \"" + v + "ms\"\n"
                         : "gateway = { deadline = \"" + v + "ms\" }\n";
       },
       [](const Settings& s) {
         // Settings::push_deadline and the client's retry deadline always agree.
         // (read from the receiver the harness always adds: it has the run's deadline too)
         return s.targets.back().push.retry.deadline == s.push_deadline
                    ? std::to_string(s.push_deadline.count())
                    : std::string("mismatch");
       },
       {"1000", "2000", "3000", "4000"},
       "10000"},
      {"retries",
       [](Layer& l, const std::string& v) { l.retries = std::stoi(v); },
       "PUSHRUN_RETRIES",
       [](const std::string& v) { return v; },
       [](const std::string& v, bool defaults) {
         return defaults ? "[gateway]\nretries = " + v + "\n"
                         : "gateway = { retries = " + v + " }\n";
       },
       [](const Settings& s) { return std::to_string(s.targets.back().push.retry.max_retries); },
       {"1", "2", "3", "4"},
       "0"},
  };
}

std::string TomlFor(const std::string& defaults_part, const std::string& job_part) {
  // [gateway] lines must come before [defaults]; a defaults part may start with [gateway].
  std::string toml;
  if (defaults_part.starts_with("[gateway]")) {
    toml += defaults_part + "[defaults]\n";
  } else {
    toml += "[defaults]\n" + defaults_part;
  }
  toml += "[jobs.the_table]\ncommand = [\"/bin/true\"]\n" + job_part;
  return toml;
}

TEST_CASE("Precedence: flags > environment > job table > [defaults] > built-in",
          "[config][precedence]") {
  const std::vector<Setting> settings = Settings_();
  const std::size_t which = GENERATE_COPY(range<std::size_t>(0, settings.size()));
  const int mask = GENERATE(range(0, 16));  // bit i: layer i sets the value
  const Setting& setting = settings[which];
  std::string layers_set;
  for (int i = 0; i < 4; ++i) {
    if (mask & (1 << i)) layers_set += std::string(layers_set.empty() ? "" : "+") + kLayerNames[i];
  }
  CAPTURE(setting.name, layers_set);

  Layer flags;
  if (mask & (1 << kFlags)) setting.set_flag(flags, setting.values[kFlags]);
  // A receiver in every case, so that the client settings (deadline, retries) have a target
  // to be read from whether or not a gateway is set.
  std::map<std::string, std::string> variables{
      {"PUSHRUN_REMOTE_WRITE", "http://receiver:9090/api/v1/write"}};
  if (mask & (1 << kEnvironment)) {
    variables[setting.env_variable] = setting.env_value(setting.values[kEnvironment]);
  }
  const EnvironmentSettings environment =
      EnvironmentLayer([&variables](const char* name) -> const char* {
        const auto it = variables.find(name);
        return it == variables.end() ? nullptr : it->second.c_str();
      });
  const std::string toml =
      TomlFor((mask & (1 << kDefaults)) ? setting.toml(setting.values[kDefaults], true) : "",
              (mask & (1 << kJob)) ? setting.toml(setting.values[kJob], false) : "");
  CAPTURE(toml);
  const FleetConfig fleet = ParseConfig(toml, "fleet.toml", [](const char*) { return nullptr; });
  const Settings resolved = ResolveRun(flags, environment.layer, fleet, "the_table", {});

  std::string expected = setting.built_in;
  for (int i = 3; i >= 0; --i) {
    if (mask & (1 << i)) expected = setting.values[i];
  }
  CHECK(setting.read(resolved) == expected);
}

TEST_CASE("Precedence: groupings merge key by key in precedence order", "[config][precedence]") {
  const int mask = GENERATE(range(0, 16));
  CAPTURE(mask);
  // Each layer sets the shared key "who" and a key of its own.
  Layer flags;
  if (mask & 1) flags.grouping = {{"who", "flags"}, {"from_flags", "1"}};
  std::map<std::string, std::string> variables;
  if (mask & 2) variables["PUSHRUN_GROUPING"] = "who=environment,from_environment=1";
  const EnvironmentSettings environment =
      EnvironmentLayer([&variables](const char* name) -> const char* {
        const auto it = variables.find(name);
        return it == variables.end() ? nullptr : it->second.c_str();
      });
  const std::string toml =
      TomlFor((mask & 8) ? "grouping = { who = \"defaults\", from_defaults = \"1\" }\n" : "",
              (mask & 4) ? "grouping = { who = \"job\", from_job = \"1\" }\n" : "");
  const FleetConfig fleet = ParseConfig(toml, "fleet.toml", [](const char*) { return nullptr; });
  const Settings resolved = ResolveRun(flags, environment.layer, fleet, "the_table", {});

  std::map<std::string, std::string> expected;
  for (int i = 3; i >= 0; --i) {
    if (mask & (1 << i)) {
      expected["who"] = kLayerNames[i];
      expected[std::string("from_") + kLayerNames[i]] = "1";
    }
  }
  CHECK(resolved.grouping == expected);
}

TEST_CASE("Precedence: headers merge key by key", "[config][precedence]") {
  Layer flags, job, defaults;
  flags.gateways = std::vector<std::string>{"http://gw:9091"};
  flags.headers = {{"X-A", "flags"}};
  job.headers = {{"X-A", "job"}, {"X-B", "job"}};
  defaults.headers = {{"X-B", "defaults"}, {"X-C", "defaults"}};
  const Settings s = Resolve({&flags, &job, &defaults});
  CHECK(FirstGateway(s).push.headers ==
        metrics::Headers{{"X-A", "flags"}, {"X-B", "job"}, {"X-C", "defaults"}});
}

TEST_CASE("Resolve: built-in defaults, and the job name from the command's base name",
          "[config][precedence]") {
  const Settings defaults = Resolve({});
  CHECK(FirstGatewayUrl(defaults).empty());
  CHECK(defaults.job.empty());
  CHECK(defaults.method == PushMethod::kPost);
  CHECK(defaults.kill_after == std::chrono::seconds(10));
  CHECK(defaults.timeout_signal == 15);
  CHECK(defaults.prefix == "pushrun");
  CHECK(defaults.targets.empty());
  Layer gateway;
  gateway.gateways = std::vector<std::string>{"http://gw:9091"};
  const Settings with_gateway = Resolve({&gateway});
  CHECK(FirstGateway(with_gateway).push.retry.deadline == with_gateway.push_deadline);
  CHECK_FALSE(FirstGateway(with_gateway).push.basic_auth.has_value());

  Layer flags;
  flags.command = std::vector<std::string>{"/usr/local/bin/backup", "--full"};
  CHECK(Resolve({&flags}).job == "backup");
}

TEST_CASE("Resolve: a password without a username is an error", "[config][precedence]") {
  Layer layer;
  layer.password = "x";
  CHECK_THROWS_AS(Resolve({&layer}), ConfigError);
  layer.username = "u";
  layer.gateways = std::vector<std::string>{"http://gw:9091"};
  CHECK(FirstGateway(Resolve({&layer})).push.basic_auth->password == "x");
}

}  // namespace
}  // namespace pushrun::config
