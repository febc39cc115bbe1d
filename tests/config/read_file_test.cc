// The shared bounded reader behind the config file, secret files and the runner's files.

#include "pushrun/config/read_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "pushrun/config/loader.h"
#include "support/temp_dir.h"

using pushrun::config::FileProblem;
using pushrun::config::ReadRegularFile;

TEST_CASE("ReadRegularFile: a link is followed only when asked, a FIFO refused at once",
          "[config]") {
  pushrun::testing::TempDir dir;
  const std::string file = dir.File("real", "abc");
  const std::string link = dir.path + "/link";
  REQUIRE(::symlink(file.c_str(), link.c_str()) == 0);
  std::string out;
  CHECK(ReadRegularFile(link, 100, /*follow_symlinks=*/true, &out).ok());
  CHECK(out == "abc");
  CHECK(ReadRegularFile(link, 100, /*follow_symlinks=*/false, &out).problem == FileProblem::kOpen);
  CHECK(out.empty());

  const std::string fifo = dir.path + "/fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK(ReadRegularFile(fifo, 100, true, &out).problem == FileProblem::kNotRegular);
  // The config loader uses it: a FIFO named as the config file does not hang pushrun.
  CHECK_THROWS_WITH(pushrun::config::LoadConfig(fifo), Catch::Contains("not a regular file"));

  CHECK(ReadRegularFile(file, 2, true, &out).problem == FileProblem::kTooLarge);
  CHECK(out.empty());
}
