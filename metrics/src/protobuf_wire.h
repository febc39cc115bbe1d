#pragma once
// Protocol-buffer wire encoding, by hand: the messages pushrun writes (the Pushgateway's
// MetricFamily, remote write's WriteRequest) are small and stable, and protobuf stays out of the
// build. Internal.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace pushrun::metrics::detail {

enum WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2 };

inline void Varint(std::string& out, std::uint64_t value) {
  char bytes[10];
  std::size_t n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<char>(value);
  out.append(bytes, n);
}

inline void Tag(std::string& out, std::uint32_t field, WireType type) {
  Varint(out, field << 3 | type);
}

inline void Bytes(std::string& out, std::uint32_t field, std::string_view bytes) {
  Tag(out, field, kLengthDelimited);
  Varint(out, bytes.size());
  out.append(bytes);
}

inline void Double(std::string& out, std::uint32_t field, double value) {
  Tag(out, field, kFixed64);
  char bytes[8];
  std::memcpy(bytes, &value, sizeof bytes);  // little-endian on every platform we build for
  out.append(bytes, sizeof bytes);
}

inline void Unsigned(std::string& out, std::uint32_t field, std::uint64_t value) {
  Tag(out, field, kVarint);
  Varint(out, value);
}

// An int64 field (not sint64): negative values are sent as their two's complement, ten bytes.
inline void Signed(std::string& out, std::uint32_t field, std::int64_t value) {
  Unsigned(out, field, static_cast<std::uint64_t>(value));
}

}  // namespace pushrun::metrics::detail
