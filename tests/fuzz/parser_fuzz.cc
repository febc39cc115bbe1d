// Fuzzes the strict text parser. Properties checked on every input:
// - an error points inside the input (its line exists, its column is within that line + 1)
//   and has a message;
// - accepted input, written back with WriteText, parses again to exactly the same families;
// - accepted input converts to protobuf (a large sidecar's way to the gateway) without a crash,
//   into a sequence of length-delimited messages that exactly fills the output.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/protobuf.h"

namespace {

using pushrun::metrics::MetricFamily;
using pushrun::metrics::ParseOptions;
using pushrun::metrics::ParseResult;
using pushrun::metrics::ParseText;

[[noreturn]] void Die(const char* what, std::string_view detail) {
  std::fprintf(stderr, "parser_fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool SameValue(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof a) == 0;  // -0 and +0 must survive too
}

bool SameFamilies(const std::vector<MetricFamily>& x, const std::vector<MetricFamily>& y) {
  if (x.size() != y.size()) return false;
  for (std::size_t f = 0; f < x.size(); ++f) {
    const MetricFamily& a = x[f];
    const MetricFamily& b = y[f];
    if (a.name != b.name || a.help != b.help || a.type != b.type ||
        a.samples.size() != b.samples.size()) {
      return false;
    }
    for (std::size_t s = 0; s < a.samples.size(); ++s) {
      const auto& p = a.samples[s];
      const auto& q = b.samples[s];
      if (p.name != q.name || p.labels != q.labels || !SameValue(p.value, q.value) ||
          p.timestamp_ms != q.timestamp_ms) {
        return false;
      }
    }
  }
  return true;
}

void CheckErrorPosition(std::string_view text, const pushrun::metrics::ParseError& error) {
  if (error.line < 1 || error.column < 1 || error.message.empty()) {
    Die("error without a position or message", error.message);
  }
  std::size_t start = 0;
  for (std::size_t line = 1; line < error.line; ++line) {
    const std::size_t newline = text.find('\n', start);
    if (newline == std::string_view::npos) Die("error line beyond the input", error.message);
    start = newline + 1;
  }
  const std::size_t newline = text.find('\n', start);
  const std::size_t length = (newline == std::string_view::npos ? text.size() : newline) - start;
  if (error.column > length + 1) Die("error column beyond the line", error.message);
}

// `bytes` is `count` messages, each a varint length and that many bytes, and nothing else.
void CheckDelimited(std::string_view bytes, std::size_t count) {
  std::size_t messages = 0;
  while (!bytes.empty()) {
    std::uint64_t length = 0;
    int shift = 0;
    std::size_t used = 0;
    for (;; ++used, shift += 7) {
      if (used >= bytes.size() || shift > 63) Die("protobuf: a broken length prefix", bytes);
      const auto byte = static_cast<unsigned char>(bytes[used]);
      length |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
    bytes.remove_prefix(used + 1);
    if (length > bytes.size()) Die("protobuf: a message longer than the output", bytes);
    bytes.remove_prefix(length);
    ++messages;
  }
  if (messages != count) Die("protobuf: not one message per family", {});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseOptions options;
  options.max_series = 10'000;
  const ParseResult first = ParseText(text, options);
  if (!first.ok()) {
    if (!first.families.empty()) Die("families returned with an error", text);
    CheckErrorPosition(text, *first.error);
    return 0;
  }
  const std::string written = pushrun::metrics::WriteText(first.families);
  options.max_bytes = std::numeric_limits<std::size_t>::max();
  const ParseResult second = ParseText(written, options);
  if (!second.ok()) {
    Die("WriteText output of accepted input does not parse",
        second.error->Format("written") + "\n" + written);
  }
  if (!SameFamilies(first.families, second.families)) {
    Die("families changed through WriteText and ParseText", written);
  }
  CheckDelimited(pushrun::metrics::WriteProtobuf(first.families), first.families.size());
  return 0;
}
