#include "pushrun/metrics/protobuf.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "protobuf_wire.h"

namespace pushrun::metrics {
namespace {

using detail::Bytes;
using detail::Double;
using detail::Unsigned;

// Field numbers of io.prometheus.client's metrics.proto.
namespace family_field {
constexpr std::uint32_t kName = 1, kHelp = 2, kType = 3, kMetric = 4;
}
namespace metric_field {
constexpr std::uint32_t kLabel = 1, kGauge = 2, kCounter = 3, kSummary = 4, kUntyped = 5;
constexpr std::uint32_t kTimestampMs = 6, kHistogram = 7;
}  // namespace metric_field
// LabelPair: name 1, value 2. Gauge, Counter, Untyped: value 1. Summary and Histogram:
// sample_count 1, sample_sum 2, quantile / bucket 3. Quantile: quantile 1, value 2. Bucket:
// cumulative_count 1, upper_bound 2.

std::uint64_t ProtoType(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return 0;
    case MetricType::kGauge:
      return 1;
    case MetricType::kSummary:
      return 2;
    case MetricType::kUntyped:
      return 3;
    case MetricType::kHistogram:
      return 4;
  }
  return 3;
}

// Go's uint64(float64) for the values a count can sensibly have; NaN and negatives give 0.
std::uint64_t Count(double value) {
  if (!(value > 0)) return 0;
  if (value >= 18446744073709551615.0) return std::numeric_limits<std::uint64_t>::max();
  return static_cast<std::uint64_t>(value);
}

// An "le" or "quantile" label value as the text parser reads it.
double Bound(std::string_view text) {
  if (text == "+Inf" || text == "Inf") return std::numeric_limits<double>::infinity();
  if (text == "-Inf") return -std::numeric_limits<double>::infinity();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

void AppendLabel(std::string& metric, const Label& label, std::string& scratch) {
  scratch.clear();
  Bytes(scratch, 1, label.name);
  Bytes(scratch, 2, label.value);
  Bytes(metric, metric_field::kLabel, scratch);
}

// One histogram or summary series: its labels and the parts its samples carry.
struct Series {
  const Sample* first = nullptr;                  // its labels, less le / quantile
  std::vector<std::pair<double, double>> points;  // (le or quantile, value)
  double sum = 0;
  double count = 0;
  std::optional<std::int64_t> timestamp_ms;
};

bool IsBoundLabel(const Label& label, MetricType type) {
  return label.name == (type == MetricType::kHistogram ? "le" : "quantile");
}

// The samples of a histogram or summary family gathered per label set.
std::vector<Series> GatherSeries(const MetricFamily& family) {
  std::vector<Series> series;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<const Label*> sorted;
  std::string key;
  for (const Sample& sample : family.samples) {
    sorted.clear();
    const Label* bound = nullptr;
    for (const Label& label : sample.labels) {
      if (IsBoundLabel(label, family.type)) {
        bound = &label;
      } else {
        sorted.push_back(&label);
      }
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const Label* a, const Label* b) { return a->name < b->name; });
    key.clear();
    for (const Label* label : sorted)
      key.append(label->name).append(1, '\xff').append(label->value).append(1, '\xff');
    auto [it, added] = index.try_emplace(key, series.size());
    if (added) series.push_back(Series{.first = &sample});
    Series& s = series[it->second];
    if (sample.timestamp_ms) s.timestamp_ms = sample.timestamp_ms;
    const std::string_view name = sample.name;
    const std::string_view suffix = name.substr(std::min(name.size(), family.name.size()));
    if (suffix == "_sum") {
      s.sum = sample.value;
    } else if (suffix == "_count") {
      s.count = sample.value;
    } else if (bound != nullptr) {
      s.points.emplace_back(Bound(bound->value), sample.value);
    }
  }
  return series;
}

void AppendSeries(std::string& body, const Series& s, MetricType type, std::string& metric,
                  std::string& part, std::string& scratch) {
  metric.clear();
  for (const Label& label : s.first->labels) {
    if (!IsBoundLabel(label, type)) AppendLabel(metric, label, scratch);
  }
  part.clear();
  Unsigned(part, 1, Count(s.count));
  Double(part, 2, s.sum);
  for (const auto& [bound, value] : s.points) {
    scratch.clear();
    if (type == MetricType::kHistogram) {
      Unsigned(scratch, 1, Count(value));
      Double(scratch, 2, bound);
    } else {
      Double(scratch, 1, bound);
      Double(scratch, 2, value);
    }
    Bytes(part, 3, scratch);
  }
  Bytes(metric, type == MetricType::kHistogram ? metric_field::kHistogram : metric_field::kSummary,
        part);
  if (s.timestamp_ms)
    Unsigned(metric, metric_field::kTimestampMs, static_cast<std::uint64_t>(*s.timestamp_ms));
  Bytes(body, family_field::kMetric, metric);
}

void AppendSample(std::string& body, const Sample& sample, MetricType type, std::string& metric,
                  std::string& part, std::string& scratch) {
  metric.clear();
  for (const Label& label : sample.labels) AppendLabel(metric, label, scratch);
  part.clear();
  Double(part, 1, sample.value);
  const std::uint32_t field = type == MetricType::kCounter ? metric_field::kCounter
                              : type == MetricType::kGauge ? metric_field::kGauge
                                                           : metric_field::kUntyped;
  Bytes(metric, field, part);
  if (sample.timestamp_ms) {
    Unsigned(metric, metric_field::kTimestampMs, static_cast<std::uint64_t>(*sample.timestamp_ms));
  }
  Bytes(body, family_field::kMetric, metric);
}

}  // namespace

void AppendProtobuf(std::string& out, const MetricFamily& family) {
  std::string body, metric, part, scratch;
  Bytes(body, family_field::kName, family.name);
  if (!family.help.empty()) Bytes(body, family_field::kHelp, family.help);
  Unsigned(body, family_field::kType, ProtoType(family.type));
  if (family.type == MetricType::kHistogram || family.type == MetricType::kSummary) {
    for (const Series& s : GatherSeries(family)) {
      AppendSeries(body, s, family.type, metric, part, scratch);
    }
  } else {
    for (const Sample& sample : family.samples) {
      AppendSample(body, sample, family.type, metric, part, scratch);
    }
  }
  detail::Varint(out, body.size());
  out.append(body);
}

std::string WriteProtobuf(std::span<const MetricFamily> families) {
  std::string out;
  for (const MetricFamily& family : families) AppendProtobuf(out, family);
  return out;
}

}  // namespace pushrun::metrics
