// pushrun's own work on a large sidecar, in-process, phase by phase and as a whole: read the
// file, parse and check it while converting it to protobuf, and build the push body (the
// run's report validated against the push parameters and written as protobuf, the sidecar's
// protobuf after it) — what the wrapper does between the child's exit and the request
// (runner/src/large_sidecar.cc).
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
#include <vector>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/metrics/remote_write.h"
#include "pushrun/runner/bounded_read.h"
#include "pushrun/runner/report.h"
#include "pushrun/runner/sidecar.h"
#include "realistic_families.h"
// Internal to the library: the compression a remote-write request goes through (bench only).
#include "snappy_block.h"

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

// As pushrun reads a sidecar for a gateway: checked, its samples not kept once converted.
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

// The sidecar checked and converted to protobuf, as SendLargeSidecar does.
std::string CheckAndConvert(const std::string& text, std::string* error) {
  bool as_is = false;
  std::string protobuf;
  const pr::SidecarResult result =
      pr::CheckSidecarBytes(text, SidecarPath(), Rules(), &as_is, &protobuf);
  if (!result.ok()) *error = *result.error;
  return protobuf;
}

// The push body: the run's report (validated, as protobuf) and the sidecar's protobuf.
std::string Body(const std::string& sidecar_protobuf) {
  pm::Registry registry;
  registry.Register(
      std::make_shared<pm::StaticCollectable>(pr::BuildFinalReport(Outcome(), pr::ReportInput{})));
  pm::PushOptions options;
  options.format = pm::BodyFormat::kProtobuf;
  pm::Pushgateway gateway("http://127.0.0.1:9", options, registry);
  return gateway.BodyFor(kParams, sidecar_protobuf);
}

std::string ReadText() {
  std::string text;
  pr::ReadSidecarBytes(SidecarPath(), Rules(), &text);
  return text;
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

void BM_Sidecar_CheckAndConvert(benchmark::State& state) {
  const std::string text = ReadText();
  for (auto _ : state) {
    std::string error;
    std::string protobuf = CheckAndConvert(text, &error);
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    benchmark::DoNotOptimize(protobuf);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_Sidecar_CheckAndConvert)->Unit(benchmark::kMillisecond);

void BM_Sidecar_ReportAndBody(benchmark::State& state) {
  std::string error;
  const std::string protobuf = CheckAndConvert(ReadText(), &error);
  for (auto _ : state) {
    std::string body = Body(protobuf);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_Sidecar_ReportAndBody)->Unit(benchmark::kMillisecond);

// The whole of pushrun's own work: read, parse, check, convert, build the body.
void BM_Sidecar_OwnWork(benchmark::State& state) {
  for (auto _ : state) {
    std::string text;
    std::string error = pr::ReadSidecarBytes(SidecarPath(), Rules(), &text);
    std::string protobuf = error.empty() ? CheckAndConvert(text, &error) : std::string();
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    std::string body = Body(protobuf);
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * FileSize()));
}
BENCHMARK(BM_Sidecar_OwnWork)->Unit(benchmark::kMillisecond);

// The same sidecar to a remote-write receiver (issue 15's bound: at most 2x BM_Sidecar_OwnWork):
// read, parse and check it keeping its samples, build the report, encode one WriteRequest of
// report and sidecar (every sample its own labelled series) and compress it with snappy.
void BM_Sidecar_OwnWork_RemoteWrite(benchmark::State& state) {
  pr::SidecarRules rules = Rules();
  rules.validate_only = false;
  const pm::RemoteWriteParams params{
      .job_name = "bench", .labels = {{"wrapper", "pushrun"}}, .timestamp_ms = 1'700'000'000'000};
  for (auto _ : state) {
    std::string text;
    std::string error = pr::ReadSidecarBytes(SidecarPath(), rules, &text);
    bool as_is = false;
    pr::SidecarResult sidecar;
    if (error.empty()) {
      sidecar = pr::CheckSidecarBytes(text, SidecarPath(), rules, &as_is);
      if (!sidecar.ok()) error = *sidecar.error;
    }
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
    std::vector<pm::MetricFamily> families = pr::BuildFinalReport(Outcome(), pr::ReportInput{});
    families.insert(families.end(), std::make_move_iterator(sidecar.families.begin()),
                    std::make_move_iterator(sidecar.families.end()));
    std::string body = pm::detail::SnappyCompress(pm::EncodeWriteRequest(families, params));
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * FileSize()));
}
BENCHMARK(BM_Sidecar_OwnWork_RemoteWrite)->Unit(benchmark::kMillisecond);

}  // namespace
