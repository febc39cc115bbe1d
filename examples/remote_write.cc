// Remote write: send a batch job's metrics to Prometheus, Mimir or VictoriaMetrics as points
// stamped with the job's end time, with the job and grouping labels on every series.
#include <chrono>
#include <iostream>

#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Registry registry;
  Gauge rows({.name = "export_rows", .help = "Rows exported", .registries = {&registry}});
  rows.Set(1234);

  PushOptions options;
  options.headers = {{"X-Scope-OrgID", "team-a"}};  // Mimir's tenant
  options.retry.max_retries = 3;
  RemoteWriter writer("http://mimir:9009/api/v1/push", options, registry);

  const auto end = std::chrono::system_clock::now();
  try {
    writer.Write({.job_name = "export",
                  .labels = {{"instance", "db1"}},
                  .timestamp_ms =
                      std::chrono::duration_cast<std::chrono::milliseconds>(end.time_since_epoch())
                          .count()});
  } catch (const PushError& e) {
    // e.status() and e.body() hold the receiver's answer, such as 400 "out of order sample".
    std::cerr << "remote write failed: " << e.what() << "\n";
    return 1;
  }
}
