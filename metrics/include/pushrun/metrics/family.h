#pragma once
// The neutral snapshot every part of pushrun speaks: metric families and their samples.
// Produced by Registry::Collect() and by the parser, consumed by the exposition writers and
// the Pushgateway client. Plain values: no locking, no ownership tricks.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pushrun::metrics {

enum class MetricType { kCounter, kGauge, kHistogram, kSummary, kUntyped };

// "counter", "gauge", "histogram", "summary", "untyped".
std::string_view TypeName(MetricType type);

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
};
using Labels = std::vector<Label>;

struct Sample {
  // The full sample name, including any suffix: "x_bucket", "x_sum", "x_count", "x_total".
  std::string name;
  Labels labels;  // in exposition order; "le" / "quantile" are ordinary labels here
  double value = 0;
  std::optional<std::int64_t> timestamp_ms;  // only ever set by the parser
};

struct MetricFamily {
  // The family name as in "# TYPE <name>"; for counters without the "_total" suffix only
  // when the samples are named that way (the Prometheus text format keeps names as written).
  std::string name;
  std::string help;
  MetricType type = MetricType::kUntyped;
  std::vector<Sample> samples;
};

}  // namespace pushrun::metrics
