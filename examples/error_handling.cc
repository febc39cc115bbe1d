// Error handling: everything the library throws is a pushrun::metrics::Error, so one catch
// sees a bad metric name as well as a failed push. A PushError says more: its category, the
// HTTP status, the gateway's own explanation and the URL (credentials removed).
#include <future>
#include <iostream>

#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  try {
    Pushgateway gateway("http://pushgateway:9091");

    Counter jobs_completed({.name = "jobs_completed_total", .help = "Total completed jobs"});
    jobs_completed.Inc();

    PushResult result = gateway.Push({.job_name = "my_job"});
    std::cout << "Metrics pushed successfully: HTTP " << result.status << "\n";
    for (const auto& [name, value] : result.headers) std::cout << name << ": " << value << "\n";

    // The asynchronous form returns a std::future; get() returns the result or throws.
    std::future<PushResult> pending = gateway.PushAddAsync({.job_name = "my_job"});
    // ... other work ...
    pending.get();
  } catch (const PushError& error) {
    // e.g. "PUT http://pushgateway:9091/metrics/job/my_job failed: HTTP 400 Bad Request:
    // pushed metrics are invalid or inconsistent with existing metrics: ..."
    std::cerr << "Failed to push metrics (" << CategoryName(error.category())
              << "): " << error.what() << "\n";
    return 1;
  } catch (const Error& error) {
    // A UsageError: a bad metric name, label, URL or option. Fix the code or its settings.
    std::cerr << "Cannot set up the metrics: " << error.what() << "\n";
    return 1;
  }
}
