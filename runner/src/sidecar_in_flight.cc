#include "pushrun/runner/sidecar_in_flight.h"

#include <future>
#include <memory>
#include <stdexcept>
#include <utility>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"

namespace pushrun::runner {

bool CanSendSidecarInFlight(const config::Settings& settings, bool success, const DeliveryIo& io) {
  return !settings.gateway_url.empty() && !io.dry_run && !settings.push.gzip &&
         settings.spool_dir.empty() && !(success && settings.delete_on_success);
}

SidecarInFlight SendSidecarInFlight(
    const config::Settings& settings, const std::string& path, const SidecarRules& rules,
    const std::function<std::vector<metrics::MetricFamily>()>& report, const PushDeadline& deadline,
    Logger& log) {
  SidecarInFlight flight;
  std::string text;
  if (std::string error = ReadSidecarBytes(path, rules, &text); !error.empty()) {
    flight.sidecar.error = std::move(error);
    return flight;
  }
  bool as_is = false;
  if (text.size() < kSidecarInFlightMinBytes) {
    flight.sidecar = CheckSidecarBytes(text, path, rules, &as_is);
  } else {
    // The bytes are only read while the check runs; its future is waited for (at the latest
    // by its destructor) before they are moved.
    std::future<bool> check = std::async(std::launch::async, [&] {
      try {
        flight.sidecar = CheckSidecarBytes(text, path, rules, &as_is);
      } catch (const std::exception& error) {
        flight.sidecar.error = path + ": cannot be checked: " + error.what();
      }
      return flight.sidecar.ok() && as_is;
    });
    const std::shared_future<bool> text_ok = check.share();
    const config::Settings once = deadline.Apply(settings);
    metrics::PushOptions options = once.push;
    options.retry.max_retries = 0;
    const std::string method = once.method == config::PushMethod::kPut ? "PUT" : "POST";
    try {
      metrics::Registry registry;
      registry.Register(std::make_shared<metrics::StaticCollectable>(report()));
      const metrics::Pushgateway gateway(once.gateway_url, options, registry);
      const metrics::PushParams params{.job_name = once.job, .groupings = once.grouping};
      log.Info(method + " " + gateway.UrlFor(params) + " (the sidecar sent while checked)");
      const metrics::PushResult result = method == "PUT" ? gateway.Push(params, text, text_ok)
                                                         : gateway.PushAdd(params, text, text_ok);
      log.Info(method + " " + gateway.UrlFor(params) + ": HTTP " + std::to_string(result.status));
      flight.delivered = true;
    } catch (const metrics::PushError& error) {
      // Not lost: the caller delivers the report as usual, and says what fails then.
      log.Debug("the push with the sidecar in flight did not succeed: " + DescribePushError(error));
    } catch (const std::invalid_argument& error) {
      log.Debug(std::string("the push with the sidecar in flight was not made: ") + error.what());
    }
    text_ok.wait();
  }
  if (as_is) flight.sidecar.text = std::move(text);
  return flight;
}

}  // namespace pushrun::runner
