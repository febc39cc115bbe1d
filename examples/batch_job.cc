// A complete batch job: a counter, a gauge and a histogram in their own registry, pushed once
// at the end with the outcome.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>

#include "pushrun/metrics.h"

using namespace pushrun::metrics;

namespace {

Registry batch_registry;

Counter records_processed({.name = "batch_records_processed_total",
                           .help = "Total records processed in batch job",
                           .registries = {&batch_registry}});

Gauge job_duration({.name = "batch_job_duration_seconds",
                    .help = "Duration of batch job in seconds",
                    .registries = {&batch_registry}});

Gauge last_success({.name = "batch_job_last_success_timestamp_seconds",
                    .help = "When the batch job last succeeded",
                    .registries = {&batch_registry}});

Histogram record_processing_time({{.name = "batch_record_processing_seconds",
                                   .help = "Time to process individual records",
                                   .registries = {&batch_registry}},
                                  {0.001, 0.01, 0.1, 1, 5}});

void ProcessRecord(int) {
  // ... process record ...
}

int RunBatchJob(const Pushgateway& gateway, const std::string& batch_id) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const char* hostname = std::getenv("HOSTNAME");
  const PushParams group{.job_name = "data_processing_job",
                         .groupings = {{"batch_id", batch_id},
                                       {"instance", hostname != nullptr ? hostname : "unknown"}}};
  bool succeeded = true;
  try {
    for (int i = 0; i < 1000; ++i) {
      const auto record_start = Clock::now();
      ProcessRecord(i);
      const std::chrono::duration<double> record_duration = Clock::now() - record_start;
      record_processing_time.Observe(record_duration.count());
      records_processed.Inc();
    }
    last_success.SetToCurrentTime();
  } catch (const std::exception& error) {
    std::cerr << "Batch " << batch_id << " failed: " << error.what() << "\n";
    succeeded = false;
  }
  const std::chrono::duration<double> total = Clock::now() - start;
  job_duration.Set(total.count());

  // PushAdd (POST) replaces only the families sent. A failed run leaves the last-success
  // gauge out, so the gateway keeps the previous success's timestamp for alerting.
  if (!succeeded) batch_registry.Unregister("batch_job_last_success_timestamp_seconds");
  try {
    gateway.PushAdd(group);
  } catch (const PushError& error) {
    std::cerr << error.what() << "\n";
  }
  return succeeded ? 0 : 1;
}

}  // namespace

int main() {
  PushOptions options;
  options.timeout = std::chrono::seconds(10);
  Pushgateway gateway("http://pushgateway:9091", options, batch_registry);
  return RunBatchJob(gateway, "batch_001");
}
