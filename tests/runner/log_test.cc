#include "pushrun/runner/log.h"

#include <catch2/catch.hpp>
#include <sstream>

using pushrun::runner::Logger;
using pushrun::runner::LogStyle;

TEST_CASE("Log: text messages are prefixed with pushrun and the level", "[runner][log]") {
  std::ostringstream out;
  Logger log(out);
  log.Error("it broke");
  log.Warning("careful");
  log.Info("not shown without -v");
  CHECK(out.str() == "pushrun: error: it broke\npushrun: warning: careful\n");
}

TEST_CASE("Log: -v adds info, -vv adds debug", "[runner][log]") {
  std::ostringstream out;
  Logger log(out, LogStyle::kText, 1);
  log.Info("pushed");
  log.Debug("details");
  CHECK(out.str() == "pushrun: info: pushed\n");
  std::ostringstream more;
  Logger verbose(more, LogStyle::kText, 2);
  verbose.Debug("details");
  CHECK(more.str() == "pushrun: debug: details\n");
}

TEST_CASE("Log: JSON lines carry time, level and an escaped message", "[runner][log]") {
  std::ostringstream out;
  Logger log(out, LogStyle::kJson);
  log.Error("bad \"file\"\n\tline\x01");
  const std::string line = out.str();
  CHECK_THAT(line, Catch::StartsWith("{\"time\":\""));
  CHECK_THAT(line, Catch::Contains("\"level\":\"error\""));
  CHECK_THAT(line, Catch::Contains(R"("msg":"bad \"file\"\n\tline\u0001"})"));
  CHECK(line.back() == '\n');
  CHECK(line.find('\n') == line.size() - 1);
}
