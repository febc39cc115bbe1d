// README.md's C++ examples are the files under examples/, which CI compiles: every ```cpp block
// must be one of those files, byte for byte, and every file must appear in the README.

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The contents of the ```cpp fenced blocks, each ending in "\n" like a source file.
std::vector<std::string> CppBlocks(const std::string& markdown) {
  std::vector<std::string> blocks;
  std::istringstream in(markdown);
  std::string line;
  std::string block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line == "```cpp") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  return blocks;
}

}  // namespace

TEST_CASE("README: every C++ example is a compiled file under examples/", "[docs]") {
  const std::filesystem::path source_dir = PUSHRUN_SOURCE_DIR;
  const std::string readme = ReadFile(source_dir / "README.md");
  REQUIRE(readme.find("\n## Library\n") != std::string::npos);
  std::map<std::string, std::string> examples;  // file name -> contents
  for (const auto& entry : std::filesystem::directory_iterator(source_dir / "examples")) {
    if (entry.path().extension() == ".cc") {
      examples[entry.path().filename().string()] = ReadFile(entry.path());
    }
  }
  REQUIRE_FALSE(examples.empty());

  const std::vector<std::string> blocks = CppBlocks(readme);
  CHECK_FALSE(blocks.empty());
  std::map<std::string, int> embedded;
  for (const std::string& block : blocks) {
    std::string match;
    for (const auto& [name, text] : examples) {
      if (text == block) match = name;
    }
    INFO("README block:\n" << block);
    CHECK_FALSE(match.empty());
    ++embedded[match];
  }
  for (const auto& [name, text] : examples) {
    INFO("examples/" << name << " is not embedded in README.md");
    CHECK(embedded[name] >= 1);
  }
}

TEST_CASE("README: the examples show labels by name, one catch of the base and a result's headers",
          "[docs]") {
  const std::filesystem::path source_dir = PUSHRUN_SOURCE_DIR;
  std::string all;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir / "examples")) {
    if (entry.path().extension() == ".cc") all += ReadFile(entry.path());
  }
  CHECK_THAT(all, Catch::Contains(".Labels({{\""));
  CHECK_THAT(all, Catch::Contains("catch (const Error& error)"));
  CHECK_THAT(all, Catch::Contains("result.headers"));
  // Pushes are text or protobuf now; the README must not say otherwise.
  const std::string readme = ReadFile(source_dir / "README.md");
  CHECK_THAT(readme, !Catch::Contains("always text 0.0.4"));
  CHECK_THAT(readme, !Catch::Contains("std::invalid_argument` for"));
}
