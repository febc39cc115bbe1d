#pragma once
// Snappy's block format (not the framed one), as remote write wants its bodies. Internal; the
// only door to libsnappy.

#include <string>
#include <string_view>

namespace pushrun::metrics::detail {

std::string SnappyCompress(std::string_view input);

}  // namespace pushrun::metrics::detail
