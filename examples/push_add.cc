// PushAdd (POST): replace only the metric families in this push; the group's other families
// stay. The Pushgateway never sums: records_processed_total becomes exactly this push's value.
#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Pushgateway gateway("http://pushgateway:9091");

  Counter processed_records({.name = "records_processed_total", .help = "Total records processed"});
  processed_records.Inc(1000);

  gateway.PushAdd({.job_name = "record_processor", .groupings = {{"batch_id", "batch_123"}}});
}
