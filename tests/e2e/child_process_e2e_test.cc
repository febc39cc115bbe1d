// What the command inherits from pushrun, end to end: file descriptors, signal dispositions as
// a shell would hand them over, the environment without pushrun's own settings and secrets,
// and 126/127 as a shell gives them. Also that a closed stderr (SIGPIPE) changes nothing.

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/pushrun_binary.h"
#include "support/run_process.h"
#include "support/temp_dir.h"

#ifdef PUSHRUN_BINARY

namespace {

namespace fs = std::filesystem;
using pushrun::testing::ProcessOptions;
using pushrun::testing::ProcessResult;
using pushrun::testing::Pushrun;
using pushrun::testing::ReadFile;
using pushrun::testing::RunProcess;
using pushrun::testing::TempDir;
using pushrun::testing::WithoutLibcSignals;
using pushrun::testing::WithoutPushrunEnvironment;

// `argv` (looked up in PATH) run with every signal at its default first (whatever the test runner
// ignores), and none of the caller's PUSHRUN_* settings.
ProcessResult RunClean(std::vector<std::string> argv, ProcessOptions options = {}) {
  argv.insert(argv.begin(), {"/usr/bin/env", "--default-signal"});
  return RunProcess(argv, WithoutPushrunEnvironment(std::move(options)));
}

int RegularFilesUnder(const std::string& dir) {
  int count = 0;
  if (!fs::exists(dir)) return 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("pushrun: nohup pushrun -- job leaves the job's SIGHUP ignored, as nohup job does",
          "[e2e][integration][signals]") {
  const std::vector<std::string> job = {PUSHRUN_BINARY, "--job",  "dispositions",     "--",
                                        "grep",         "SigIgn", "/proc/self/status"};
  std::vector<std::string> argv;
  std::string expected;
  SECTION("under nohup: HUP stays ignored") {
    argv = {"nohup"};
    expected = "SigIgn:\t0000000000000001\n";
  }
  SECTION("HUP not ignored before pushrun: default; SIGPIPE, which pushrun ignores, too") {
    expected = "SigIgn:\t0000000000000000\n";
  }
  SECTION("SIGPIPE ignored before pushrun stays ignored") {
    argv = {"env", "--ignore-signal=PIPE"};
    expected = "SigIgn:\t0000000000001000\n";
  }
  argv.insert(argv.end(), job.begin(), job.end());
  const ProcessResult result = RunClean(argv);
  CHECK(result.status() == 0);
  CHECK(WithoutLibcSignals(result.out) == expected);
}

TEST_CASE("pushrun: a background job of a shell keeps INT and QUIT ignored, as without pushrun",
          "[e2e][integration][signals]") {
  TempDir dir;
  // A non-interactive shell starts `cmd &` with INT and QUIT ignored.
  const ProcessResult result =
      RunClean({"sh", "-c", "\"$0\" --job bg -- grep SigIgn /proc/self/status > \"$1\" & wait $!",
                PUSHRUN_BINARY, dir.path + "/status"});
  CHECK(result.status() == 0);
  CHECK(WithoutLibcSignals(ReadFile(dir.path + "/status")) == "SigIgn:\t0000000000000006\n");
}

TEST_CASE("pushrun: a reader of stderr that went away changes neither status nor delivery",
          "[e2e][integration][signals]") {
  TempDir dir;
  const std::string spool = dir.path + "/spool";
  const std::string job = dir.File("job.sh",
                                   "printf '%s' \"$PUSHRUN_METRICS_FILE\" > \"$SIDECAR\"\n"
                                   "sleep 0.5\n"
                                   "exit 3\n");
  // `true` has exited long before pushrun complains that the gateway is down: every write to
  // the pipe then raises SIGPIPE, which used to kill pushrun (141) before it spooled the report.
  const std::string pipeline = dir.File(
      "pipeline.sh",
      "{ \"$PUSHRUN\" --gateway http://127.0.0.1:9 --retries 0 --spool-dir \"$SPOOL\" --job p"
      " -- sh \"$JOB\" 2>&1; echo $? > \"$STATUS\"; } | true\n");
  ProcessOptions options;
  options.env = {"PUSHRUN=" PUSHRUN_BINARY, "SPOOL=" + spool, "JOB=" + job,
                 "STATUS=" + dir.path + "/status", "SIDECAR=" + dir.path + "/sidecar"};
  const ProcessResult result = RunClean({"sh", pipeline}, options);
  REQUIRE(result.status() == 0);
  CHECK(ReadFile(dir.path + "/status") == "3\n");
  CHECK(RegularFilesUnder(spool) >= 1);
  const std::string sidecar = ReadFile(dir.path + "/sidecar");
  REQUIRE_FALSE(sidecar.empty());
  CHECK_FALSE(fs::exists(fs::path(sidecar).parent_path()));  // the private folder is gone
}

TEST_CASE("pushrun: the command inherits pushrun's open file descriptors, e.g. fd 9",
          "[e2e][integration]") {
  TempDir dir;
  const ProcessResult result =
      RunClean({"sh", "-c", "exec 9> \"$1\"; exec \"$0\" --job nine -- sh -c 'echo nine >&9'",
                PUSHRUN_BINARY, dir.path + "/nine"});
  CHECK(result.status() == 0);
  CHECK(ReadFile(dir.path + "/nine") == "nine\n");
}

TEST_CASE("pushrun: a script without #! runs with /bin/sh; a missing interpreter is 127",
          "[e2e][integration]") {
  TempDir dir;
  SECTION("no #! line") {
    const std::string script = dir.File("script", "exit 7\n", 0755);
    CHECK(Pushrun({"--job", "script", "--", script}).status() == 7);
  }
  SECTION("#! names a program that does not exist") {
    const std::string script =
        dir.File("script", "#!/nonexistent-pushrun-dir/interpreter\nexit 0\n", 0755);
    const ProcessResult result = Pushrun({"--job", "script", "--", script});
    CHECK(result.status() == 127);
    CHECK_THAT(result.err, Catch::Contains("/nonexistent-pushrun-dir/interpreter"));
  }
}

TEST_CASE(
    "pushrun: a command name found in PATH only as a file without execute permission is 126, "
    "as bash gives, and the message names the file",
    "[e2e][integration]") {
  TempDir first;
  TempDir second;
  const std::string name = "pushrun-test-command";
  const std::string plain = first.File(name, "exit 0\n", 0644);
  std::string path = first.path + ":" + second.path + ":/usr/bin:/bin";
  int expected = 126;
  SECTION("nothing executable of that name: 126, not 127") {}
  SECTION("an executable of that name later in PATH: that one runs") {
    second.File(name, "exit 5\n", 0755);
    expected = 5;
  }
  SECTION("only a directory of that name: not found, 127") {
    fs::remove(plain);
    fs::create_directory(first.path + "/" + name);
    expected = 127;
  }
  const ProcessOptions options{.env = {"PATH=" + path}};
  const ProcessResult bash = RunClean({"/bin/bash", "-c", name}, options);
  const ProcessResult result = RunClean({PUSHRUN_BINARY, "--job", "plain", "--", name}, options);
  INFO(result.err);
  CHECK(bash.status() == expected);
  CHECK(result.status() == expected);
  if (expected == 126) {
    CHECK_THAT(bash.err, Catch::Contains(plain + ": Permission denied"));
    CHECK_THAT(result.err, Catch::Contains(plain + ": Permission denied"));
    CHECK_THAT(result.err, Catch::Contains("not executable"));
  }
}

TEST_CASE("pushrun: the command's environment has no PUSHRUN_* settings and no credentials",
          "[e2e][integration][env]") {
  TempDir dir;
  const std::string out = dir.path + "/env";
  ProcessOptions options;
  options.env = {"OUT=" + out, "KEPT_VAR=kept", "PUSHRUN_PREFIX=scrubtest",
                 "JOB_TEST_TOKEN=s3cret-token"};
  std::vector<std::string> args = {"--gateway", "http://127.0.0.1:9", "--dry-run", "--job",
                                   "envjob"};
  SECTION("token variable named in the environment") {
    options.env.push_back("PUSHRUN_BEARER_TOKEN_ENV=JOB_TEST_TOKEN");
  }
  SECTION("token variable named in the config file") {
    const std::string config = dir.File("pushrun.toml",
                                        "[gateway]\n"
                                        "url = \"http://127.0.0.1:9\"\n"
                                        "bearer_token_env = \"JOB_TEST_TOKEN\"\n");
    options.env.push_back("PUSHRUN_CONFIG=" + config);
  }
  args.insert(args.end(), {"--", "sh", "-c", "env > \"$OUT\""});
  const ProcessResult result = Pushrun(args, options);
  REQUIRE(result.status() == 0);
  const std::string env = ReadFile(out);
  CHECK_THAT(env, Catch::Contains("KEPT_VAR=kept\n"));
  CHECK_THAT(env, Catch::Contains("PUSHRUN_METRICS_FILE="));
  CHECK_THAT(env, !Catch::Contains("s3cret-token"));
  CHECK_THAT(env, !Catch::Contains("JOB_TEST_TOKEN"));
  CHECK_THAT(env, !Catch::Contains("PUSHRUN_PREFIX"));
  CHECK_THAT(env, !Catch::Contains("PUSHRUN_CONFIG"));
  CHECK_THAT(env, !Catch::Contains("PUSHRUN_BEARER_TOKEN_ENV"));
}

TEST_CASE("pushrun: --keep-env (or PUSHRUN_KEEP_ENV) passes the whole environment on",
          "[e2e][integration][env]") {
  TempDir dir;
  const std::string out = dir.path + "/env";
  ProcessOptions options;
  options.env = {"OUT=" + out, "PUSHRUN_PREFIX=scrubtest", "JOB_TEST_TOKEN=s3cret-token",
                 "PUSHRUN_BEARER_TOKEN_ENV=JOB_TEST_TOKEN"};
  std::vector<std::string> args = {"--gateway", "http://127.0.0.1:9", "--dry-run", "--job",
                                   "envjob"};
  SECTION("flag") { args.push_back("--keep-env"); }
  SECTION("environment") { options.env.push_back("PUSHRUN_KEEP_ENV=true"); }
  args.insert(args.end(), {"--", "sh", "-c", "env > \"$OUT\""});
  const ProcessResult result = Pushrun(args, options);
  REQUIRE(result.status() == 0);
  const std::string env = ReadFile(out);
  CHECK_THAT(env, Catch::Contains("JOB_TEST_TOKEN=s3cret-token\n"));
  CHECK_THAT(env, Catch::Contains("PUSHRUN_PREFIX=scrubtest\n"));
  CHECK_THAT(env, Catch::Contains("PUSHRUN_METRICS_FILE="));
}

TEST_CASE("pushrun: a nested pushrun does not take the outer run's PUSHRUN_LOCK_FILE",
          "[e2e][integration][env]") {
  TempDir dir;
  const std::string marker = dir.path + "/inner-ran";
  ProcessOptions options;
  options.env = {"PUSHRUN_LOCK_FILE=" + dir.path + "/lock", "MARK=" + marker};
  const ProcessResult result = Pushrun(
      {"--job", "outer", "--", PUSHRUN_BINARY, "--job", "inner", "--", "sh", "-c", ": > \"$MARK\""},
      options);
  CHECK(result.status() == 0);
  CHECK(fs::exists(marker));
}

#endif  // PUSHRUN_BINARY
