#include "pushrun/config/signal_name.h"

#include <catch2/catch.hpp>
#include <csignal>
#include <string>

namespace pushrun::config {
namespace {

TEST_CASE("Signal names: with or without SIG, any case, or a number", "[config][signal]") {
  struct Case {
    const char* text;
    int number;
  };
  const Case c = GENERATE(values<Case>({
      {"TERM", SIGTERM},
      {"SIGTERM", SIGTERM},
      {"term", SIGTERM},
      {"sigkill", SIGKILL},
      {"KILL", SIGKILL},
      {"INT", SIGINT},
      {"HUP", SIGHUP},
      {"QUIT", SIGQUIT},
      {"USR1", SIGUSR1},
      {"SIGUSR2", SIGUSR2},
      {"15", 15},
      {"9", 9},
      {"64", 64},
  }));
  CAPTURE(c.text);
  std::string error;
  const auto signal = ParseSignal(c.text, &error);
  REQUIRE(signal.has_value());
  CHECK(*signal == c.number);
}

TEST_CASE("Signal names: unknown names and numbers out of range are refused", "[config][signal]") {
  const char* text = GENERATE("", "TERMINATE", "SIG", "0", "65", "-15", "15x", "SIG TERM");
  CAPTURE(text);
  std::string error;
  CHECK_FALSE(ParseSignal(text, &error).has_value());
  CHECK_FALSE(error.empty());
}

TEST_CASE("Signal names: SignalName names the common signals", "[config][signal]") {
  CHECK(SignalName(SIGTERM) == "TERM");
  CHECK(SignalName(SIGKILL) == "KILL");
  CHECK(SignalName(40) == "40");
}

}  // namespace
}  // namespace pushrun::config
