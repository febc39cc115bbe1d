#include "pushrun/runner/command_line.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

namespace {

using pushrun::runner::CommandLineResult;
using pushrun::runner::Option;
using pushrun::runner::OptionKind;
using pushrun::runner::Verb;

// The words live as long as the test: the result's values are views into them.
struct Words {
  explicit Words(std::vector<std::string> list) : strings(std::move(list)) {
    for (const std::string& s : strings) pointers.push_back(s.c_str());
  }
  CommandLineResult Parse() const { return pushrun::runner::ParseCommandLine(pointers); }
  std::vector<std::string> strings;
  std::vector<const char*> pointers;
};

// The text with every run of spaces and newlines made one space.
std::string Unwrapped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == ' ') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string ErrorOf(std::vector<std::string> list) {
  const Words words(std::move(list));
  return words.Parse().error;
}

}  // namespace

TEST_CASE("Command line: a value is taken from the next word or after =", "[runner][cli]") {
  const Words words(GENERATE(std::vector<std::string>{"--job", "nightly"},
                             std::vector<std::string>{"--job=nightly"}));
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Given(Option::kJob));
  CHECK(result.line.Value(Option::kJob) == "nightly");
  CHECK(result.line.verb() == Verb::kNone);
  CHECK(result.line.command().empty());
}

TEST_CASE("Command line: an = value may be empty or contain = and start with -", "[runner][cli]") {
  const Words words({"--job=", "--header=X-A: b=c", "--prefix=-odd"});
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Given(Option::kJob));
  CHECK(result.line.Value(Option::kJob).empty());
  CHECK(result.line.Values(Option::kHeader) == std::vector<std::string>{"X-A: b=c"});
  CHECK(result.line.Value(Option::kPrefix) == "-odd");
}

TEST_CASE("Command line: a value given twice keeps the last one", "[runner][cli]") {
  const Words words({"--job", "a", "--job=b"});
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Value(Option::kJob) == "b");
  CHECK(result.line.Count(Option::kJob) == 2);
}

TEST_CASE("Command line: repeatable values are kept in order, short and long forms mixed",
          "[runner][cli]") {
  const Words words({"-g", "a=1", "--grouping", "b=2", "-gc=3", "--grouping=d=4", "--header",
                     "X: 1", "--header=Y: 2"});
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Values(Option::kGrouping) ==
        std::vector<std::string>{"a=1", "b=2", "c=3", "d=4"});
  CHECK(result.line.Values(Option::kHeader) == std::vector<std::string>{"X: 1", "Y: 2"});
}

TEST_CASE("Command line: -v counts however it is written", "[runner][cli]") {
  using Case = std::pair<std::vector<std::string>, int>;
  const auto [list, count] = GENERATE(Case{{}, 0}, Case{{"-v"}, 1}, Case{{"-vv"}, 2},
                                      Case{{"-v", "-v"}, 2}, Case{{"--verbose", "-vv"}, 3});
  const Words words(list);
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Count(Option::kVerbose) == count);
}

TEST_CASE("Command line: flags, aliases and short options with attached values", "[runner][cli]") {
  const Words words({"--dry-run", "--gzip", "--basic-auth-user", "me", "--basic-auth-password-file",
                     "/pw", "-c/etc/fleet.toml", "-vg", "env=prod"});
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Given(Option::kDryRun));
  CHECK(result.line.Given(Option::kGzip));
  CHECK_FALSE(result.line.Given(Option::kPushStart));
  CHECK(result.line.Value(Option::kUsername) == "me");
  CHECK(result.line.Value(Option::kPasswordFile) == "/pw");
  CHECK(result.line.Value(Option::kConfig) == "/etc/fleet.toml");
  CHECK(result.line.Count(Option::kVerbose) == 1);
  CHECK(result.line.Values(Option::kGrouping) == std::vector<std::string>{"env=prod"});
}

TEST_CASE("Command line: every word after the first -- is the command, untouched",
          "[runner][cli]") {
  const Words words({"--job", "j", "--", "sh", "--job", "--help", "--", "-v", "lint"});
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Value(Option::kJob) == "j");
  CHECK_FALSE(result.line.Given(Option::kHelp));
  CHECK(result.line.Count(Option::kVerbose) == 0);
  CHECK(result.line.verb() == Verb::kNone);
  CHECK(result.line.command() ==
        std::vector<std::string>{"sh", "--job", "--help", "--", "-v", "lint"});
}

TEST_CASE("Command line: options go before and after the verb", "[runner][cli]") {
  SECTION("delete") {
    const Words words({"--gateway", "http://g", "delete", "--job", "j", "-g", "a=b"});
    const CommandLineResult result = words.Parse();
    REQUIRE(result.ok());
    CHECK(result.line.verb() == Verb::kDelete);
    CHECK(result.line.Value(Option::kGateway) == "http://g");
    CHECK(result.line.Value(Option::kJob) == "j");
    CHECK(result.line.operands().empty());
  }
  SECTION("lint takes every FILE, options in between") {
    const Words words({"--prefix", "p", "lint", "a.prom", "--max-series", "3", "-", "b.prom"});
    const CommandLineResult result = words.Parse();
    REQUIRE(result.ok());
    CHECK(result.line.verb() == Verb::kLint);
    CHECK(result.line.operands() == std::vector<std::string>{"a.prom", "-", "b.prom"});
    CHECK(result.line.Value(Option::kMaxSeries) == "3");
  }
  SECTION("run takes a JOB and the words after --") {
    const Words words({"-c", "f.toml", "run", "nightly", "-vv", "--", "--full"});
    const CommandLineResult result = words.Parse();
    REQUIRE(result.ok());
    CHECK(result.line.verb() == Verb::kRun);
    CHECK(result.line.operands() == std::vector<std::string>{"nightly"});
    CHECK(result.line.Count(Option::kVerbose) == 2);
    CHECK(result.line.command() == std::vector<std::string>{"--full"});
  }
  SECTION("a verb's operand may be named like a verb") {
    const Words words({"run", "check"});
    const CommandLineResult result = words.Parse();
    REQUIRE(result.ok());
    CHECK(result.line.verb() == Verb::kRun);
    CHECK(result.line.operands() == std::vector<std::string>{"check"});
  }
  SECTION("every verb is recognised") {
    for (const auto& verb : pushrun::runner::VerbTable()) {
      std::vector<std::string> list{std::string(verb.name)};
      if (verb.min_operands > 0) list.push_back("x");
      const Words words(list);
      const CommandLineResult result = words.Parse();
      REQUIRE(result.ok());
      CHECK(result.line.verb() == verb.verb);
    }
  }
}

TEST_CASE("Command line: --help and --version stop the parse", "[runner][cli]") {
  SECTION("--help after a verb that lacks its operand") {
    const Words words({"lint", "--help", "--no-such-option"});
    const CommandLineResult result = words.Parse();
    REQUIRE(result.ok());
    CHECK(result.line.Given(Option::kHelp));
  }
  SECTION("-h inside a bundle") {
    const Words words({"-vh"});
    const CommandLineResult result = words.Parse();
    REQUIRE(result.ok());
    CHECK(result.line.Given(Option::kHelp));
  }
  SECTION("--version") {
    const Words words({"--version", "run"});
    const CommandLineResult result = words.Parse();
    REQUIRE(result.ok());
    CHECK(result.line.Given(Option::kVersion));
  }
}

TEST_CASE("Command line: an unknown option is named, with the closest known one", "[runner][cli]") {
  CHECK(ErrorOf({"--gatway", "x"}) == "unknown option --gatway (did you mean --gateway?)");
  CHECK(ErrorOf({"--basic-auth-usr=me"}) ==
        "unknown option --basic-auth-usr (did you mean --basic-auth-user?)");
  CHECK(ErrorOf({"--frobnicate"}) == "unknown option --frobnicate");
  CHECK(ErrorOf({"-x"}) == "unknown option -x");
  // CLI11 splits a bundle before we see it: the unknown letter is named alone.
  CHECK(ErrorOf({"-vx"}) == "unknown option -x");
}

TEST_CASE("Command line: a missing value names the option and its value", "[runner][cli]") {
  CHECK(ErrorOf({"--job"}) == "--job needs a value: --job NAME");
  CHECK(ErrorOf({"-g"}) == "-g needs a value: -g KEY=VALUE");
  CHECK(ErrorOf({"--timeout", "--", "true"}) == "--timeout needs a value: --timeout DURATION");
  CHECK(ErrorOf({"--job", "--gateway", "http://g"}) ==
        "--job needs a value: --job NAME (\"--gateway\" looks like an option; if it is the "
        "value, write --job=--gateway)");
}

TEST_CASE("Command line: a flag given a value is refused", "[runner][cli]") {
  CHECK(ErrorOf({"--dry-run=yes"}) == "--dry-run takes no value (given \"yes\")");
  CHECK(ErrorOf({"-v=2"}) == "a short flag takes no value (given \"2\")");
}

TEST_CASE("Command line: verbs and stray words are checked", "[runner][cli]") {
  CHECK(ErrorOf({"delete", "lint"}) == "only one verb at a time: delete and lint");
  CHECK(ErrorOf({"jobs", "jobs"}) == "only one verb at a time: jobs and jobs");
  CHECK(ErrorOf({"delete", "extra"}) ==
        "delete takes no arguments (given \"extra\"); a command goes after --");
  CHECK(ErrorOf({"run", "a", "b"}) == "run takes one JOB (given \"a\" and \"b\")");
  CHECK(ErrorOf({"lint"}) ==
        "lint needs at least one FILE (\"-\" for stdin): pushrun lint FILE...");
  CHECK(ErrorOf({"run", "--", "x"}) == "run needs a JOB: pushrun run JOB");
  CHECK(ErrorOf({"chek"}) ==
        "unexpected argument \"chek\" (did you mean the verb check?); the command goes after --: "
        "pushrun [OPTIONS] -- COMMAND [ARGS...]");
  CHECK(ErrorOf({"rm", "-rf"}).starts_with("unexpected argument \"rm\"; the command goes after"));
}

TEST_CASE("Command line: the option table is consistent", "[runner][cli]") {
  for (const auto& spec : pushrun::runner::OptionTable()) {
    INFO(spec.long_name);
    CHECK(&pushrun::runner::SpecOf(spec.option) == &spec);
    CHECK_FALSE(spec.help.empty());
    const bool takes_value =
        spec.kind == OptionKind::kValue || spec.kind == OptionKind::kRepeatableValue;
    CHECK(takes_value == !spec.value_name.empty());
  }
}

TEST_CASE("Command line: --help lists every option of the table and every verb", "[runner][cli]") {
  const std::string help = pushrun::runner::HelpText();
  for (const auto& spec : pushrun::runner::OptionTable()) {
    std::string tag = "  ";
    if (spec.short_name != '\0') tag += std::string("-") + spec.short_name + ",";
    tag += "--" + std::string(spec.long_name);
    if (!spec.alias.empty()) tag += ",--" + std::string(spec.alias);
    if (!spec.value_name.empty()) tag += " " + std::string(spec.value_name);
    INFO(tag);
    // A tag too wide for the left column stands on a line of its own.
    std::size_t at = help.find("\n" + tag + " ");
    if (at == std::string::npos) at = help.find("\n" + tag + "\n");
    REQUIRE(at != std::string::npos);
    // Its help text follows, wrapped over as many lines as it takes.
    std::size_t entry_end = help.find('\n', at + 1);
    while (help.compare(entry_end + 1, 30, std::string(30, ' ')) == 0) {
      entry_end = help.find('\n', entry_end + 1);
    }
    CHECK(Unwrapped(help.substr(at, entry_end - at)).ends_with(" " + std::string(spec.help)));
  }
  for (const auto& verb : pushrun::runner::VerbTable()) {
    CHECK(help.find("\n  " + std::string(verb.name) + "  ") != std::string::npos);
  }
  for (const char* group : {"\nRun:\n", "\nReport:\n", "\nPush:\n", "\nOutput:\n", "\nGeneral:\n",
                            "\nSubcommands:\n"}) {
    CHECK(help.find(group) != std::string::npos);
  }
  CHECK(help.starts_with("Usage: pushrun [OPTIONS] -- COMMAND [ARGS...]\n"));
  CHECK(help.back() == '\n');
}

TEST_CASE("Command line: --help's option and verb lines fit 80 columns", "[runner][cli]") {
  const std::string help = pushrun::runner::HelpText();
  std::size_t start = 0;
  while (start < help.size()) {
    const std::size_t end = help.find('\n', start);
    const std::string line = help.substr(start, end - start);
    INFO(line);
    if (line.starts_with(" ")) CHECK(line.size() <= 80);
    start = end + 1;
  }
}

TEST_CASE("Command line: a value in brackets or with commas stays one value", "[runner][cli]") {
  const Words words({"--header", "X-A: [a,b]", "-g", "v=[1,2]", "--job", "[j]"});
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Values(Option::kHeader) == std::vector<std::string>{"X-A: [a,b]"});
  CHECK(result.line.Values(Option::kGrouping) == std::vector<std::string>{"v=[1,2]"});
  CHECK(result.line.Value(Option::kJob) == "[j]");
}

TEST_CASE("Command line: \"--job=\" is an empty value, and the next word is not taken",
          "[runner][cli]") {
  const Words words({"--job=", "delete"});
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Given(Option::kJob));
  CHECK(result.line.Value(Option::kJob).empty());
  CHECK(result.line.verb() == Verb::kDelete);
}

TEST_CASE("Command line: --gateway and --remote-write repeat, each list in the order given",
          "[runner][cli][targets]") {
  const Words words({"--remote-write", "http://r1/api/v1/write", "--gateway", "http://g1:9091",
                     "--gateway=http://g2:9091", "delete", "--remote-write",
                     "http://r2/api/v1/write"});
  const CommandLineResult result = words.Parse();
  REQUIRE(result.ok());
  CHECK(result.line.Values(Option::kGateway) ==
        std::vector<std::string>{"http://g1:9091", "http://g2:9091"});
  CHECK(result.line.Values(Option::kRemoteWrite) ==
        std::vector<std::string>{"http://r1/api/v1/write", "http://r2/api/v1/write"});
  CHECK(pushrun::runner::SpecOf(Option::kGateway).kind == OptionKind::kRepeatableValue);
  CHECK(pushrun::runner::SpecOf(Option::kRemoteWrite).kind == OptionKind::kRepeatableValue);
}
