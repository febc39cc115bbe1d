// Error handling: every failure is one PushError with its category, the HTTP status, the
// gateway's own explanation and the URL (credentials removed).
#include <future>
#include <iostream>

#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  Pushgateway gateway("http://pushgateway:9091");

  Counter jobs_completed({.name = "jobs_completed_total", .help = "Total completed jobs"});
  jobs_completed.Inc();

  try {
    PushResult result = gateway.Push({.job_name = "my_job"});
    std::cout << "Metrics pushed successfully: HTTP " << result.status << "\n";
  } catch (const PushError& error) {
    // e.g. "PUT http://pushgateway:9091/metrics/job/my_job failed: HTTP 400 Bad Request:
    // pushed metrics are invalid or inconsistent with existing metrics: ..."
    std::cerr << "Failed to push metrics (" << CategoryName(error.category())
              << "): " << error.what() << "\n";
    return 1;
  }

  // The asynchronous form returns a std::future; get() returns the result or throws.
  std::future<PushResult> pending = gateway.PushAddAsync({.job_name = "my_job"});
  // ... other work ...
  try {
    pending.get();
  } catch (const PushError& error) {
    std::cerr << error.what() << "\n";
    return 1;
  }
}
