// Push (PUT): replace every metric of the group job="nightly_backup", instance="backup-server-1".
#include <chrono>

#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Pushgateway gateway("http://pushgateway:9091");

  Gauge job_duration(
      {.name = "batch_job_duration_seconds", .help = "Duration of batch job in seconds"});

  const auto start = std::chrono::steady_clock::now();
  // ... job logic ...
  const std::chrono::duration<double> duration = std::chrono::steady_clock::now() - start;
  job_duration.Set(duration.count());

  // Replace all metrics of this group.
  gateway.Push({.job_name = "nightly_backup", .groupings = {{"instance", "backup-server-1"}}});
}
