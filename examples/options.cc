// Options: timeouts, extra headers, credentials, TLS, gzip and retries.
#include <chrono>

#include "pushrun/metrics.h"

int main() {
  using namespace pushrun::metrics;
  using namespace std::chrono_literals;

  PushOptions options;
  options.timeout = 5s;          // whole request (default 10 s)
  options.connect_timeout = 1s;  // default 3 s
  options.headers = {{"X-Custom-Header", "value"}};
  options.bearer_token = "token123";  // or: options.basic_auth = BasicAuth{"user", "password"};
  options.tls.ca_file = "/etc/ssl/pushgateway-ca.pem";
  options.gzip = true;  // needs Pushgateway 1.5.0 or later
  // Retry transport errors, 408, 429 and 5xx (never other 4xx) with capped exponential
  // backoff and jitter, all within 20 seconds.
  options.retry.max_retries = 3;
  options.retry.initial_backoff = 200ms;
  options.retry.max_backoff = 2s;
  options.retry.deadline = 20s;

  Pushgateway gateway("https://pushgateway:9091", options);
  gateway.Push({.job_name = "configured_job"});
}
