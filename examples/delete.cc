// Delete: remove exactly the group job="temp_job", run_id="run_456" (no other group).
#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Pushgateway gateway("http://pushgateway:9091");

  // Clean up after the job: the Pushgateway never forgets a group on its own.
  gateway.Delete({.job_name = "temp_job", .groupings = {{"run_id", "run_456"}}});
}
