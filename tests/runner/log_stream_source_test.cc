#include <catch2/catch.hpp>
#include <sstream>

#include "pushrun/runner/log.h"

TEST_CASE("Log: a Logger built from a stream source calls it at the first message only",
          "[runner][log][fd_stream]") {
  static int calls = 0;
  static std::ostringstream* sink = nullptr;
  std::ostringstream out;
  sink = &out;
  calls = 0;
  pushrun::runner::Logger log(+[]() -> std::ostream& {
    ++calls;
    return *sink;
  });
  log.Info("hidden without -v");
  CHECK(calls == 0);
  log.Warning("one");
  log.Error("two");
  CHECK(calls == 1);
  CHECK(out.str() == "pushrun: warning: one\npushrun: error: two\n");
}
