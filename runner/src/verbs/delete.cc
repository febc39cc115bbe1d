// `pushrun delete`: the group off every gateway.

#include <string>

#include "../cancel_on_signal.h"
#include "pushrun/config/signal_name.h"
#include "pushrun/runner/app.h"
#include "pushrun/runner/spooled_delivery.h"
#include "pushrun/runner/targets.h"
#include "verb_common.h"

namespace pushrun::runner {

using detail::CheckGroup;
using detail::DeliveryIoOf;

int RunDelete(const config::Settings& settings, Logger& log, const RunIo& io) {
  if (std::string problem = CheckGroup(settings); !problem.empty()) {
    log.Error(problem);
    return kExitPushrunError;
  }
  if (!settings.command.empty()) {
    log.Error("delete takes no command");
    return kExitPushrunError;
  }
  // Remote-write receivers keep their samples: a delete goes to every gateway only.
  config::Settings deleting = settings;
  deleting.targets = Gateways(settings);
  if (deleting.targets.empty() && settings.textfile_dir.empty()) {
    log.Error(settings.targets.empty()
                  ? "nothing to delete from: give --gateway (or --textfile-dir)"
                  : "nothing to delete from: remote-write receivers keep their samples; give "
                    "--gateway (or --textfile-dir)");
    return kExitPushrunError;
  }
  // A successful final report with delete-on-success is exactly a delete, and like one it goes
  // through the spool: after the group's older spooled report, and spooled itself when the
  // gateway cannot take it, so that no older report brings the group back later.
  deleting.delete_on_success = true;
  const DeliveryIo delivery = DeliveryIoOf(io);
  // SIGTERM and the like end the requests in flight at once (a spooled delete stays spooled).
  const detail::CancelOnSignal stop(delivery.cancellation);
  const bool deleted = DeliverFinalReport(deleting, {}, /*success=*/true, delivery,
                                          PushDeadline(settings.push_deadline), log);
  if (const int sig = stop.received(); sig != 0) {
    log.Warning("received SIG" + config::SignalName(sig) + ": the delete was stopped");
    return 128 + sig;
  }
  return deleted ? kExitOk : kExitFailure;
}

}  // namespace pushrun::runner
