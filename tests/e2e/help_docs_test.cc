// The README's CLI reference is pushrun's --help, word for word.

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "support/run_process.h"

TEST_CASE("README: the CLI reference is exactly pushrun --help", "[docs][e2e]") {
  std::ifstream in(PUSHRUN_SOURCE_DIR "/README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  const std::string text = readme.str();
  const std::string begin = "<!-- pushrun --help: begin -->\n```\n";
  const std::string end = "\n```\n<!-- pushrun --help: end -->";
  std::size_t from = text.find(begin);
  REQUIRE(from != std::string::npos);
  from += begin.size();
  std::size_t to = text.find(end, from);
  REQUIRE(to != std::string::npos);

  auto help = pushrun::testing::RunProcess({PUSHRUN_BINARY, "--help"});
  REQUIRE(help.status() == 0);
  std::string expected = help.out;
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  CHECK(text.substr(from, to - from) == expected);
}
