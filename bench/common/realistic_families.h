#pragma once
// A deterministic, realistic set of metric families for the benchmarks: counters, gauges and
// histograms with a few labels each, the mix a batch job's sidecar or a service's /metrics
// page has. Written with its own small text writer so that the input of the parser benchmarks
// does not depend on the writer under test.

#include <cstddef>
#include <string>
#include <vector>

#include "pushrun/metrics/family.h"

namespace pushrun::bench {

// Exactly `series` samples (lines), in families of at most 1000 samples, named "app_*" (never
// "pushrun_*", never a "job" or "instance" label), without timestamps.
std::vector<metrics::MetricFamily> RealisticFamilies(std::size_t series);

// Text format 0.0.4 of those families: HELP, TYPE, one line per sample, "\n" endings.
std::string RealisticText(const std::vector<metrics::MetricFamily>& families);

}  // namespace pushrun::bench
