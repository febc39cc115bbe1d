// Malformed fleet files: each error names the file, line, column and key path.

#include <catch2/catch.hpp>
#include <string>

#include "pushrun/config/error.h"
#include "pushrun/config/loader.h"
#include "support/temp_dir.h"

namespace pushrun::config {
namespace {

const char* NoEnvironment(const char*) { return nullptr; }

struct Malformed {
  const char* what;
  const char* toml;
  int line;
  int column;
  const char* key_path;
  const char* message;  // a fragment of what()
};

TEST_CASE("Config file: each mistake is reported at its line, column and key path",
          "[config][loader]") {
  const Malformed c = GENERATE(values<Malformed>({
      {"syntax error", "[gateway\nurl = \"http://a:9091\"\n", 1, 9, "", ""},
      {"duplicate key", "[gateway]\nretries = 1\nretries = 2\n", 3, 11, "",
       "cannot redefine existing integer 'retries'"},
      {"unknown table", "[gatway]\nurl = \"http://a:9091\"\n", 1, 2, "gatway",
       "unknown table \"gatway\"; did you mean \"gateway\"? (allowed: gateway, remote_write, "
       "defaults, jobs)"},
      {"unknown key", "[gateway]\nurll = \"http://a:9091\"\n", 2, 1, "gateway.urll",
       "unknown key \"urll\"; did you mean \"url\"? (allowed: url, timeout,"},
      {"wrong type", "[gateway]\nretries = \"3\"\n", 2, 11, "gateway.retries",
       "expected an integer, got a string"},
      {"retries out of range", "[gateway]\nretries = 1000\n", 2, 11, "gateway.retries",
       "1000 is out of range (allowed: a whole number from 0 to 100)"},
      {"bad duration", "[defaults]\ntimeout = \"5 min\"\n", 2, 11, "defaults.timeout",
       "unexpected character ' '"},
      {"duration as a number", "[defaults]\nkill_after = 5\n", 2, 14, "defaults.kill_after",
       "expected a string, got an integer (allowed: a non-negative number with a unit"},
      {"URL scheme", "[gateway]\nurl = \"ftp://a:9091\"\n", 2, 7, "gateway.url",
       "must start with http:// or https://"},
      {"URL without host", "[gateway]\nurl = \"http://:9091\"\n", 2, 7, "gateway.url", "no host"},
      {"bad label name", "[defaults]\ngrouping = { 2bad = \"x\" }\n", 2, 14,
       "defaults.grouping.2bad", "bad grouping label name"},
      {"job as a grouping key", "[jobs.a]\ncommand = [\"true\"]\ngrouping = { job = \"x\" }\n", 3,
       14, "jobs.a.grouping.job", "\"job\" cannot be a grouping label"},
      {"grouping value not a string", "[defaults]\ngrouping = { shard = 3 }\n", 2, 22,
       "defaults.grouping.shard", "expected a string, got an integer"},
      {"command is a string", "[jobs.backup]\ncommand = \"backup --full\"\n", 2, 11,
       "jobs.backup.command", "expected an array of strings, got a string"},
      {"command element", "[jobs.backup]\ncommand = [\"backup\", 1]\n", 2, 22,
       "jobs.backup.command[1]", "expected a string, got an integer"},
      {"empty command", "[jobs.backup]\ncommand = []\n", 2, 11, "jobs.backup.command",
       "empty command"},
      {"bad method", "[defaults]\nmethod = \"patch\"\n", 2, 10, "defaults.method",
       "(allowed: post, put)"},
      {"bad signal", "[jobs.a]\ntimeout_signal = \"TERMINATE\"\n", 2, 18, "jobs.a.timeout_signal",
       "unknown signal"},
      {"unknown key in a job's gateway", "[jobs.a.gateway]\nurll = \"http://a\"\n", 2, 1,
       "jobs.a.gateway.urll", "unknown key"},
      {"gateway key in [defaults]", "[defaults]\nretries = 3\n", 2, 1, "defaults.retries",
       "unknown key"},
      {"bad job name", "[jobs.\"my job\"]\ncommand = [\"true\"]\n", 1, 7, "jobs.my job",
       "bad job name"},
      {"unset secret variable", "[gateway]\nbearer_token_env = \"PUSHRUN_TEST_UNSET\"\n", 2, 20,
       "gateway.bearer_token_env", "PUSHRUN_TEST_UNSET is unset"},
      {"missing secret file", "[gateway]\npassword_file = \"/nonexistent/pw\"\n", 2, 17,
       "gateway.password_file", "No such file"},
      {"bad header name", "[gateway.headers]\n\"X Bad\" = \"1\"\n", 2, 1, "gateway.headers.X Bad",
       "header name has a character other than"},
      {"header pushrun sets", "[gateway.headers]\ncontent-length = \"1\"\n", 2, 1,
       "gateway.headers.content-length", "set by pushrun itself"},
      {"bad prefix", "[defaults]\nprefix = \"1abc\"\n", 2, 10, "defaults.prefix",
       "bad metric name prefix"},
      {"table expected", "gateway = 5\n", 1, 11, "gateway", "expected a table, got an integer"},
  }));
  CAPTURE(c.what, c.toml);
  pushrun::testing::TempDir dir;
  const std::string path = dir.File("fleet.toml", c.toml);
  try {
    LoadConfig(path, NoEnvironment);
    FAIL("no error for: " << c.what);
  } catch (const ConfigError& error) {
    CAPTURE(error.what());
    CHECK(error.file() == path);
    CHECK(error.line() == c.line);
    CHECK(error.column() == c.column);
    CHECK(error.key_path() == c.key_path);
    CHECK_THAT(error.what(), Catch::StartsWith(path + ":" + std::to_string(c.line) + ":" +
                                               std::to_string(c.column) + ": "));
    CHECK_THAT(error.what(), Catch::Contains(c.message));
  }
}

TEST_CASE("Config file: an inline secret is refused without echoing it", "[config][loader]") {
  const char* key = GENERATE("password", "bearer_token");
  CAPTURE(key);
  const std::string toml = std::string("[gateway]\n") + key + " = \"hunter2-secret\"\n";
  try {
    ParseConfig(toml, "fleet.toml", NoEnvironment);
    FAIL("inline secret accepted");
  } catch (const ConfigError& error) {
    CHECK(error.key_path() == std::string("gateway.") + key);
    CHECK(error.line() == 2);
    CHECK_THAT(error.what(), Catch::Contains(std::string(key) + "_file"));
    CHECK_THAT(error.what(), !Catch::Contains("hunter2"));
  }
}

TEST_CASE("Config file: a header value with a line break is refused without echoing it",
          "[config][loader]") {
  try {
    ParseConfig("[gateway.headers]\nX-Token = \"hunter2\\r\\nHost: evil\"\n", "fleet.toml",
                NoEnvironment);
    FAIL("header with a line break accepted");
  } catch (const ConfigError& error) {
    CHECK(error.key_path() == "gateway.headers.X-Token");
    CHECK_THAT(error.what(), Catch::Contains("line break"));
    CHECK_THAT(error.what(), !Catch::Contains("hunter2"));
  }
}

TEST_CASE("Config file: a URL with credentials is refused without echoing them",
          "[config][loader]") {
  try {
    ParseConfig("[gateway]\nurl = \"https://user:hunter2@gw:9091\"\n", "fleet.toml", NoEnvironment);
    FAIL("credentials in URL accepted");
  } catch (const ConfigError& error) {
    CHECK(error.key_path() == "gateway.url");
    CHECK_THAT(error.what(), Catch::Contains("credentials"));
    CHECK_THAT(error.what(), !Catch::Contains("hunter2"));
  }
}

TEST_CASE("Config file: files over 1 MiB and missing files are refused", "[config][loader]") {
  pushrun::testing::TempDir dir;
  SECTION("too large") {
    const std::string path = dir.File("big.toml", "# " + std::string(kMaxConfigBytes, 'x'));
    CHECK_THROWS_WITH(LoadConfig(path, NoEnvironment), Catch::Contains("larger than"));
  }
  SECTION("missing") {
    CHECK_THROWS_WITH(LoadConfig(dir.path + "/none.toml", NoEnvironment),
                      Catch::Contains("none.toml: No such file"));
  }
}

}  // namespace
}  // namespace pushrun::config

namespace pushrun::config {
namespace {

std::size_t Lines(const std::string& text) {
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n';
  return lines;
}

TEST_CASE("Config file: every semantic mistake is reported at once, each at its place",
          "[config][loader]") {
  const std::string text =
      "[gateway]\n"
      "retries = \"3\"\n"      // wrong type
      "urll = \"http://a\"\n"  // unknown key
      "timeout = \"0\"\n"      // zero where zero makes no sense
      "[defaults]\n"
      "max_series = 0\n"  // out of range
      "prefix = \"ok\"\n"
      "[jobs.a]\n"
      "command = []\n";  // empty command
  try {
    ParseConfig(text, "fleet.toml", NoEnvironment);
    FAIL("no error");
  } catch (const ConfigError& error) {
    const std::string what = error.what();
    INFO(what);
    CHECK(error.count() == 5);
    CHECK(Lines(what) == 5);
    // The first one is the error's own location; what() lists them all in file order.
    CHECK(error.line() == 2);
    CHECK(error.key_path() == "gateway.retries");
    CHECK_THAT(what, Catch::StartsWith("fleet.toml:2:11: gateway.retries: expected an integer"));
    CHECK_THAT(what, Catch::Contains("\nfleet.toml:3:1: gateway.urll: unknown key"));
    CHECK_THAT(what, Catch::Contains("\nfleet.toml:4:11: gateway.timeout: zero"));
    CHECK_THAT(what, Catch::Contains("\nfleet.toml:6:14: defaults.max_series: 0 is out of range"));
    CHECK_THAT(what, Catch::Contains("\nfleet.toml:9:11: jobs.a.command: empty command"));
  }
}

TEST_CASE("Config file: a syntax error is reported alone", "[config][loader]") {
  const std::string text = "[gateway]\nretries = \"3\"\n[defaults\n";
  try {
    ParseConfig(text, "fleet.toml", NoEnvironment);
    FAIL("no error");
  } catch (const ConfigError& error) {
    CHECK(error.count() == 1);
    CHECK(error.line() == 3);
  }
}

TEST_CASE("Config file: the list of mistakes stops at a cap", "[config][loader]") {
  std::string text = "[gateway]\n";
  for (int i = 0; i < 50; ++i) text += "unknown" + std::to_string(i) + " = 1\n";
  try {
    ParseConfig(text, "fleet.toml", NoEnvironment);
    FAIL("no error");
  } catch (const ConfigError& error) {
    const std::string what = error.what();
    CHECK(error.count() == 21);
    CHECK(Lines(what) == 21);
    CHECK_THAT(what, Catch::EndsWith("more errors not shown (the first 20 are above)"));
  }
}

TEST_CASE("Config file: an unknown key gets a \"did you mean\" only when one is close",
          "[config][loader]") {
  auto message = [](const std::string& key) {
    try {
      ParseConfig("[defaults]\n" + key + " = 1\n", "fleet.toml", NoEnvironment);
    } catch (const ConfigError& error) {
      return error.message();
    }
    return std::string("accepted");
  };
  CHECK(message("timout") == "unknown key \"timout\"; did you mean \"timeout\"?");
  CHECK(message("prefx") == "unknown key \"prefx\"; did you mean \"prefix\"?");
  CHECK(message("colour") == "unknown key \"colour\"");
  // A long key is no typo and gets no suggestion (nor the cost of computing one).
  const std::string long_key(100, 'k');
  CHECK(message(long_key) == "unknown key \"" + long_key + "\"");
}

}  // namespace
}  // namespace pushrun::config
