#include "pushrun/runner/atomic_file.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/temp_dir.h"

namespace fs = std::filesystem;
using pushrun::runner::WriteFileAtomically;

namespace {
using pushrun::testing::ReadFile;
using pushrun::testing::TempDir;
}  // namespace

TEST_CASE("WriteFileAtomically: replaces the content and leaves no temporary file",
          "[runner][atomic]") {
  const TempDir dir;
  const fs::path target = fs::path(dir.path) / "job.prom";
  REQUIRE(WriteFileAtomically(target, "a 1\n").empty());
  REQUIRE(WriteFileAtomically(target, "a 2\n", 0600).empty());
  CHECK(ReadFile(target) == "a 2\n");
  struct stat st {};
  REQUIRE(::stat(target.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("WriteFileAtomically: a missing directory is an error that names it",
          "[runner][atomic]") {
  std::string error = WriteFileAtomically("/nonexistent-pushrun-dir/x.prom", "x 1\n");
  CHECK_THAT(error, Catch::Contains("/nonexistent-pushrun-dir"));
}
