// Several targets: repeated gateways and remote-write receivers from flags, the environment and
// the config file, each target with its own credentials, and the checks that keep them apart.

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "first_gateway.h"
#include "pushrun/config/describe.h"
#include "pushrun/config/environment.h"
#include "pushrun/config/error.h"
#include "pushrun/config/fleet.h"
#include "pushrun/config/loader.h"
#include "pushrun/config/settings.h"
#include "support/temp_dir.h"

using pushrun::config::testing::FirstGateway;
using pushrun::config::testing::FirstGatewayUrl;
namespace pushrun::config {
namespace {

constexpr const char* kGatewayToken = "gw-SECRET-token";
constexpr const char* kReceiverPassword = "rw-SECRET-password";
constexpr const char* kReceiverToken = "rw-SECRET-token";

GetEnv FakeEnvironment(std::map<std::string, std::string> variables) {
  variables.insert({{"GW_TOKEN", kGatewayToken},
                    {"RW_PASSWORD", kReceiverPassword},
                    {"RW_TOKEN", kReceiverToken}});
  return [variables = std::move(variables)](const char* name) -> const char* {
    const auto it = variables.find(name);
    return it == variables.end() ? nullptr : it->second.c_str();
  };
}

// Settings of `pushrun -c fleet.toml [flags] -- /bin/true` with `environment`.
Settings Resolved(const std::string& toml, const Layer& flags = {},
                  const std::map<std::string, std::string>& environment = {}) {
  const GetEnv getenv = FakeEnvironment(environment);
  const FleetConfig fleet = ParseConfig(toml, "fleet.toml", getenv);
  Layer with_command = flags;
  with_command.command = std::vector<std::string>{"/bin/true"};
  return ResolveAdHoc(with_command, EnvironmentLayer(getenv).layer, &fleet);
}

std::vector<std::string> Urls(const Settings& s, TargetKind kind) {
  std::vector<std::string> urls;
  for (const Target& target : s.targets) {
    if (target.kind == kind) urls.push_back(target.url);
  }
  return urls;
}

const std::vector<std::string> kNone;

// The ConfigError `toml` gives, or a failure.
ConfigError ErrorOf(const std::string& toml) {
  try {
    Resolved(toml);
  } catch (const ConfigError& error) {
    return error;
  }
  FAIL("accepted:\n" << toml);
  return ConfigError({}, "", "");  // not reached: FAIL throws
}

TEST_CASE("Targets: gateways first, then receivers, each list in the order given",
          "[config][targets]") {
  Layer flags;
  flags.remote_write = std::vector<RemoteWriteLayer>{{.url = "http://r1:9090/api/v1/write"},
                                                     {.url = "http://r2:8428/api/v1/write"}};
  flags.gateways = std::vector<std::string>{"http://g1:9091", "http://g2:9091"};
  const Settings s = Resolve({&flags});
  REQUIRE(s.targets.size() == 4);
  CHECK(s.targets[0].kind == TargetKind::kPushgateway);
  CHECK(s.targets[0].url == "http://g1:9091");
  CHECK(s.targets[1].kind == TargetKind::kPushgateway);
  CHECK(s.targets[1].url == "http://g2:9091");
  CHECK(s.targets[2].kind == TargetKind::kRemoteWrite);
  CHECK(s.targets[2].url == "http://r1:9090/api/v1/write");
  CHECK(s.targets[3].kind == TargetKind::kRemoteWrite);
  CHECK(s.targets[3].url == "http://r2:8428/api/v1/write");
  // Until the runner reads only `targets`: the first gateway.
  CHECK(FirstGatewayUrl(s) == "http://g1:9091");
}

TEST_CASE("Targets: the config file lists gateways in [gateway], a job's gateway and tables",
          "[config][targets][loader]") {
  const std::string file =
      "[gateway]\nurl = [\"http://a:9091\", \"http://b:9091\"]\n"
      "[jobs.one]\ngateway = [\"http://c:9091\", \"http://d:9091/prefix\"]\n"
      "[jobs.two]\ngateway = { url = [\"http://e:9091\"], retries = 2 }\n"
      "[jobs.three]\ngateway = \"http://f:9091\"\n"
      "[jobs.none]\ngateway = []\n"
      "[jobs.inherits]\n";
  auto gateways_of = [&](const char* job) {
    Layer flags;
    flags.job = job;
    return Urls(Resolved(file, flags), TargetKind::kPushgateway);
  };
  CHECK(gateways_of("inherits") == std::vector<std::string>{"http://a:9091", "http://b:9091"});
  CHECK(gateways_of("one") == std::vector<std::string>{"http://c:9091", "http://d:9091/prefix"});
  CHECK(gateways_of("two") == std::vector<std::string>{"http://e:9091"});
  CHECK(gateways_of("three") == std::vector<std::string>{"http://f:9091"});
  CHECK(gateways_of("none") == kNone);
}

TEST_CASE("Targets: the most important layer's list replaces the others', it is not merged",
          "[config][targets]") {
  const std::string file =
      "[gateway]\nurl = [\"http://a:9091\", \"http://b:9091\"]\n"
      "[[remote_write]]\nurl = \"http://file:9090/api/v1/write\"\n";
  SECTION("flags") {
    Layer flags;
    flags.gateways = std::vector<std::string>{"http://flag:9091"};
    const Settings s = Resolved(file, flags);
    CHECK(Urls(s, TargetKind::kPushgateway) == std::vector<std::string>{"http://flag:9091"});
    CHECK(Urls(s, TargetKind::kRemoteWrite) ==
          std::vector<std::string>{"http://file:9090/api/v1/write"});
  }
  SECTION("environment") {
    const Settings s = Resolved(
        file, {}, {{"PUSHRUN_REMOTE_WRITE", "http://env1/api/v1/write\thttp://env2/api/v1/write"}});
    CHECK(Urls(s, TargetKind::kPushgateway) ==
          std::vector<std::string>{"http://a:9091", "http://b:9091"});
    CHECK(Urls(s, TargetKind::kRemoteWrite) ==
          std::vector<std::string>{"http://env1/api/v1/write", "http://env2/api/v1/write"});
  }
}

TEST_CASE("Targets: PUSHRUN_GATEWAY and PUSHRUN_REMOTE_WRITE take URLs separated by blanks",
          "[config][targets][env]") {
  auto layer = [](std::map<std::string, std::string> variables) {
    return EnvironmentLayer(FakeEnvironment(std::move(variables))).layer;
  };
  const Layer one = layer({{"PUSHRUN_REMOTE_WRITE", "http://127.0.0.1:9090/api/v1/write"}});
  REQUIRE(one.remote_write);
  REQUIRE(one.remote_write->size() == 1);
  CHECK(one.remote_write->front().url == "http://127.0.0.1:9090/api/v1/write");

  const Layer several = layer({{"PUSHRUN_GATEWAY", " http://a:9091  http://b:9091\n"},
                               {"PUSHRUN_REMOTE_WRITE", "http://r/a,b/write http://s/write"}});
  CHECK(several.gateways == std::vector<std::string>{"http://a:9091", "http://b:9091"});
  REQUIRE(several.remote_write);
  REQUIRE(several.remote_write->size() == 2);
  CHECK((*several.remote_write)[0].url == "http://r/a,b/write");  // a comma is part of a URL
  CHECK((*several.remote_write)[1].url == "http://s/write");

  // Only blanks say nothing, like an empty variable: the file's gateways still apply.
  CHECK_FALSE(layer({{"PUSHRUN_GATEWAY", "  "}}).gateways);

  try {
    layer({{"PUSHRUN_REMOTE_WRITE", "http://r/write http://u:SECRET@s/write"}});
    FAIL("accepted credentials in a URL");
  } catch (const ConfigError& error) {
    CHECK(error.key_path() == "PUSHRUN_REMOTE_WRITE");
    CHECK_THAT(error.what(), Catch::Contains("URL 2 of the list"));
    CHECK_THAT(error.what(), !Catch::Contains("SECRET"));
  }
}

TEST_CASE("Targets: a [[remote_write]] table with a token file, headers and tls",
          "[config][targets][loader]") {
  pushrun::testing::TempDir dir;
  const std::string token = dir.File("rw-token", std::string(kReceiverToken) + "\n", 0600);
  const Settings s = Resolved(
      "[[remote_write]]\n"
      "url = \"https://mimir.example/api/v1/push\"\n"
      "bearer_token_file = \"" +
      token +
      "\"\n"
      "headers = { X-Scope-OrgID = \"team-a\" }\n"
      "tls = { ca_file = \"/etc/ssl/mimir-ca.pem\", insecure_skip_verify = false }\n"
      "[[remote_write]]\n"
      "url = \"http://vm.example:8428/api/v1/write\"\n");
  REQUIRE(s.targets.size() == 2);
  const Target& mimir = s.targets[0];
  CHECK(mimir.kind == TargetKind::kRemoteWrite);
  CHECK(mimir.url == "https://mimir.example/api/v1/push");
  CHECK(mimir.push.bearer_token == kReceiverToken);
  CHECK(mimir.push.headers == metrics::Headers{{"X-Scope-OrgID", "team-a"}});
  CHECK(mimir.push.tls.ca_file == "/etc/ssl/mimir-ca.pem");
  CHECK_FALSE(mimir.push.tls.insecure_skip_verify);
  const Target& vm = s.targets[1];
  CHECK(vm.url == "http://vm.example:8428/api/v1/write");
  CHECK(vm.push.bearer_token.empty());
  CHECK(vm.push.headers.empty());
  CHECK(vm.push.tls.ca_file.empty());
  // No gateway: the report still has targets.
  CHECK(FirstGatewayUrl(s).empty());
}

TEST_CASE("Targets: a gateway's credentials never reach a receiver, nor the other way round",
          "[config][targets][credentials][secrets]") {
  const std::string gateway_table =
      "[gateway]\n"
      "url = \"https://pgw.example:9091\"\n"
      "bearer_token_env = \"GW_TOKEN\"\n"
      "headers = { X-Api-Key = \"gw-SECRET-key\", X-Team = \"ops\" }\n"
      "cert_file = \"/etc/pgw/client.pem\"\n"
      "key_file = \"/etc/pgw/client.key\"\n"
      "ca_file = \"/etc/pgw/ca.pem\"\n"
      "gzip = true\n"
      "timeout = \"4s\"\n"
      "retries = 5\n";
  const std::string receiver_table =
      "[[remote_write]]\n"
      "url = \"https://mimir.example/api/v1/push\"\n"
      "username = \"tenant\"\n"
      "password_env = \"RW_PASSWORD\"\n"
      "headers = { X-Scope-OrgID = \"team-a\" }\n";
  const Settings s = Resolved(gateway_table + receiver_table);
  REQUIRE(s.targets.size() == 2);
  const PushSettings& gateway = s.targets[0].push;
  const PushSettings& receiver = s.targets[1].push;

  CHECK(gateway.bearer_token == kGatewayToken);
  CHECK_FALSE(gateway.basic_auth);
  CHECK(gateway.headers == metrics::Headers{{"X-Api-Key", "gw-SECRET-key"}, {"X-Team", "ops"}});
  CHECK(gateway.tls.cert_file == "/etc/pgw/client.pem");

  CHECK(receiver.bearer_token.empty());
  REQUIRE(receiver.basic_auth);
  CHECK(receiver.basic_auth->username == "tenant");
  CHECK(receiver.basic_auth->password == kReceiverPassword);
  CHECK(receiver.headers == metrics::Headers{{"X-Scope-OrgID", "team-a"}});
  CHECK(receiver.tls.cert_file.empty());
  CHECK(receiver.tls.key_file.empty());
  CHECK(receiver.tls.ca_file.empty());  // its own TLS: the gateway's CA is not the receiver's
  CHECK_FALSE(receiver.gzip);
  // The run's timeouts and retries apply to every target.
  CHECK(receiver.timeout == std::chrono::seconds(4));
  CHECK(receiver.retry.max_retries == 5);
  CHECK(receiver.retry.deadline == s.push_deadline);

  // Both credential variables are kept from the command.
  CHECK_THAT(s.credential_env, Catch::VectorContains(std::string("GW_TOKEN")));
  CHECK_THAT(s.credential_env, Catch::VectorContains(std::string("RW_PASSWORD")));

  // The flags' credentials are the gateway's too.
  Layer flags;
  flags.bearer_token = "flag-SECRET-token";
  flags.remote_write = std::vector<RemoteWriteLayer>{{.url = "http://flag-rw/api/v1/write"}};
  const Settings with_flags = Resolved(gateway_table, flags);
  REQUIRE(with_flags.targets.size() == 2);
  CHECK(with_flags.targets[0].push.bearer_token == "flag-SECRET-token");
  CHECK(with_flags.targets[1].push.bearer_token.empty());
  CHECK(with_flags.targets[1].push.headers.empty());

  // What `pushrun check` and -vv show: who gets what, secrets as <set>.
  const std::string text = DescribeSettings(s);
  CAPTURE(text);
  CHECK_THAT(text, !Catch::Contains("SECRET"));
  CHECK_THAT(text,
             Catch::Contains("targets = [\n"
                             "  { kind = \"pushgateway\", url = \"https://pgw.example:9091\", "
                             "headers = { \"X-Api-Key\" = \"<set>\", \"X-Team\" = \"ops\" }, "
                             "bearer_token = \"<set>\", ca_file = \"/etc/pgw/ca.pem\", "
                             "cert_file = \"/etc/pgw/client.pem\", key_file = "
                             "\"/etc/pgw/client.key\" },\n"
                             "  { kind = \"remote_write\", url = "
                             "\"https://mimir.example/api/v1/push\", headers = { "
                             "\"X-Scope-OrgID\" = \"team-a\" }, username = \"tenant\", "
                             "password = \"<set>\" },\n"
                             "]\n"));
}

TEST_CASE("Targets: gateway credentials stay with the gateways of their list",
          "[config][targets][credentials]") {
  const std::string file =
      "[gateway]\nurl = [\"https://a.example\", \"https://b.example\"]\n"
      "bearer_token_env = \"GW_TOKEN\"\n";
  SECTION("a flag list that keeps one of them and adds another") {
    Layer flags;
    flags.gateways = std::vector<std::string>{"https://B.example:443/", "https://c.example"};
    const Settings s = Resolved(file, flags);
    REQUIRE(s.targets.size() == 2);
    CHECK(s.targets[0].push.bearer_token == kGatewayToken);  // b, written differently
    CHECK(s.targets[1].push.bearer_token.empty());           // c never had it
    REQUIRE(s.warnings.size() == 1);
    CHECK_THAT(s.warnings[0], Catch::Contains("the gateway URL https://c.example comes from the "
                                              "command line"));
    CHECK_THAT(s.warnings[0],
               Catch::Contains("(set in [gateway] for https://a.example, https://b.example)"));
    CHECK_THAT(s.warnings[0], !Catch::Contains(kGatewayToken));
  }
  SECTION("the same list, from the environment") {
    const Settings s =
        Resolved(file, {}, {{"PUSHRUN_GATEWAY", "https://a.example https://b.example"}});
    REQUIRE(s.targets.size() == 2);
    CHECK(s.targets[0].push.bearer_token == kGatewayToken);
    CHECK(s.targets[1].push.bearer_token == kGatewayToken);
    CHECK(s.warnings.empty());
  }
}

TEST_CASE("Targets: --delete-on-success with only remote-write receivers is refused",
          "[config][targets]") {
  Layer flags;
  flags.delete_on_success = true;
  flags.remote_write = std::vector<RemoteWriteLayer>{{.url = "http://r/api/v1/write"}};
  try {
    Resolve({&flags}, {{LayerKind::kFlags, {}}});
    FAIL("accepted");
  } catch (const ConfigError& error) {
    CHECK(error.key_path() == "delete_on_success");
    CHECK_THAT(error.what(), Catch::Contains("is set (by --delete-on-success) but"));
    CHECK_THAT(error.what(), Catch::Contains("every target is a remote-write receiver"));
    CHECK_THAT(error.what(), Catch::Contains("only a Pushgateway has a group to delete"));
    CHECK_THAT(error.what(), Catch::Contains("add a Pushgateway"));
  }
  // From the config file, as `pushrun check` resolves it.
  const ConfigError from_file = ErrorOf(
      "[defaults]\ndelete_on_success = true\n[[remote_write]]\nurl = \"http://r/api/v1/write\"\n");
  CHECK_THAT(from_file.what(), Catch::Contains("is set (in [defaults]) but every target"));
  // With a gateway as well, the gateway's group is deleted: allowed.
  flags.gateways = std::vector<std::string>{"http://g:9091"};
  CHECK(Resolve({&flags}).delete_on_success);
  // Without any target (textfile or stderr), as before.
  Layer no_target;
  no_target.delete_on_success = true;
  CHECK(Resolve({&no_target}).delete_on_success);
}

TEST_CASE("Targets: mistakes in [[remote_write]] tables name their file, line and column",
          "[config][targets][loader]") {
  struct Mistake {
    const char* what;
    std::string toml;
    int line;
    int column;
    const char* key_path;
    const char* message;
  };
  const std::string two_good =
      "[[remote_write]]\nurl = \"http://a/api/v1/write\"\n"
      "[[remote_write]]\nurl = \"http://b/api/v1/write\"\n";
  const Mistake m = GENERATE_COPY(values<Mistake>({
      {"a bad URL in the third table", two_good + "[[remote_write]]\nurl = \"ftp://c/write\"\n", 6,
       7, "remote_write[2].url", "http"},
      {"credentials in the URL", "[[remote_write]]\nurl = \"http://user:hunter2@r/api/v1/write\"\n",
       2, 7, "remote_write[0].url", "(allowed: http://host"},
      {"an unknown key", "[[remote_write]]\nurl = \"http://r/w\"\nbearer_tokn_file = \"/t\"\n", 3,
       1, "remote_write[0].bearer_tokn_file",
       "unknown key \"bearer_tokn_file\"; did you mean \"bearer_token_file\"? (allowed: url, tls, "
       "headers, username, password_file, "
       "password_env, bearer_token_file, bearer_token_env)"},
      {"a TLS key outside tls", "[[remote_write]]\nurl = \"http://r/w\"\nca_file = \"/ca\"\n", 3,
       11, "remote_write[0].ca_file", "a receiver's TLS settings go in its tls table"},
      {"a run-wide key", "[[remote_write]]\nurl = \"http://r/w\"\nretries = 3\n", 3, 11,
       "remote_write[0].retries", "the run's, for every target"},
      {"no url", "[[remote_write]]\nheaders = { X-Scope-OrgID = \"a\" }\n", 1, 1,
       "remote_write[0].url", "needs its write URL"},
      {"username without password", "[[remote_write]]\nurl = \"http://r/w\"\nusername = \"u\"\n", 1,
       1, "remote_write[0].username", "no password"},
      {"basic auth and a token",
       "[[remote_write]]\nurl = \"http://r/w\"\nusername = \"u\"\npassword_env = "
       "\"RW_PASSWORD\"\nbearer_token_env = \"RW_TOKEN\"\n",
       1, 1, "remote_write[0].bearer_token_file", "both basic auth"},
      {"an inline secret", "[[remote_write]]\nurl = \"http://r/w\"\npassword = \"x\"\n", 3, 12,
       "remote_write[0].password", "secrets are not accepted inline"},
      {"a bad tls key", "[[remote_write]]\nurl = \"http://r/w\"\ntls = { ca = \"/x\" }\n", 3, 9,
       "remote_write[0].tls.ca", "(allowed: ca_file, cert_file, key_file, insecure_skip_verify)"},
      {"a single table", "[remote_write]\nurl = \"http://r/w\"\n", 1, 1, "remote_write",
       "expected an array of tables"},
      {"in a job", "[jobs.x]\n[[jobs.x.remote_write]]\nurl = \"http://r/w?tenant=a\"\n", 3, 7,
       "jobs.x.remote_write[0].url", "must not have a query"},
      {"a receiver listed twice",
       two_good + "[[remote_write]]\nurl = \"HTTP://B:80/api/v1/write\"\n", 5, 1,
       "remote_write[2].url", "http://B:80/api/v1/write is listed twice"},
      {"a gateway listed twice", "[gateway]\nurl = [\"http://a:9091\", \"http://A:9091/\"]\n", 2, 7,
       "gateway.url", "http://A:9091/ is listed twice"},
  }));
  CAPTURE(m.what, m.toml);
  const ConfigError error = ErrorOf(m.toml);
  CHECK(error.file() == "fleet.toml");
  CHECK(error.line() == m.line);
  CHECK(error.column() == m.column);
  CHECK(error.key_path() == m.key_path);
  CHECK_THAT(error.what(), Catch::Contains(m.message));
  CHECK_THAT(error.what(), !Catch::Contains("hunter2"));
}

TEST_CASE("Targets: a job's [[jobs.NAME.remote_write]] replaces the file's; [] means none",
          "[config][targets][loader]") {
  pushrun::testing::TempDir dir;
  const std::string file =
      "[[remote_write]]\nurl = \"http://file/api/v1/write\"\n"
      "[jobs.own]\n"
      "[[jobs.own.remote_write]]\nurl = \"http://own/api/v1/write\"\n"
      "bearer_token_env = \"RW_TOKEN\"\n"
      "[jobs.quiet]\nremote_write = []\n"
      "[jobs.plain]\n";
  auto receivers_of = [&](const char* job) {
    Layer flags;
    flags.job = job;
    return Resolved(file, flags);
  };
  const Settings own = receivers_of("own");
  CHECK(Urls(own, TargetKind::kRemoteWrite) == std::vector<std::string>{"http://own/api/v1/write"});
  CHECK(own.targets.front().push.bearer_token == kReceiverToken);
  CHECK(Urls(receivers_of("quiet"), TargetKind::kRemoteWrite) == kNone);
  CHECK(Urls(receivers_of("plain"), TargetKind::kRemoteWrite) ==
        std::vector<std::string>{"http://file/api/v1/write"});
  // A credential variable named by any job is kept from every job's command.
  CHECK_THAT(receivers_of("plain").credential_env, Catch::VectorContains(std::string("RW_TOKEN")));
}

TEST_CASE("Targets: gateway credential flags with receivers but no gateway draw a warning",
          "[config][targets][credentials]") {
  Layer flags;
  flags.bearer_token.emplace("flag-SECRET-token");
  flags.headers = {{"X-Api-Key", "hdr-SECRET"}};
  flags.remote_write = std::vector<RemoteWriteLayer>{{.url = "http://r/api/v1/write"}};
  const std::vector<LayerOrigin> origins = {{LayerKind::kFlags, {}}};
  const Settings s = Resolve({&flags}, origins);
  REQUIRE(s.warnings.size() == 1);
  CHECK_THAT(s.warnings[0], Catch::Contains("gateway credentials are set (--bearer-token-file, "
                                            "--header X-Api-Key) but there is no gateway"));
  CHECK_THAT(s.warnings[0], Catch::Contains("[[remote_write]] table"));
  CHECK_THAT(s.warnings[0], !Catch::Contains("SECRET"));
  REQUIRE(s.targets.size() == 1);
  CHECK(s.targets[0].push.bearer_token.empty());
  CHECK(s.targets[0].push.headers.empty());

  // With a gateway they are the gateway's: nothing to say.
  flags.gateways = std::vector<std::string>{"http://g:9091"};
  CHECK(Resolve({&flags}, origins).warnings.empty());
  // A job that turns the gateway off under a [gateway] with credentials: nothing to say.
  const Settings quiet = Resolved(
      "[gateway]\nurl = \"http://g:9091\"\nbearer_token_env = \"GW_TOKEN\"\n"
      "[jobs.rw]\ngateway = []\n[[jobs.rw.remote_write]]\nurl = \"http://r/api/v1/write\"\n",
      [] {
        Layer job;
        job.job = "rw";
        return job;
      }());
  CHECK(quiet.warnings.empty());
  CHECK(Urls(quiet, TargetKind::kPushgateway) == kNone);
}

}  // namespace
}  // namespace pushrun::config
