// The README's CLI reference is pushrun's --help, word for word, and every flag the README's
// prose names is one --help lists.

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "support/run_process.h"

namespace {

std::string Readme() {
  std::ifstream in(PUSHRUN_SOURCE_DIR "/README.md");
  std::stringstream readme;
  readme << in.rdbuf();
  return readme.str();
}

std::string Help() {
  auto help = pushrun::testing::RunProcess({PUSHRUN_BINARY, "--help"});
  REQUIRE(help.status() == 0);
  return help.out;
}

bool IsFlagChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// "--name" at `at` in `text`, or "" when no flag starts there. A dotted name such as
// Prometheus' `--web.enable-remote-write-receiver` belongs to another program: pushrun's flags
// have no dots.
std::string FlagAt(const std::string& text, std::size_t at) {
  if (text.compare(at, 2, "--") != 0 || at + 2 >= text.size()) return {};
  if (text[at + 2] < 'a' || text[at + 2] > 'z') return {};
  std::size_t end = at + 2;
  while (end < text.size() && IsFlagChar(text[end])) ++end;
  if (end < text.size() && text[end] == '.') return {};
  return text.substr(at, end - at);
}

}  // namespace

TEST_CASE("README: the CLI reference is exactly pushrun --help", "[docs][e2e]") {
  const std::string text = Readme();
  const std::string begin = "<!-- pushrun --help: begin -->\n```\n";
  const std::string end = "\n```\n<!-- pushrun --help: end -->";
  std::size_t from = text.find(begin);
  REQUIRE(from != std::string::npos);
  from += begin.size();
  std::size_t to = text.find(end, from);
  REQUIRE(to != std::string::npos);

  std::string expected = Help();
  while (!expected.empty() && expected.back() == '\n') expected.pop_back();
  CHECK(text.substr(from, to - from) == expected);
}

TEST_CASE("README: every flag its text names in `code` is one that --help lists", "[docs][e2e]") {
  const std::string text = Readme();
  const std::string help = Help();
  std::set<std::string> named;  // `--flag`, `--flag VALUE`, `--flag=...`
  for (std::size_t open = text.find('`'); open != std::string::npos;) {
    const std::size_t close = text.find('`', open + 1);
    if (close == std::string::npos) break;
    if (text.find('\n', open) > close) {
      if (std::string flag = FlagAt(text, open + 1); !flag.empty()) named.insert(flag);
    }
    open = text.find('`', close + 1);
  }
  REQUIRE(named.size() > 20);  // the README names most of them; a parse that finds none is wrong
  // The long names of --help's option lines: "  -g,--grouping KEY=VALUE   text".
  std::set<std::string> listed;
  std::istringstream lines(help);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("  -")) continue;
    const std::string tag = line.substr(0, line.find("  ", 2));
    for (std::size_t at = tag.find("--"); at != std::string::npos; at = tag.find("--", at + 2)) {
      listed.insert(FlagAt(tag, at));
    }
  }
  for (const std::string& flag : named) {
    INFO(flag);
    CHECK(listed.contains(flag));
  }
}
