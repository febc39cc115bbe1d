#pragma once
// A remote-write 1.0 decoder for tests, written from prompb's remote.proto and types.proto
// independently of the library's encoder: snappy block decompression (libsnappy) and a
// WriteRequest protobuf reader that refuses anything malformed.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pushrun::testing {

struct DecodedSeries {
  std::vector<std::pair<std::string, std::string>> labels;  // in the order sent
  std::vector<std::pair<double, std::int64_t>> samples;     // (value, timestamp ms)
};

struct DecodedMetadata {
  std::uint64_t type = 0;  // prompb MetricMetadata.MetricType
  std::string family_name;
  std::string help;
};

struct DecodedWriteRequest {
  std::vector<DecodedSeries> series;
  std::vector<DecodedMetadata> metadata;
};

// Throws std::runtime_error for bytes that are not a well-formed WriteRequest.
DecodedWriteRequest DecodeWriteRequest(std::string_view protobuf);
// Throws std::runtime_error for bytes that are not valid snappy block data.
std::string SnappyUncompress(std::string_view compressed);

}  // namespace pushrun::testing
