// Get ready while the work runs, so that the push at the end starts sending sooner.
#include <thread>

#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Registry registry;
  Gauge rows({.name = "export_rows", .help = "Rows exported", .registries = {&registry}});
  Pushgateway gateway("http://pushgateway:9091", {}, registry);
  const PushParams group{.job_name = "export"};

  // Loads libcurl and resolves the gateway's name in the background. Never throws; a name that
  // does not resolve only means no head start.
  std::thread([gateway, group] { gateway.Prepare(group); }).detach();

  rows.Set(42);  // ... the job's work ...
  gateway.PushAdd(group);
}
