#include "pushrun/config/describe.h"

#include <catch2/catch.hpp>
#include <string>

#include "pushrun/config/loader.h"
#include "pushrun/config/settings.h"

namespace pushrun::config {
namespace {

TEST_CASE("DescribeSettings: secrets are shown as <set>, never their value",
          "[config][describe][secrets]") {
  Layer layer;
  layer.gateways = std::vector<std::string>{"https://gw.example:9091/prefix"};
  layer.job = "backup";
  layer.grouping = {{"env", "prod"}};
  layer.command = std::vector<std::string>{"/bin/backup", "--full"};
  SECTION("basic auth") {
    layer.username = "ops";
    layer.password = "pa55-SECRET";
  }
  SECTION("bearer token") { layer.bearer_token = "tok-SECRET"; }
  SECTION("secret-looking headers") {
    layer.headers = {
        {"X-Api-Key", "key-SECRET"}, {"X-Auth-Token", "hdr-SECRET"}, {"X-Team", "ops"}};
  }
  const std::string text = DescribeSettings(Resolve({&layer}));
  CAPTURE(text);
  CHECK_THAT(text, !Catch::Contains("SECRET"));
  CHECK_THAT(text, Catch::Contains("gateway.url = \"https://gw.example:9091/prefix\"\n"));
  CHECK_THAT(text, Catch::Contains("job = \"backup\"\n"));
  CHECK_THAT(text, Catch::Contains("grouping = { \"env\" = \"prod\" }\n"));
  CHECK_THAT(text, Catch::Contains("command = [\"/bin/backup\", \"--full\"]\n"));
  if (layer.password) CHECK_THAT(text, Catch::Contains("gateway.password = \"<set>\""));
  if (layer.bearer_token) CHECK_THAT(text, Catch::Contains("gateway.bearer_token = \"<set>\""));
  if (!layer.headers.empty()) CHECK_THAT(text, Catch::Contains("\"X-Team\" = \"ops\""));
}

TEST_CASE("DescribeSettings: durations and signals read like the config file",
          "[config][describe]") {
  Layer layer;
  layer.timeout = Duration{5'400'000};
  layer.timeout_signal = 2;
  const std::string text = DescribeSettings(Resolve({&layer}));
  CHECK_THAT(text, Catch::Contains("timeout = \"1h30m\"\n"));
  CHECK_THAT(text, Catch::Contains("timeout_signal = \"INT\"\n"));
  CHECK_THAT(text, Catch::Contains("kill_after = \"10s\"\n"));
  CHECK_THAT(text, Catch::Contains("gateway.password = \"\"\n"));
}

}  // namespace
}  // namespace pushrun::config

namespace pushrun::config {
namespace {

TEST_CASE("DescribeFleet: every job, resolved over flags and environment, without secrets",
          "[config][describe][secrets]") {
  const FleetConfig fleet = ParseConfig(
      "[gateway]\nurl = \"http://127.0.0.1:9091\"\nbearer_token_env = \"TOK\"\n"
      "[jobs.a]\ncommand = [\"true\"]\n[jobs.b]\ntimeout = \"5s\"\n",
      "f.toml", [](const char* name) -> const char* {
        return std::string(name) == "TOK" ? "tok-SECRET" : nullptr;
      });
  Layer flags;
  flags.grouping = {{"from", "flags"}};
  const std::string text = DescribeFleet(fleet, flags, Layer{});
  CHECK_THAT(text,
             Catch::Contains("[jobs.a]\ngateway.url = \"http://127.0.0.1:9091\"\njob = \"a\""));
  CHECK_THAT(text, Catch::Contains("[jobs.b]\n# no command: usable as --job b -- COMMAND"));
  CHECK_THAT(text, Catch::Contains("timeout = \"5s\""));
  CHECK_THAT(text, Catch::Contains("grouping = { \"from\" = \"flags\" }"));
  CHECK_THAT(text, Catch::Contains("gateway.bearer_token = \"<set>\""));
  CHECK_THAT(text, !Catch::Contains("SECRET"));
}

}  // namespace
}  // namespace pushrun::config
