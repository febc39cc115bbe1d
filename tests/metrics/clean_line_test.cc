#include "../../metrics/src/clean_line.h"

#include <catch2/catch.hpp>
#include <string>

namespace pushrun::metrics::detail {
namespace {

TEST_CASE("Reply text: one line, controls escaped, UTF-8 kept", "[metrics][clean-line]") {
  CHECK(CleanLine("bad request\n") == "bad request");
  CHECK(CleanLine("  line one\r\n\r\n\tline two  \n") == "line one line two");
  CHECK(CleanLine("red \x1b[31mALERT\x1b[0m") == "red \\x1b[31mALERT\\x1b[0m");
  CHECK(CleanLine(std::string("nul\0byte\x7f", 9)) == "nul\\x00byte\\x7f");
  CHECK(CleanLine("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93");
  // C1 controls (U+009B is CSI), stray and overlong bytes are escaped, not passed on.
  CHECK(CleanLine("a\xc2\x9b"
                  "b") == "a\\xc2\\x9bb");
  CHECK(CleanLine("a\x9b"
                  "b\xff") == "a\\x9bb\\xff");
  CHECK(CleanLine("\xc0\xaf") == "\\xc0\\xaf");
  CHECK(CleanLine("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a UTF-16 surrogate
  CHECK(CleanLine("\xe2\x9c") == "\\xe2\\x9c");           // cut short
}

TEST_CASE("Reply text: cut at 1 KiB with a note of how much was left out",
          "[metrics][clean-line]") {
  const std::string body = std::string(1024, 'a') + std::string(12345, 'b');
  const std::string line = CleanLine(body);
  CHECK(line == std::string(1024, 'a') + "\u2026 (12345 more bytes)");
  CHECK(CleanLine(std::string(1024, 'a') + "   \n") == std::string(1024, 'a'));
  // An escape is never split: the line stays within the bound.
  std::string escapes;
  for (int i = 0; i < 256; ++i) escapes += "\\x1b";
  CHECK(CleanLine(std::string(2000, '\x1b')) == escapes + "\u2026 (1744 more bytes)");
}

TEST_CASE("Reply text: 100 MB of anything gives a short line", "[metrics][clean-line]") {
  const std::string blanks(100 << 20, '\n');
  CHECK(CleanLine(blanks) == "\u2026 (104856576 more bytes)");
  const std::string body(100 << 20, 'x');
  CHECK(CleanLine(body).size() < 1100);
}

}  // namespace
}  // namespace pushrun::metrics::detail
