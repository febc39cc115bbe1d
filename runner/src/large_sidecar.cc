#include "pushrun/runner/large_sidecar.h"

#include <memory>
#include <utility>

#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"

namespace pushrun::runner {

bool CanSendLargeSidecar(const config::Settings& settings, bool success, const DeliveryIo& io) {
  return settings.targets.size() == 1 &&
         settings.targets.front().kind == config::TargetKind::kPushgateway && !io.dry_run &&
         !settings.targets.front().push.gzip && settings.spool_dir.empty() &&
         !(success && settings.delete_on_success);
}

LargeSidecar SendLargeSidecar(const config::Settings& settings, const SidecarFile& sidecar,
                              const SidecarRules& rules,
                              const std::function<std::vector<metrics::MetricFamily>()>& report,
                              const PushDeadline& deadline, const DeliveryIo& io, Logger& log) {
  LargeSidecar large;
  std::string text;
  if (std::string error = sidecar.ReadBytes(rules, &text); !error.empty()) {
    large.sidecar.error = std::move(error);
    return large;
  }
  bool as_is = false;
  std::string protobuf;
  const bool is_large = text.size() >= kLargeSidecarBytes;
  large.sidecar =
      CheckSidecarBytes(text, sidecar.path(), rules, &as_is, is_large ? &protobuf : nullptr);
  if (is_large && large.sidecar.ok() && !protobuf.empty()) {
    const config::Target target = deadline.Apply(settings.targets.front());
    metrics::PushOptions options = PushOptionsOf(target.push, io);
    options.retry.max_retries = 0;
    options.format = metrics::BodyFormat::kProtobuf;
    const std::string method = settings.method == config::PushMethod::kPut ? "PUT" : "POST";
    try {
      metrics::Registry registry;
      registry.Register(std::make_shared<metrics::StaticCollectable>(report()));
      const metrics::Pushgateway gateway(target.url, options, registry);
      const metrics::PushParams params{.job_name = settings.job, .groupings = settings.grouping};
      const std::string url = gateway.UrlFor(params);
      log.Info(method + " " + url + " (protobuf)");
      const metrics::PushResult result =
          method == "PUT" ? gateway.Push(params, protobuf) : gateway.PushAdd(params, protobuf);
      log.Info(method + " " + url + ": HTTP " + std::to_string(result.status));
      large.delivered = true;
    } catch (const metrics::PushError& error) {
      // Not lost: the caller delivers the report as usual, and says what fails then.
      log.Debug("the protobuf push of the large sidecar did not succeed: " +
                DescribePushError(error));
    } catch (const metrics::Error& error) {  // such as a UsageError: refused before sending
      log.Debug(std::string("the protobuf push of the large sidecar was not made: ") +
                error.what());
    }
  }
  if (as_is) large.sidecar.text = std::move(text);
  return large;
}

}  // namespace pushrun::runner
