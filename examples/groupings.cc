// Grouping labels split one job into groups. Any value works: values with '/', spaces, '%',
// non-ASCII text or empty values are sent base64url-encoded and stored exactly.
#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Pushgateway gateway("http://pushgateway:9091");

  Counter items_processed({.name = "items_processed_total", .help = "Total items processed"});
  items_processed.Inc(500);

  gateway.Push(
      {.job_name = "etl_job",
       .groupings = {
           {"instance", "worker-01"}, {"batch_date", "2023-12-01"}, {"region", "us-west-2"}}});

  // Another instance of the same job: a separate group, untouched by the push above.
  gateway.Push(
      {.job_name = "etl_job",
       .groupings = {
           {"instance", "worker-02"}, {"batch_date", "2023-12-01"}, {"region", "us-east-1"}}});
}
