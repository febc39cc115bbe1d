#include "gzip.h"

#include <zlib.h>

#include "pushrun/metrics/error.h"

namespace pushrun::metrics::detail {

std::string Gzip(std::string_view data) {
  z_stream stream{};
  // windowBits 15 + 16 asks zlib for a gzip header and trailer instead of a zlib wrapper.
  if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw Error("gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&stream, data.size()) + 32);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  // deflateBound covers the whole input, so one Z_FINISH call completes the stream.
  int result = deflate(&stream, Z_FINISH);
  size_t written = stream.total_out;
  deflateEnd(&stream);
  if (result != Z_STREAM_END) throw Error("gzip: deflate failed");
  out.resize(written);
  return out;
}

}  // namespace pushrun::metrics::detail
