// Throughput of the strict text parser (ParseText) on a realistic exposition: counters, gauges
// and histograms with labels, HELP and TYPE lines.

#include <benchmark/benchmark.h>

#include <string>

#include "pushrun/metrics/parser.h"
#include "realistic_families.h"

namespace {

void BM_Parse_Pushrun_ParseText(benchmark::State& state) {
  const std::string text = pushrun::bench::RealisticText(
      pushrun::bench::RealisticFamilies(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) {
    auto result = pushrun::metrics::ParseText(text);
    if (!result.ok()) {
      state.SkipWithError(result.error->Format("realistic").c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.counters["series"] = static_cast<double>(state.range(0));
}
BENCHMARK(BM_Parse_Pushrun_ParseText)->Arg(10'000)->Unit(benchmark::kMillisecond);

}  // namespace
