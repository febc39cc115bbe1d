#include "pushrun/runner/sidecar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "support/temp_dir.h"

namespace {

using pushrun::runner::CheckSidecarText;
using pushrun::runner::ReadSidecarFile;
using pushrun::runner::SidecarFile;
using pushrun::runner::SidecarRules;

SidecarRules Rules() {
  SidecarRules rules;
  rules.reserved_labels = {"job", "env"};
  return rules;
}

// A fresh directory for one test, removed afterwards.
using pushrun::testing::TempDir;

}  // namespace

TEST_CASE("Sidecar: valid text gives its families", "[runner][sidecar]") {
  const auto result = CheckSidecarText(
      "# HELP rows Rows processed.\n# TYPE rows gauge\nrows{table=\"a\"} 42\nbytes_total 1e3\n",
      "f.prom", Rules());
  REQUIRE(result.ok());
  REQUIRE(result.families.size() == 2);
  CHECK(result.families[0].name == "rows");
  CHECK(result.families[0].samples[0].value == 42);
}

TEST_CASE("Sidecar: empty text is a valid sidecar without metrics", "[runner][sidecar]") {
  const auto result = CheckSidecarText("", "f.prom", Rules());
  CHECK(result.ok());
  CHECK(result.families.empty());
}

TEST_CASE("Sidecar: refusals name the file, line and column", "[runner][sidecar]") {
  struct Case {
    const char* text;
    const char* location;
    const char* words;
  };
  const Case c = GENERATE(values<Case>({
      {"ok 1\nrows 1 1700000000000\n", "f.prom:2:8: ", "timestamp"},
      {"ok 1\npushrun_exit_code 3\n", "f.prom:2:1: ", "reserved"},
      {"# TYPE pushrun_rows gauge\npushrun_rows 1\n", "f.prom:1:8: ", "reserved"},
      {"push_time_seconds 1\n", "f.prom:1:1: ", "reserved"},
      {"push_failure_time_seconds 1\n", "f.prom:1:1: ", "reserved"},
      {"rows{a=\"1\",job=\"x\"} 1\n", "f.prom:1:12: ", "job"},
      {"ok 1\nrows{env=\"prod\"} 1\n", "f.prom:2:6: ", "env"},
      {"rows 1\nrows{\n", "f.prom:2:", ""},  // a syntax error, located by the parser
  }));
  INFO(c.text);
  const auto result = CheckSidecarText(c.text, "f.prom", Rules());
  REQUIRE_FALSE(result.ok());
  CHECK(result.families.empty());
  CHECK_THAT(*result.error, Catch::StartsWith(c.location));
  CHECK_THAT(*result.error, Catch::Contains(c.words));
}

TEST_CASE("Sidecar: a custom prefix moves the reserved names", "[runner][sidecar]") {
  SidecarRules rules = Rules();
  rules.prefix = "batch";
  CHECK(CheckSidecarText("pushrun_rows 1\n", "f", rules).ok());
  CHECK_FALSE(CheckSidecarText("batch_rows 1\n", "f", rules).ok());
}

TEST_CASE("Sidecar: too many series or bytes refuse the whole file", "[runner][sidecar]") {
  SidecarRules rules = Rules();
  rules.max_series = 2;
  SECTION("series") {
    const auto result = CheckSidecarText("a 1\nb 2\nc 3\n", "f", rules);
    REQUIRE_FALSE(result.ok());
    CHECK(result.families.empty());
    CHECK_THAT(*result.error, Catch::StartsWith("f:3:"));
  }
  SECTION("bytes") {
    rules.max_bytes = 8;
    const auto result = CheckSidecarText("abc 1\nd 2\n", "f", rules);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(*result.error, Catch::Contains("f"));
  }
}

TEST_CASE("Sidecar: files are read bounded, never through symlinks or from FIFOs",
          "[runner][sidecar]") {
  TempDir dir;
  SECTION("a missing file is an empty, valid sidecar") {
    const auto result = ReadSidecarFile(dir.path + "/absent.prom", Rules());
    CHECK(result.ok());
    CHECK(result.families.empty());
  }
  SECTION("a regular file is parsed") {
    const auto result = ReadSidecarFile(dir.File("m.prom", "rows 5\n"), Rules());
    REQUIRE(result.ok());
    CHECK(result.families.at(0).samples.at(0).value == 5);
  }
  SECTION("errors carry the path") {
    const std::string path = dir.File("m.prom", "rows 5\nrows{ 1\n");
    const auto result = ReadSidecarFile(path, Rules());
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(*result.error, Catch::StartsWith(path + ":2:"));
  }
  SECTION("a file over the limit is refused without parsing") {
    SidecarRules rules = Rules();
    rules.max_bytes = 10;
    const auto result = ReadSidecarFile(dir.File("m.prom", "rows 1\nmore 2\n"), rules);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(*result.error, Catch::Contains("limit"));
  }
  SECTION("a symlink is refused") {
    const std::string target = dir.File("real.prom", "rows 1\n");
    const std::string link = dir.path + "/link.prom";
    REQUIRE(::symlink(target.c_str(), link.c_str()) == 0);
    CHECK_FALSE(ReadSidecarFile(link, Rules()).ok());
  }
  SECTION("a FIFO is refused without blocking") {
    const std::string fifo = dir.path + "/fifo.prom";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto result = ReadSidecarFile(fifo, Rules());
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(*result.error, Catch::Contains("regular"));
  }
  SECTION("a directory is refused") { CHECK_FALSE(ReadSidecarFile(dir.path, Rules()).ok()); }
}

TEST_CASE("Sidecar: a checked file's bytes are kept to be sent as they are", "[runner][sidecar]") {
  TempDir dir;
  SECTION("valid: the text as read") {
    const std::string text =
        "# HELP rows Rows.\n# TYPE rows gauge\nrows{t=\"a\"} 1\n# a note\nb 2\n";
    const auto result = ReadSidecarFile(dir.File("m.prom", text), Rules());
    REQUIRE(result.ok());
    CHECK(result.text == text);
    CHECK(result.families.size() == 2);
  }
  SECTION("HELP or TYPE of a family without samples: not as is (the families leave it out)") {
    const auto result =
        ReadSidecarFile(dir.File("m.prom", "# TYPE unused counter\nrows 1\n"), Rules());
    REQUIRE(result.ok());
    CHECK(result.text.empty());
    CHECK(result.families.size() == 1);
  }
  SECTION("refused or empty: no text") {
    CHECK(ReadSidecarFile(dir.File("bad.prom", "rows{job=\"x\"} 1\n"), Rules()).text.empty());
    CHECK(ReadSidecarFile(dir.File("empty.prom", ""), Rules()).text.empty());
  }
}

TEST_CASE("Sidecar: validate_only checks everything but keeps no samples", "[runner][sidecar]") {
  TempDir dir;
  SidecarRules rules = Rules();
  rules.validate_only = true;
  SECTION("the text is kept, the families have no samples") {
    const auto result = ReadSidecarFile(dir.File("m.prom", "rows 1\nbytes_total 2\n"), rules);
    REQUIRE(result.ok());
    CHECK(result.text == "rows 1\nbytes_total 2\n");
    REQUIRE(result.families.size() == 2);
    CHECK(result.families[0].samples.empty());
  }
  SECTION("refusals are the same, at the same place") {
    const auto result = ReadSidecarFile(dir.File("m.prom", "ok 1\nrows{env=\"prod\"} 1\n"), rules);
    REQUIRE_FALSE(result.ok());
    CHECK_THAT(*result.error, Catch::EndsWith("m.prom:2:6: label \"env\" is reserved (the job and "
                                              "grouping labels come from pushrun's command line)"));
  }
  SECTION("text that cannot go as is comes back as families with their samples") {
    const auto result =
        ReadSidecarFile(dir.File("m.prom", "# TYPE unused counter\nrows 1\n"), rules);
    REQUIRE(result.ok());
    CHECK(result.text.empty());
    REQUIRE(result.families.size() == 1);
    CHECK(result.families[0].samples.size() == 1);
  }
}

TEST_CASE("Sidecar: the private file is an empty 0600 file in a 0700 directory, removed after",
          "[runner][sidecar]") {
  std::string error;
  std::string directory;
  {
    auto sidecar = SidecarFile::CreatePrivate(&error);
    REQUIRE(sidecar.has_value());
    directory = sidecar->directory();
    struct stat st {};
    REQUIRE(::lstat(sidecar->path().c_str(), &st) == 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_size == 0);
    REQUIRE(::lstat(directory.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0700);
    CHECK(sidecar->EnvironmentEntry() == "PUSHRUN_METRICS_FILE=" + sidecar->path());
    // Whatever the command left in the directory goes too.
    std::ofstream(directory + "/leftover.tmp") << "x";
    SidecarFile moved = std::move(*sidecar);
    CHECK(std::filesystem::exists(directory));
  }
  CHECK_FALSE(std::filesystem::exists(directory));
}

// Sets an environment variable for one scope, restoring the old value (or its absence).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value, 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST_CASE("Sidecar: the private directory goes to $TMPDIR, else $XDG_RUNTIME_DIR, else a default",
          "[runner][sidecar]") {
  TempDir tmpdir;
  TempDir runtime;
  std::string error;
  auto parent_of = [](const SidecarFile& sidecar) {
    return std::filesystem::path(sidecar.directory()).parent_path().string();
  };
  SECTION("$TMPDIR wins") {
    const ScopedEnv t("TMPDIR", tmpdir.path.c_str());
    const ScopedEnv x("XDG_RUNTIME_DIR", runtime.path.c_str());
    auto sidecar = SidecarFile::CreatePrivate(&error);
    REQUIRE(sidecar.has_value());
    CHECK(parent_of(*sidecar) == tmpdir.path);
  }
  SECTION("without $TMPDIR, $XDG_RUNTIME_DIR (a tmpfs on systemd hosts)") {
    const ScopedEnv t("TMPDIR", nullptr);
    const ScopedEnv x("XDG_RUNTIME_DIR", runtime.path.c_str());
    auto sidecar = SidecarFile::CreatePrivate(&error);
    REQUIRE(sidecar.has_value());
    CHECK(parent_of(*sidecar) == runtime.path);
  }
  SECTION("an unusable $XDG_RUNTIME_DIR falls back to /dev/shm or /tmp") {
    const ScopedEnv t("TMPDIR", nullptr);
    const std::string missing = runtime.path + "/missing";
    const ScopedEnv x("XDG_RUNTIME_DIR", missing.c_str());
    auto sidecar = SidecarFile::CreatePrivate(&error);
    REQUIRE(sidecar.has_value());
    const std::string parent = parent_of(*sidecar);
    CHECK((parent == "/dev/shm" || parent == "/tmp"));
  }
}

TEST_CASE("Sidecar: a user-given path is neither created nor removed", "[runner][sidecar]") {
  TempDir dir;
  const std::string path = dir.path + "/given.prom";
  {
    const SidecarFile sidecar = SidecarFile::UseExisting(path);
    CHECK(sidecar.path() == path);
    CHECK(sidecar.directory().empty());
    CHECK_FALSE(std::filesystem::exists(path));
    std::ofstream(path) << "rows 1\n";
  }
  CHECK(std::filesystem::exists(path));
}

// The hostile command of issue 14: it replaces the folder holding $PUSHRUN_METRICS_FILE by a
// symlink to another folder, whose metrics.prom pushrun then read, pushed and unlinked.
TEST_CASE("Sidecar: a private directory swapped for a symlink is refused, the target untouched",
          "[runner][sidecar][bad-input]") {
  TempDir tmpdir;
  TempDir other;
  const std::string victim = other.path + "/metrics.prom";
  std::ofstream(victim) << "# TYPE stolen gauge\nstolen 1\n";
  const ScopedEnv t("TMPDIR", tmpdir.path.c_str());
  std::string error;
  auto sidecar = SidecarFile::CreatePrivate(&error);
  REQUIRE(sidecar.has_value());
  const std::string directory = sidecar->directory();
  std::ofstream(sidecar->path()) << "# TYPE own gauge\nown 1\n";
  const bool keep_original = GENERATE(true, false);
  CAPTURE(keep_original);
  if (keep_original) {
    std::filesystem::rename(directory, directory + ".moved");
  } else {
    std::filesystem::remove_all(directory);
  }
  std::filesystem::create_directory_symlink(other.path, directory);

  const auto result = sidecar->Read(Rules());
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(*result.error, Catch::Contains(directory + ": the private directory was replaced by "
                                                        "a symbolic link"));
  CHECK(result.families.empty());
  sidecar.reset();
  CHECK(pushrun::testing::ReadFile(victim) == "# TYPE stolen gauge\nstolen 1\n");
  CHECK(std::filesystem::is_symlink(directory));
  if (keep_original) {
    // The held directory itself was emptied through its descriptor.
    CHECK(std::filesystem::is_empty(directory + ".moved"));
  }
}

TEST_CASE("Sidecar: inside the private directory a symlink or a FIFO is refused",
          "[runner][sidecar][bad-input]") {
  TempDir other;
  const std::string victim = other.path + "/secret.prom";
  std::ofstream(victim) << "stolen 1\n";
  std::string error;
  auto sidecar = SidecarFile::CreatePrivate(&error);
  REQUIRE(sidecar.has_value());
  std::filesystem::remove(sidecar->path());
  const bool fifo = GENERATE(false, true);
  CAPTURE(fifo);
  if (fifo) {
    REQUIRE(::mkfifo(sidecar->path().c_str(), 0600) == 0);
  } else {
    std::filesystem::create_symlink(victim, sidecar->path());
  }
  const auto result = sidecar->Read(Rules());
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(*result.error, Catch::StartsWith(sidecar->path() + ": "));
  sidecar.reset();
  CHECK(std::filesystem::exists(victim));
}

TEST_CASE("Sidecar: a regular file renamed over the private sidecar is read", "[runner][sidecar]") {
  std::string error;
  auto sidecar = SidecarFile::CreatePrivate(&error);
  REQUIRE(sidecar.has_value());
  const std::string staged = sidecar->directory() + "/next.tmp";
  std::ofstream(staged) << "# TYPE rows gauge\nrows 7\n";
  std::filesystem::rename(staged, sidecar->path());
  const auto result = sidecar->Read(Rules());
  REQUIRE(result.ok());
  REQUIRE(result.families.size() == 1);
  CHECK(result.families[0].samples[0].value == 7);
  const std::string directory = sidecar->directory();
  sidecar.reset();
  CHECK_FALSE(std::filesystem::exists(directory));
}

TEST_CASE("Sidecar: a directory tree the command left in the private directory is removed",
          "[runner][sidecar]") {
  TempDir other;
  std::ofstream(other.path + "/keep") << "x";
  std::string error;
  auto sidecar = SidecarFile::CreatePrivate(&error);
  REQUIRE(sidecar.has_value());
  const std::string directory = sidecar->directory();
  std::filesystem::create_directories(directory + "/a/b");
  std::ofstream(directory + "/a/b/f") << "x";
  std::filesystem::create_directory_symlink(other.path, directory + "/a/link");
  sidecar.reset();
  CHECK_FALSE(std::filesystem::exists(directory));
  CHECK(std::filesystem::exists(other.path + "/keep"));
}
