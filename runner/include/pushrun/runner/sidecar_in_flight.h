#pragma once
// A large sidecar's way to the gateway: checking 6.7 MB takes pushrun ~25 ms, but the gateway
// takes ~320 ms to read and store it, so the check is hidden behind the upload. One request
// starts at once with the sidecar's bytes; a second thread checks them meanwhile; pushrun's own
// report, the end of the request, follows only once the check has passed. A sidecar the check
// refuses never reaches the gateway: the request is abandoned short of its length, and the
// gateway stores nothing of it.

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/metrics/family.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/log.h"
#include "pushrun/runner/sidecar.h"
#include "pushrun/runner/spooled_delivery.h"

namespace pushrun::runner {

// Below this the check is shorter than what sending in parallel could save.
inline constexpr std::size_t kSidecarInFlightMinBytes = 256 * 1024;

struct SidecarInFlight {
  SidecarResult sidecar;   // what ReadSidecarFile would have returned
  bool delivered = false;  // the report and the sidecar are on the gateway
};

// Whether a final report may go this way: to a gateway, for real, with a POST or PUT (not
// --delete-on-success after a success), without gzip (nothing to overlap) and without a spool
// (whose older report must arrive first).
bool CanSendSidecarInFlight(const config::Settings& settings, bool success, const DeliveryIo& io);

// Reads the sidecar at `path`. When it has at least kSidecarInFlightMinBytes, pushes the report
// (built then by `report`, as if the sidecar were valid) after the sidecar's bytes in one
// request while they are checked: one attempt within `deadline`, no retries. When that does not
// deliver (small or refused sidecar, gateway away or refusing), `delivered` is false and nothing
// was stored: the caller delivers as usual with the returned sidecar result, which then has its
// retries, spool and fallback without the sidecar.
SidecarInFlight SendSidecarInFlight(
    const config::Settings& settings, const std::string& path, const SidecarRules& rules,
    const std::function<std::vector<metrics::MetricFamily>()>& report, const PushDeadline& deadline,
    Logger& log);

}  // namespace pushrun::runner
