// Connect while the work runs, so that the push at the end starts sending at once.
#include <thread>

#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Registry registry;
  Gauge rows({.name = "export_rows", .help = "Rows exported", .registries = {&registry}});
  Pushgateway gateway("http://pushgateway:9091", {}, registry);
  const PushParams group{.job_name = "export"};

  // Resolves the host and opens the connection (or loads libcurl for https) in the background,
  // on a copy that shares the connection. Never throws; a gateway that is down only means no
  // head start.
  std::thread([gateway, group] { gateway.Prepare(group); }).detach();

  rows.Set(42);  // ... the job's work ...
  gateway.PushAdd(group);
}
