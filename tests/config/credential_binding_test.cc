// Credentials are bound to the gateway URL they were set with: a job, a flag or an environment
// variable that points pushrun at another gateway must not carry [gateway]'s credentials there.

#include <catch2/catch.hpp>
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

constexpr const char* kToken = "s3cret-token-value";
constexpr const char* kPassword = "s3cret-password";

// Secrets come from these variables (bearer_token_env, password_env, PUSHRUN_*_ENV).
const std::map<std::string, std::string> kSecrets = {{"PGW_TOKEN", kToken},
                                                     {"PGW_PASSWORD", kPassword}};

GetEnv FakeEnvironment(std::map<std::string, std::string> variables) {
  variables.insert(kSecrets.begin(), kSecrets.end());
  return [variables = std::move(variables)](const char* name) -> const char* {
    const auto it = variables.find(name);
    return it == variables.end() ? nullptr : it->second.c_str();
  };
}

struct Run {
  Layer flags;
  std::map<std::string, std::string> environment;
  std::string toml;

  Settings Resolve() const {
    const GetEnv getenv = FakeEnvironment(environment);
    const FleetConfig fleet = ParseConfig(toml, "fleet.toml", getenv);
    return ResolveRun(flags, EnvironmentLayer(getenv).layer, fleet, "backup", {});
  }
};

const std::string kGatewayWithToken =
    "[gateway]\n"
    "url = \"https://pgw-a.example:9091\"\n"
    "bearer_token_env = \"PGW_TOKEN\"\n"
    "ca_file = \"/etc/ssl/private-ca.pem\"\n";

std::string Job(const std::string& lines = "") {
  return "[jobs.backup]\ncommand = [\"/bin/true\"]\n" + lines;
}

void CheckNoSecretIn(const Settings& s) {
  for (const std::string& warning : s.warnings) {
    CHECK_THAT(warning, !Catch::Contains(kToken));
    CHECK_THAT(warning, !Catch::Contains(kPassword));
  }
}

TEST_CASE("Credentials: a job that points at another gateway does not get [gateway]'s token",
          "[config][credentials]") {
  Run run;
  run.toml = kGatewayWithToken + Job("gateway = \"https://pgw-b.example:9091\"\n");
  const Settings s = run.Resolve();
  CHECK(FirstGatewayUrl(s) == "https://pgw-b.example:9091");
  CHECK(FirstGateway(s).push.bearer_token.empty());
  REQUIRE(s.warnings.size() == 1);
  const std::string& warning = s.warnings[0];
  CHECK_THAT(warning, Catch::Contains("https://pgw-b.example:9091 comes from [jobs.backup]"));
  CHECK_THAT(warning,
             Catch::Contains("bearer token (set in [gateway] for https://pgw-a.example:9091)"));
  CHECK_THAT(warning, Catch::Contains("bearer_token_file (or bearer_token_env) in the job's "
                                      "gateway table, [jobs.backup] gateway = {"));
  CheckNoSecretIn(s);
  // The CA file is not a secret: it only decides whom to trust, so it still applies.
  CHECK(FirstGateway(s).push.tls.ca_file == "/etc/ssl/private-ca.pem");
}

TEST_CASE("Credentials: a URL from the environment or a flag does not get [gateway]'s token",
          "[config][credentials]") {
  Run run;
  run.toml = kGatewayWithToken + Job();
  std::string advice;
  SECTION("PUSHRUN_GATEWAY") {
    run.environment["PUSHRUN_GATEWAY"] = "http://127.0.0.1:9091";
    advice =
        "set PUSHRUN_BEARER_TOKEN_FILE (or PUSHRUN_BEARER_TOKEN_ENV) together with "
        "PUSHRUN_GATEWAY";
  }
  SECTION("--gateway") {
    run.flags.gateways = std::vector<std::string>{"http://127.0.0.1:9091"};
    advice = "give --bearer-token-file together with --gateway";
  }
  const Settings s = run.Resolve();
  CHECK(FirstGatewayUrl(s) == "http://127.0.0.1:9091");
  CHECK(FirstGateway(s).push.bearer_token.empty());
  REQUIRE(s.warnings.size() == 1);
  CHECK_THAT(s.warnings[0], Catch::Contains(advice));
  CheckNoSecretIn(s);
}

TEST_CASE("Credentials: the same gateway given again keeps them", "[config][credentials]") {
  Run run;
  const std::string same = GENERATE(as<std::string>{}, "https://pgw-a.example:9091",
                                    "https://PGW-A.example:9091/", "https://pgw-a.example:9091//");
  CAPTURE(same);
  SECTION("in the job's table") {
    run.toml = kGatewayWithToken + Job("gateway = \"" + same + "\"\n");
  }
  SECTION("in the environment") {
    run.toml = kGatewayWithToken + Job();
    run.environment["PUSHRUN_GATEWAY"] = same;
  }
  SECTION("as a flag") {
    run.toml = kGatewayWithToken + Job();
    run.flags.gateways = std::vector<std::string>{same};
  }
  const Settings s = run.Resolve();
  CHECK(FirstGateway(s).push.bearer_token == kToken);
  CHECK(s.warnings.empty());
}

TEST_CASE("Credentials: the default port is the same gateway", "[config][credentials]") {
  Layer flags, file;
  file.gateways = std::vector<std::string>{"https://gw.example"};
  file.bearer_token = "t";
  flags.gateways = std::vector<std::string>{"https://gw.example:443"};
  CHECK(FirstGateway(Resolve({&flags, &file})).push.bearer_token == "t");
  flags.gateways =
      std::vector<std::string>{"http://gw.example:443"};  // another scheme: another gateway
  CHECK(FirstGateway(Resolve({&flags, &file})).push.bearer_token.empty());
}

TEST_CASE("Credentials: set together with the overriding URL (or later), they apply",
          "[config][credentials]") {
  Run run;
  SECTION("in the job's gateway table") {
    run.toml = kGatewayWithToken +
               Job("gateway = { url = \"https://pgw-b.example\", bearer_token_env = \"PGW_TOKEN\" "
                   "}\n");
  }
  SECTION("in the environment, for a job's URL") {
    run.toml = kGatewayWithToken + Job("gateway = \"https://pgw-b.example\"\n");
    run.environment["PUSHRUN_BEARER_TOKEN_ENV"] = "PGW_TOKEN";
  }
  SECTION("as flags") {
    run.toml = kGatewayWithToken + Job();
    run.flags.gateways = std::vector<std::string>{"https://pgw-b.example"};
    run.flags.bearer_token = kToken;
  }
  const Settings s = run.Resolve();
  CHECK(FirstGatewayUrl(s) == "https://pgw-b.example");
  CHECK(FirstGateway(s).push.bearer_token == kToken);
  CHECK(s.warnings.empty());
}

TEST_CASE("Credentials: set where no URL is in effect, they go to whichever URL applies",
          "[config][credentials]") {
  Run run;
  run.toml = "[gateway]\nbearer_token_env = \"PGW_TOKEN\"\n" +
             Job("gateway = \"https://pgw-b.example\"\n");
  const Settings s = run.Resolve();
  CHECK(FirstGateway(s).push.bearer_token == kToken);
  CHECK(s.warnings.empty());
}

TEST_CASE("Credentials: basic auth and client certificates are bound too, each as a whole",
          "[config][credentials]") {
  Run run;
  run.toml =
      "[gateway]\n"
      "url = \"https://pgw-a.example\"\n"
      "username = \"pusher\"\n"
      "password_env = \"PGW_PASSWORD\"\n"
      "cert_file = \"/etc/pushrun/client.pem\"\n"
      "key_file = \"/etc/pushrun/client.key\"\n" +
      // The job's own token for its own gateway: before the fix, this plus [gateway]'s
      // username was "both basic auth and a bearer token" and the job could not run at all.
      Job("gateway = { url = \"https://pgw-b.example\", bearer_token_env = \"PGW_TOKEN\", "
          "key_file = \"/etc/pushrun/b.key\" }\n");
  const Settings s = run.Resolve();
  CHECK_FALSE(FirstGateway(s).push.basic_auth.has_value());
  CHECK(FirstGateway(s).push.bearer_token == kToken);
  // The job set only the key: the certificate from [gateway] does not go with it.
  CHECK(FirstGateway(s).push.tls.cert_file.empty());
  CHECK(FirstGateway(s).push.tls.key_file.empty());
  REQUIRE(s.warnings.size() == 1);
  const std::string& warning = s.warnings[0];
  CHECK_THAT(warning, Catch::Contains("the username and password (set in [gateway]"));
  CHECK_THAT(warning, Catch::Contains("the client certificate and key (set in [gateway]"));
  CHECK_THAT(warning, Catch::Contains("username and password_file (or password_env), cert_file "
                                      "and key_file in the job's gateway table"));
  CHECK_THAT(warning, !Catch::Contains("pusher"));
  CheckNoSecretIn(s);
}

TEST_CASE("Credentials: credential headers set with another URL are not sent, others are",
          "[config][credentials]") {
  Layer environment, file;
  file.gateways = std::vector<std::string>{"https://pgw-a.example"};
  file.headers = {{"Authorization", "Bearer abc"},
                  {"X-Api-Key", "k123"},
                  {"X-Tenant", "blue"},
                  {"Proxy-Authorization", "Basic cHJveHk="}};  // the proxy's, not the gateway's
  environment.gateways = std::vector<std::string>{"https://pgw-b.example"};
  const Settings s = Resolve({&environment, &file});
  CHECK(FirstGateway(s).push.headers ==
        metrics::Headers{{"Proxy-Authorization", "Basic cHJveHk="}, {"X-Tenant", "blue"}});
  REQUIRE(s.warnings.size() == 1);
  CHECK_THAT(s.warnings[0], Catch::Contains("the Authorization header (set in settings layer 2"));
  CHECK_THAT(s.warnings[0], Catch::Contains("the X-Api-Key header"));
  CHECK_THAT(s.warnings[0], !Catch::Contains("abc"));
  CHECK_THAT(s.warnings[0], !Catch::Contains("k123"));
}

TEST_CASE("Credentials: without any URL override nothing changes and nothing is said",
          "[config][credentials]") {
  Run run;
  run.toml = kGatewayWithToken + Job();
  const Settings s = run.Resolve();
  CHECK(FirstGatewayUrl(s) == "https://pgw-a.example:9091");
  CHECK(FirstGateway(s).push.bearer_token == kToken);
  CHECK(s.warnings.empty());
}

}  // namespace
}  // namespace pushrun::config
