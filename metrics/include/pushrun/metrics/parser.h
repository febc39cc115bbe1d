#pragma once
// A strict parser for the Prometheus text format 0.0.4: the contract for sidecar files.
// It never crashes, never hangs and never reads past `max_bytes`; any input gives either
// families or one error with a 1-based line and column.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/metrics/family.h"

namespace pushrun::metrics {

struct ParseOptions {
  std::size_t max_bytes = 16 * 1024 * 1024;
  std::size_t max_series = 200'000;
  // Called with each family once all of its samples are parsed (families are contiguous), in
  // order; returning false stops the parse with an error at that point (the caller keeps its
  // own reason). Lets a caller check families while they are small and in cache.
  std::function<bool(const MetricFamily&)> on_family{};
  // false: each family's samples are freed after on_family has seen them, and the families
  // come back with name, help and type only. For callers that only validate, so memory stays
  // that of the largest family instead of growing with the whole input.
  bool keep_samples = true;
};

struct ParseError {
  std::size_t line = 0;    // 1-based
  std::size_t column = 0;  // 1-based, in bytes
  std::string message;     // says what was found and what was expected
  // "<source>:<line>:<column>: <message>"
  std::string Format(std::string_view source) const;
};

struct ParseResult {
  std::vector<MetricFamily> families;  // in order of first appearance
  std::optional<ParseError> error;     // set: `families` is empty
  bool ok() const { return !error.has_value(); }
};

// Samples of a histogram or summary ("x_bucket", "x_sum", "x_count", "x") are grouped into
// the family declared by "# TYPE x ...". Samples without a TYPE line form untyped families.
// Timestamps are accepted and reported in Sample::timestamp_ms so callers can refuse them.
// Families named only by HELP or TYPE lines, without samples, are left out (as in expfmt).
ParseResult ParseText(std::string_view text, const ParseOptions& options = {});

}  // namespace pushrun::metrics
