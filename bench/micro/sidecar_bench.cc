// pushrun's own work on a large sidecar, in-process, phase by phase and as a whole: read the
// file, parse and check it, merge it with the run's report, and build the push body
// (validation against the push parameters, then text serialization) — what the wrapper does
// between the child's exit and the request.
//
// The file is $PUSHRUN_BENCH_SIDECAR (bench/run.sh passes the one it pushes end to end);
// without it a 100,000-series file is generated into a temporary directory.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/runner/bounded_read.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/sidecar.h"
#include "realistic_families.h"

namespace {

namespace pm = pushrun::metrics;
namespace pr = pushrun::runner;

const std::string& SidecarPath() {
  static const std::string path = [] {
    const char* given = std::getenv("PUSHRUN_BENCH_SIDECAR");
    if (given != nullptr && *given != '\0') return std::string(given);
    auto dir =
        std::filesystem::temp_directory_path() / ("pushrun-bench-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::string file = (dir / "sidecar.prom").string();
    std::ofstream(file, std::ios::binary)
        << pushrun::bench::RealisticText(pushrun::bench::RealisticFamilies(100'000));
    return file;
  }();
  return path;
}

// As pushrun reads a sidecar for a gateway: checked, its samples not kept (the text is sent).
pr::SidecarRules Rules() {
  pr::SidecarRules rules;
  rules.reserved_labels = {"job", "wrapper"};
  rules.validate_only = true;
  return rules;
}

const pm::PushParams kParams{"bench", {{"wrapper", "pushrun"}}};

std::size_t FileSize() { return std::filesystem::file_size(SidecarPath()); }

pr::ChildOutcome Outcome() {
  pr::ChildOutcome outcome;
  outcome.start_time = std::chrono::system_clock::now();
  outcome.end_time = outcome.start_time + std::chrono::milliseconds(5);
  outcome.duration_seconds = 0.005;
  return outcome;
}

// The merged report's push body, built as pushrun builds it for a gateway (runner/src/app.cc):
// its own families, then the checked sidecar's text as it was read; only a sidecar that cannot
// go as is (SidecarResult::text empty) is merged as families and serialized. The sidecar's
// parsed form is freed here, as pushrun frees it before the push.
std::string Body(pr::SidecarResult sidecar) {
  auto report = pr::BuildFinalReport(Outcome(), pr::ReportInput{});
  const std::string text = std::move(sidecar.text);
  if (text.empty()) {
    report.insert(report.end(), std::make_move_iterator(sidecar.families.begin()),
                  std::make_move_iterator(sidecar.families.end()));
  }
  sidecar.families = {};
  pm::Registry registry;
  registry.Register(std::make_shared<pm::StaticCollectable>(std::move(report)));
  pm::Pushgateway gateway("http://127.0.0.1:9", {}, registry);
  return gateway.BodyFor(kParams, text);
}

void BM_Sidecar_Read(benchmark::State& state) {
  for (auto _ : state) {
    std::string text;
    std::string error = pr::ReadFileBounded(SidecarPath(), Rules().max_bytes, &text);
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * FileSize()));
}
BENCHMARK(BM_Sidecar_Read)->Unit(benchmark::kMillisecond);

void BM_Sidecar_ParseAndCheck(benchmark::State& state) {
  std::string text;
  pr::ReadFileBounded(SidecarPath(), Rules().max_bytes, &text);
  for (auto _ : state) {
    auto result = pr::CheckSidecarText(text, SidecarPath(), Rules());
    if (!result.ok()) {
      state.SkipWithError(result.error->c_str());
      break;
    }
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Sidecar_ParseAndCheck)->Unit(benchmark::kMillisecond);

void BM_Sidecar_MergeAndBody(benchmark::State& state) {
  auto sidecar = pr::ReadSidecarFile(SidecarPath(), Rules());
  if (!sidecar.ok()) {
    state.SkipWithError(sidecar.error->c_str());
    return;
  }
  for (auto _ : state) {
    state.PauseTiming();
    pr::SidecarResult copy = sidecar;
    state.ResumeTiming();
    std::string body = Body(std::move(copy));
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_Sidecar_MergeAndBody)->Unit(benchmark::kMillisecond);

// The whole of pushrun's own work: read, parse, check, merge, validate, build the body.
void BM_Sidecar_OwnWork(benchmark::State& state) {
  for (auto _ : state) {
    auto sidecar = pr::ReadSidecarFile(SidecarPath(), Rules());
    if (!sidecar.ok()) {
      state.SkipWithError(sidecar.error->c_str());
      break;
    }
    std::string body = Body(std::move(sidecar));
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * FileSize()));
}
BENCHMARK(BM_Sidecar_OwnWork)->Unit(benchmark::kMillisecond);

}  // namespace
