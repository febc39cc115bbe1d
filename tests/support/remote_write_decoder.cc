#include "support/remote_write_decoder.h"

#include <snappy.h>

#include <cstring>
#include <stdexcept>

namespace pushrun::testing {
namespace {

// One protobuf message's fields in order, checked against its bounds.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool Done() const { return pos_ == bytes_.size(); }

  // The next field's number and wire type.
  std::pair<std::uint32_t, std::uint32_t> Key() {
    const std::uint64_t key = Varint();
    if ((key >> 3) == 0 || (key >> 3) > 0x1fffffff) Fail("bad field number");
    return {static_cast<std::uint32_t>(key >> 3), static_cast<std::uint32_t>(key & 7)};
  }
  std::uint64_t Varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) Fail("truncated varint");
      const auto byte = static_cast<unsigned char>(bytes_[pos_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    Fail("varint longer than 10 bytes");
  }
  std::string_view Bytes() {
    const std::uint64_t size = Varint();
    if (size > bytes_.size() - pos_) Fail("length past the end");
    std::string_view out = bytes_.substr(pos_, size);
    pos_ += size;
    return out;
  }
  double Double() {
    if (bytes_.size() - pos_ < 8) Fail("truncated double");
    double value;
    std::memcpy(&value, bytes_.data() + pos_, 8);
    pos_ += 8;
    return value;
  }
  void Expect(std::uint32_t wire, std::uint32_t wanted) {
    if (wire != wanted) Fail("unexpected wire type " + std::to_string(wire));
  }
  [[noreturn]] void Fail(const std::string& why) const {
    throw std::runtime_error("malformed WriteRequest at byte " + std::to_string(pos_) + ": " + why);
  }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

std::pair<std::string, std::string> DecodeLabel(std::string_view bytes) {
  Reader r(bytes);
  std::pair<std::string, std::string> label;
  while (!r.Done()) {
    auto [field, wire] = r.Key();
    r.Expect(wire, 2);
    if (field == 1) {
      label.first = r.Bytes();
    } else if (field == 2) {
      label.second = r.Bytes();
    } else {
      r.Fail("unknown Label field " + std::to_string(field));
    }
  }
  return label;
}

std::pair<double, std::int64_t> DecodeSample(std::string_view bytes) {
  Reader r(bytes);
  std::pair<double, std::int64_t> sample{0, 0};
  while (!r.Done()) {
    auto [field, wire] = r.Key();
    if (field == 1) {
      r.Expect(wire, 1);
      sample.first = r.Double();
    } else if (field == 2) {
      r.Expect(wire, 0);
      sample.second = static_cast<std::int64_t>(r.Varint());
    } else {
      r.Fail("unknown Sample field " + std::to_string(field));
    }
  }
  return sample;
}

DecodedSeries DecodeSeries(std::string_view bytes) {
  Reader r(bytes);
  DecodedSeries series;
  while (!r.Done()) {
    auto [field, wire] = r.Key();
    r.Expect(wire, 2);
    if (field == 1) {
      series.labels.push_back(DecodeLabel(r.Bytes()));
    } else if (field == 2) {
      series.samples.push_back(DecodeSample(r.Bytes()));
    } else {
      r.Fail("unexpected TimeSeries field " + std::to_string(field));
    }
  }
  return series;
}

DecodedMetadata DecodeMetadata(std::string_view bytes) {
  Reader r(bytes);
  DecodedMetadata metadata;
  while (!r.Done()) {
    auto [field, wire] = r.Key();
    if (field == 1) {
      r.Expect(wire, 0);
      metadata.type = r.Varint();
    } else if (field == 2) {
      r.Expect(wire, 2);
      metadata.family_name = r.Bytes();
    } else if (field == 4) {
      r.Expect(wire, 2);
      metadata.help = r.Bytes();
    } else {
      r.Fail("unexpected MetricMetadata field " + std::to_string(field));
    }
  }
  return metadata;
}

}  // namespace

DecodedWriteRequest DecodeWriteRequest(std::string_view protobuf) {
  Reader r(protobuf);
  DecodedWriteRequest request;
  while (!r.Done()) {
    auto [field, wire] = r.Key();
    r.Expect(wire, 2);
    if (field == 1) {
      request.series.push_back(DecodeSeries(r.Bytes()));
    } else if (field == 3) {
      request.metadata.push_back(DecodeMetadata(r.Bytes()));
    } else {
      r.Fail("unexpected WriteRequest field " + std::to_string(field));
    }
  }
  return request;
}

std::string SnappyUncompress(std::string_view compressed) {
  std::string out;
  if (!snappy::Uncompress(compressed.data(), compressed.size(), &out)) {
    throw std::runtime_error("not valid snappy block data");
  }
  return out;
}

}  // namespace pushrun::testing
