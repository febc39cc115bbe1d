// A registry of its own: push only the batch job's metrics, not the process-wide registry.
#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Registry batch_job_registry;

  Counter batch_operations({.name = "batch_operations_total",
                            .help = "Total batch operations",
                            .registries = {&batch_job_registry}});

  Pushgateway gateway("http://pushgateway:9091", {}, batch_job_registry);

  batch_operations.Inc(100);

  gateway.Push({.job_name = "batch_processor"});
}
