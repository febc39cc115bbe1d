// Text serialization of the same families: pushrun's WriteText against prometheus-cpp's
// TextSerializer. Both get their own native snapshot type, converted once outside the timing.

#include <benchmark/benchmark.h>
#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "pushrun/metrics/exposition.h"
#include "realistic_families.h"

namespace {

namespace pm = pushrun::metrics;

constexpr std::size_t kSeries = 10'000;

std::vector<prometheus::ClientMetric::Label> ConvertLabels(const pm::Labels& labels) {
  std::vector<prometheus::ClientMetric::Label> out;
  for (const auto& label : labels) {
    if (label.name != "le") out.push_back({label.name, label.value});
  }
  return out;
}

// prometheus-cpp keeps a histogram child as one ClientMetric; the realistic families list each
// child's buckets, then _sum, then _count.
prometheus::MetricFamily Convert(const pm::MetricFamily& family) {
  prometheus::MetricFamily out;
  out.name = family.name;
  out.help = family.help;
  switch (family.type) {
    case pm::MetricType::kCounter:
      out.type = prometheus::MetricType::Counter;
      break;
    case pm::MetricType::kGauge:
      out.type = prometheus::MetricType::Gauge;
      break;
    case pm::MetricType::kHistogram:
      out.type = prometheus::MetricType::Histogram;
      break;
    default:
      out.type = prometheus::MetricType::Untyped;
  }
  if (family.type != pm::MetricType::kHistogram) {
    for (const auto& sample : family.samples) {
      prometheus::ClientMetric metric;
      metric.label = ConvertLabels(sample.labels);
      metric.counter.value = metric.gauge.value = metric.untyped.value = sample.value;
      out.metric.push_back(std::move(metric));
    }
    return out;
  }
  prometheus::ClientMetric metric;
  for (const auto& sample : family.samples) {
    std::string_view suffix = std::string_view(sample.name).substr(family.name.size());
    if (suffix == "_bucket") {
      std::string le;
      for (const auto& label : sample.labels) {
        if (label.name == "le") le = label.value;
      }
      metric.label = ConvertLabels(sample.labels);
      metric.histogram.bucket.push_back(
          {static_cast<std::uint64_t>(sample.value), std::strtod(le.c_str(), nullptr)});
    } else if (suffix == "_sum") {
      metric.histogram.sample_sum = sample.value;
    } else if (suffix == "_count") {
      metric.histogram.sample_count = static_cast<std::uint64_t>(sample.value);
      out.metric.push_back(std::move(metric));
      metric = {};
    }
  }
  return out;
}

const std::vector<pm::MetricFamily>& PushrunFamilies() {
  static const auto families = pushrun::bench::RealisticFamilies(kSeries);
  return families;
}

const std::vector<prometheus::MetricFamily>& PromCppFamilies() {
  static const auto families = [] {
    std::vector<prometheus::MetricFamily> out;
    for (const auto& family : PushrunFamilies()) out.push_back(Convert(family));
    return out;
  }();
  return families;
}

void BM_Serialize_Pushrun_WriteText(benchmark::State& state) {
  const auto& families = PushrunFamilies();
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = pm::WriteText(families);
    bytes += text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["series"] = kSeries;
}
BENCHMARK(BM_Serialize_Pushrun_WriteText)->Unit(benchmark::kMillisecond);

void BM_Serialize_PromCpp_TextSerializer(benchmark::State& state) {
  const auto& families = PromCppFamilies();
  const prometheus::TextSerializer serializer;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = serializer.Serialize(families);
    bytes += text.size();
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["series"] = kSeries;
}
BENCHMARK(BM_Serialize_PromCpp_TextSerializer)->Unit(benchmark::kMillisecond);

}  // namespace
