// Fuzzes the remote-write encoder (EncodeWriteRequest) on whatever the strict parser accepts,
// as a sidecar file reaches it. Properties checked on every accepted input:
// - it throws PushError(kValidation) exactly when a sample has a timestamp or carries "job" or
//   the write's own label "group", and nothing else ever escapes;
// - otherwise the output decodes (with the tests' independent decoder) to one series per sample,
//   labels sorted and unique, no empty value, __name__ = the sample's name, job and group added,
//   one point with the sample's value at the write's timestamp;
// - snappy compression round-trips it.

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <string_view>

#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/remote_write.h"
#include "snappy_block.h"
#include "support/remote_write_decoder.h"

namespace {

using namespace pushrun::metrics;

[[noreturn]] void Die(const char* what, std::string_view detail) {
  std::fprintf(stderr, "remote_write_fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool SameValue(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ParseResult parsed = ParseText(text, {.max_bytes = 1 << 20, .max_series = 10'000});
  if (!parsed.ok()) return 0;
  const RemoteWriteParams params{
      .job_name = "fuzz", .labels = {{"group", "g"}}, .timestamp_ms = -1'700'000'000'123};

  bool refusable = false;
  std::size_t samples = 0;
  for (const MetricFamily& family : parsed.families) {
    for (const Sample& sample : family.samples) {
      ++samples;
      if (sample.timestamp_ms) refusable = true;
      for (const Label& label : sample.labels) {
        if (label.name == "job" || label.name == "group") refusable = true;
      }
    }
  }
  std::string protobuf;
  try {
    protobuf = EncodeWriteRequest(parsed.families, params);
  } catch (const PushError& e) {
    if (!refusable || e.category() != ErrorCategory::kValidation) Die("refused", e.what());
    return 0;
  }
  if (refusable) Die("accepted a write it must refuse", text);

  const auto decoded = pushrun::testing::DecodeWriteRequest(protobuf);
  if (decoded.series.size() != samples) Die("series count", text);
  std::size_t i = 0;
  for (const MetricFamily& family : parsed.families) {
    for (const Sample& sample : family.samples) {
      const auto& series = decoded.series[i++];
      std::map<std::string, std::string> want{
          {"__name__", sample.name}, {"job", "fuzz"}, {"group", "g"}};
      for (const Label& label : sample.labels) {
        if (!label.value.empty()) want[label.name] = label.value;
      }
      for (std::size_t l = 1; l < series.labels.size(); ++l) {
        if (!(series.labels[l - 1].first < series.labels[l].first)) Die("label order", text);
      }
      const std::map<std::string, std::string> got(series.labels.begin(), series.labels.end());
      if (got != want) Die("labels differ", text);
      if (series.samples.size() != 1 || series.samples[0].second != params.timestamp_ms ||
          !SameValue(series.samples[0].first, sample.value)) {
        Die("sample differs", text);
      }
    }
  }
  if (pushrun::testing::SnappyUncompress(detail::SnappyCompress(protobuf)) != protobuf) {
    Die("snappy round trip", text);
  }
  return 0;
}
