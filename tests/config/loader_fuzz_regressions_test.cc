// Inputs found by tests/fuzz/config_fuzz.cc. Each must give a ConfigError or a loaded file,
// never undefined behaviour (the ASan+UBSan build, `make sanitize`, checks the latter).

#include <catch2/catch.hpp>
#include <string>

#include "pushrun/config/error.h"
#include "pushrun/config/loader.h"

using pushrun::config::ConfigError;
using pushrun::config::ParseConfig;

namespace {
const pushrun::config::GetEnv kNoEnvironment = [](const char*) -> const char* { return nullptr; };
}

TEST_CASE(
    "Config loader: a non-ASCII character where whitespace may stand is an error, not undefined "
    "behaviour in toml++",
    "[config][loader][fuzz]") {
  const std::string text = GENERATE(as<std::string>{},
                                    "2\xCD\xA9",                         // the fuzzer's find
                                    "[gateway]\nretries = 2\xC3\xA9\n",  // U+00E9 after a value
                                    "[defaults]\n\xC2\xA7 = 1\n",        // U+00A7 as a key
                                    "s = \"\"\"\\\n\xC2\xA7\"\"\"\n");   // toml++ issue #190
  CAPTURE(text);
  CHECK_THROWS_AS(ParseConfig(text, "fleet.toml", kNoEnvironment), ConfigError);
}

TEST_CASE("Config loader: non-ASCII text inside strings still loads", "[config][loader][fuzz]") {
  const auto fleet = ParseConfig("[defaults]\ngrouping = { team = \"caf\xC3\xA9 \xC2\xA7\" }\n",
                                 "fleet.toml", kNoEnvironment);
  CHECK(fleet.gateway_and_defaults.grouping.at("team") == "caf\xC3\xA9 \xC2\xA7");
}
