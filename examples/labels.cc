// Labelled metrics: give label values by name, in any order. A missing, unknown or repeated
// name throws a UsageError naming it, instead of silently making a wrong series.
#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Pushgateway gateway("http://pushgateway:9091");

  Counter jobs_processed({.name = "jobs_processed_total",
                          .help = "Jobs processed, by type and outcome",
                          .label_names = {"job_type", "status"}});

  jobs_processed.Labels({{"status", "success"}, {"job_type", "data_processing"}}).Inc();
  // The positional form follows the order of label_names.
  jobs_processed.Labels({"data_processing", "failure"}).Inc();

  gateway.PushAdd({.job_name = "worker"});
}
