// The pushrun binary with hostile sidecars: the error is one clear line, the command's status
// is kept, the core report still reaches the gateway (sidecar_valid 0), and a 1 GiB file is
// refused without being read into memory.

#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/pushgateway_process.h"
#include "support/pushrun_binary.h"

#ifdef PUSHRUN_BINARY

namespace {

using pushrun::testing::ProcessResult;
using pushrun::testing::PushedValue;
using pushrun::testing::PushgatewayProcess;
using pushrun::testing::Pushrun;

std::size_t CountLines(const std::string& text) {
  std::size_t n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

}  // namespace

TEST_CASE("pushrun (bad input): a 1 GiB sidecar is refused in small memory, core report pushed",
          "[e2e][bad-input][integration]") {
  PushgatewayProcess gateway;
  // The outer pushrun measures the inner one: its report's max RSS is the inner's peak.
  const ProcessResult result =
      Pushrun({"--gateway", gateway.url(), "--job", "outer", "--", PUSHRUN_BINARY, "--gateway",
               gateway.url(), "--job", "huge", "--", "/bin/sh", "-c",
               "truncate -s 1G \"$PUSHRUN_METRICS_FILE\"; exit 4"});
  CHECK(result.status() == 4);
  CHECK_THAT(result.err, Catch::Contains("sidecar refused: "));
  CHECK_THAT(result.err,
             Catch::Contains(": 1073741824 bytes, larger than the limit of 16777216 bytes"));
  CHECK(PushedValue(gateway, "pushrun_exit_code", "huge") == 4.0);
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "huge") == 0.0);
  const auto rss = PushedValue(gateway, "pushrun_max_rss_bytes", "outer");
  REQUIRE(rss.has_value());
  CHECK(*rss < 64.0 * 1024 * 1024);
}

TEST_CASE("pushrun (bad input): hostile sidecars give one error line and the core report",
          "[e2e][bad-input][integration]") {
  PushgatewayProcess gateway;
  const std::string script = GENERATE(
      as<std::string>{},
      "head -c 65536 /dev/urandom",                      // binary garbage
      "printf 'a 1\\000\\n'",                            // a NUL byte
      "head -c 1048576 /dev/zero | tr '\\000' n; echo",  // a 1 MB line
      "printf 'x{'; for i in $(seq 2000); do printf 'a=\"1\",'; done; echo '} 1'",  // repeats
      "printf 'x{l=\"\\377\\376\"} 1\\n'",                                          // invalid UTF-8
      "printf 'a 1\\nb 1\\nc 1\\nd 1\\n'");  // over --max-series 3
  CAPTURE(script);
  const ProcessResult result =
      Pushrun({"--gateway", gateway.url(), "--job", "hostile", "--max-series", "3", "--", "/bin/sh",
               "-c", "{ " + script + "; } > \"$PUSHRUN_METRICS_FILE\"; exit 9"});
  CHECK(result.status() == 9);
  CHECK_THAT(result.err, Catch::StartsWith("pushrun: error: sidecar refused: "));
  CHECK(CountLines(result.err) == 1);
  CHECK(result.err.size() < 512);
  CHECK(PushedValue(gateway, "pushrun_exit_code", "hostile") == 9.0);
  CHECK(PushedValue(gateway, "pushrun_sidecar_valid", "hostile") == 0.0);
}

#endif  // PUSHRUN_BINARY
