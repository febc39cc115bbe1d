// Every setting is checked before the command starts, the same way whichever source sets it:
// a value a run cannot use is exit 125, the command never runs, and the message names the
// setting as that source calls it. `pushrun check` refuses the same config files.

#include <unistd.h>

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/pushrun_binary.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::ProcessOptions;
using pushrun::testing::ProcessResult;
using pushrun::testing::Pushrun;
using pushrun::testing::TempDir;

// One bad setting, written for each source that has it ("" where a source has none). In the
// values, @SECRET@ stands for a secret file of the test that holds "ab\r\ncd\n" (CR/LF inside)
// and @PASSWORD@ for one that holds a good password.
struct Case {
  std::string what;
  std::vector<std::string> flags;
  std::string flag_named;
  std::vector<std::string> env;  // NAME=value
  std::string env_named;
  std::string toml;  // lines added to a config file that has [gateway] url = ...
  std::string toml_named;
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> kCases = {
      {"a timeout beyond the maximum",
       {"--timeout", "99999999999h"},
       "--timeout",
       {"PUSHRUN_TIMEOUT=99999999999h"},
       "PUSHRUN_TIMEOUT",
       "[defaults]\ntimeout = \"99999999999h\"\n",
       "defaults.timeout"},
      {"a kill-after beyond the maximum",
       {"--kill-after", "99999999999h"},
       "--kill-after",
       {"PUSHRUN_KILL_AFTER=99999999999h"},
       "PUSHRUN_KILL_AFTER",
       "[defaults]\nkill_after = \"99999999999h\"\n",
       "defaults.kill_after"},
      {"a push deadline beyond the maximum",
       {"--push-deadline", "99999999999h"},
       "--push-deadline",
       {"PUSHRUN_PUSH_DEADLINE=99999999999h"},
       "PUSHRUN_PUSH_DEADLINE",
       "deadline = \"99999999999h\"\n",
       "gateway.deadline"},
      {"a push timeout of zero",
       {"--push-timeout", "0"},
       "--push-timeout",
       {"PUSHRUN_PUSH_TIMEOUT=0"},
       "PUSHRUN_PUSH_TIMEOUT",
       "timeout = \"0\"\n",
       "gateway.timeout"},
      {"a connect timeout of zero",
       {"--connect-timeout", "0"},
       "--connect-timeout",
       {"PUSHRUN_CONNECT_TIMEOUT=0"},
       "PUSHRUN_CONNECT_TIMEOUT",
       "connect_timeout = \"0s\"\n",
       "gateway.connect_timeout"},
      {"a push deadline of zero",
       {"--push-deadline", "0"},
       "--push-deadline",
       {"PUSHRUN_PUSH_DEADLINE=0"},
       "PUSHRUN_PUSH_DEADLINE",
       "deadline = \"0ms\"\n",
       "gateway.deadline"},
      {"a header value with CR/LF",
       {"--header", "X-A: a\r\nX-B: b"},
       "--header",
       {},
       "",
       "headers = { X-A = \"a\\r\\nX-B: b\" }\n",
       "gateway.headers"},
      {"a header name that is not a token",
       {"--header", "X A: b"},
       "--header",
       {},
       "",
       "headers = { \"X A\" = \"b\" }\n",
       "gateway.headers.X A"},
      {"a user name with ':'",
       {"--username", "bo:b", "--password-file", "@PASSWORD@"},
       "--username",
       {"PUSHRUN_USERNAME=bo:b", "PUSHRUN_PASSWORD_FILE=@PASSWORD@"},
       "PUSHRUN_USERNAME",
       "username = \"bo:b\"\npassword_file = \"@PASSWORD@\"\n",
       "gateway.username"},
      {"a user name without a password",
       {"--username", "bob"},
       "username",
       {"PUSHRUN_USERNAME=bob"},
       "username",
       "username = \"bob\"\n",
       "username"},
      {"a token file with CR/LF inside",
       {"--bearer-token-file", "@SECRET@"},
       "--bearer-token-file",
       {"PUSHRUN_BEARER_TOKEN_FILE=@SECRET@"},
       "PUSHRUN_BEARER_TOKEN_FILE",
       "bearer_token_file = \"@SECRET@\"\n",
       "gateway.bearer_token_file"},
      {"a password file with CR/LF inside",
       {"--username", "bob", "--password-file", "@SECRET@"},
       "--password-file",
       {"PUSHRUN_USERNAME=bob", "PUSHRUN_PASSWORD_FILE=@SECRET@"},
       "PUSHRUN_PASSWORD_FILE",
       "username = \"bob\"\npassword_file = \"@SECRET@\"\n",
       "gateway.password_file"},
      {"a sidecar limit of zero bytes",
       {"--sidecar-max-bytes", "0"},
       "--sidecar-max-bytes",
       {"PUSHRUN_SIDECAR_MAX_BYTES=0"},
       "PUSHRUN_SIDECAR_MAX_BYTES",
       "[defaults]\nsidecar_max_bytes = 0\n",
       "defaults.sidecar_max_bytes"},
      {"a limit of zero series",
       {"--max-series", "0"},
       "--max-series",
       {"PUSHRUN_MAX_SERIES=0"},
       "PUSHRUN_MAX_SERIES",
       "[defaults]\nmax_series = 0\n",
       "defaults.max_series"},
      {"a grouping label given twice",
       {"-g", "v=1", "-g", "v=2"},
       "--grouping",
       {"PUSHRUN_GROUPING=v=1,v=2"},
       "PUSHRUN_GROUPING",
       "",
       ""},
  };
  return kCases;
}

std::string Substituted(std::string text, const TempDir& dir) {
  for (const auto& [word, file] :
       {std::pair<std::string, std::string>{"@SECRET@", "secret"}, {"@PASSWORD@", "password"}}) {
    for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at)) {
      text.replace(at, word.size(), dir.path + "/" + file);
      at += dir.path.size();
    }
  }
  return text;
}

bool Exists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

void RequireRefusedBeforeTheCommand(const ProcessResult& result, const std::string& marker,
                                    const std::string& named) {
  INFO(result.err);
  CHECK(result.status() == 125);
  CHECK_FALSE(Exists(marker));
  CHECK_THAT(result.err, Catch::Contains(named));
}

}  // namespace

TEST_CASE("pushrun refuses a setting no run can use before the command, from every source",
          "[e2e][settings]") {
  const Case& bad = GENERATE(from_range(Cases()));
  TempDir dir;
  dir.File("secret", "ab\r\ncd\n", 0600);
  dir.File("password", "pw\n", 0600);
  const std::string marker = dir.path + "/ran";
  const std::vector<std::string> command = {"--job", "x", "--", "/bin/sh", "-c", "touch " + marker};
  const std::string gateway = "http://127.0.0.1:9";

  SECTION("on the command line: " + bad.what) {
    std::vector<std::string> args = {"--gateway", gateway};
    for (const std::string& word : bad.flags) args.push_back(Substituted(word, dir));
    args.insert(args.end(), command.begin(), command.end());
    RequireRefusedBeforeTheCommand(Pushrun(args), marker, bad.flag_named);
  }
  SECTION("in the environment: " + bad.what) {
    if (bad.env.empty()) return;
    ProcessOptions options;
    options.env.push_back("PUSHRUN_GATEWAY=" + gateway);
    for (const std::string& variable : bad.env) options.env.push_back(Substituted(variable, dir));
    RequireRefusedBeforeTheCommand(Pushrun(command, options), marker, bad.env_named);
  }
  SECTION("in the config file, for a run and for pushrun check: " + bad.what) {
    if (bad.toml.empty()) return;
    // Keys without a table header go to [gateway].
    const std::string config =
        dir.File("fleet.toml",
                 "[gateway]\nurl = \"" + gateway + "\"\n" + Substituted(bad.toml, dir) +
                     "\n[jobs.x]\ncommand = [\"/bin/sh\", \"-c\", \"touch " + marker + "\"]\n");
    RequireRefusedBeforeTheCommand(Pushrun({"-c", config, "run", "x"}), marker, bad.toml_named);
    RequireRefusedBeforeTheCommand(Pushrun({"-c", config, "check"}), marker, bad.toml_named);
  }
}

TEST_CASE("pushrun: a --header without ':' is refused without echoing its value",
          "[e2e][settings]") {
  const ProcessResult result = Pushrun({"--gateway", "http://127.0.0.1:9", "--header",
                                        "Authorization Bearer XYZ", "--job", "x", "--", "true"});
  CHECK(result.status() == 125);
  CHECK_THAT(result.err, Catch::Contains("--header"));
  CHECK_THAT(result.err, !Catch::Contains("XYZ"));
  CHECK_THAT(result.err, !Catch::Contains("Bearer"));
}

#endif  // PUSHRUN_BINARY
