#include "snappy_block.h"

#include <snappy.h>

namespace pushrun::metrics::detail {

std::string SnappyCompress(std::string_view input) {
  std::string output;
  snappy::Compress(input.data(), input.size(), &output);
  return output;
}

}  // namespace pushrun::metrics::detail
