#pragma once
// gzip (RFC 1952) compression of request bodies; internal to the metrics library.

#include <string>
#include <string_view>

namespace pushrun::metrics::detail {

// A complete gzip member holding `data`. Throws Error if zlib fails (out of memory).
std::string Gzip(std::string_view data);

}  // namespace pushrun::metrics::detail
