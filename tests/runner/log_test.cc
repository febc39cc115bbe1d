#include "pushrun/runner/log.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "pushrun/metrics/names.h"

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

TEST_CASE("Log: JSON lines replace bytes that are not UTF-8 and keep UTF-8 as it is",
          "[runner][log]") {
  std::ostringstream out;
  Logger log(out, LogStyle::kJson);
  // A lone 0xff, a truncated two-byte sequence, an overlong '/', then real UTF-8 (é, €).
  log.Error("a\xff b\xc3 c\xc0\xaf d\xc3\xa9\xe2\x82\xac");
  const std::string line = out.str();
  CHECK_THAT(line, Catch::Contains(
                       "\"msg\":\"a\\ufffd b\\ufffd c\\ufffd\\ufffd d\xc3\xa9\xe2\x82\xac\"}"));
  CHECK(pushrun::metrics::IsValidUtf8(line));
}
