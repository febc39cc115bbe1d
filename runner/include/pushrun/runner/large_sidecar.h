#pragma once
// A large sidecar's way to the gateway. The gateway's work dominates: it takes ~320 ms to parse
// and store 6.7 MB of text, against ~25 ms for pushrun's check. As protobuf (what the Go client
// pushes) the same series take it about half as long, so a large sidecar is converted while it
// is checked, family by family, and pushed with the report as protobuf in one request.

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

// From this size on, the gateway's time saved outweighs the conversion.
inline constexpr std::size_t kLargeSidecarBytes = 256 * 1024;

struct LargeSidecar {
  SidecarResult sidecar;   // what ReadSidecarFile would have returned
  bool delivered = false;  // the report and the sidecar are on the gateway
};

// Whether a final report may go this way: to one gateway, the run's only target, for real, with a
// POST or PUT (not
// --delete-on-success after a success), without gzip (kept as the user asked) and without a
// spool (whose older report must arrive first, and which keeps text).
bool CanSendLargeSidecar(const config::Settings& settings, bool success, const DeliveryIo& io);

// Reads and checks the sidecar (SidecarFile::ReadBytes). When it has at least kLargeSidecarBytes
// and passes, pushes the report (built then by `report`) and the sidecar as protobuf: one attempt
// within `deadline`, no retries. When that does not deliver (small or refused sidecar, gateway away
// or refusing), `delivered` is false and the caller delivers as usual with the returned
// sidecar result, which then has its retries, spool and fallback without the sidecar.
LargeSidecar SendLargeSidecar(const config::Settings& settings, const SidecarFile& sidecar,
                              const SidecarRules& rules,
                              const std::function<std::vector<metrics::MetricFamily>()>& report,
                              const PushDeadline& deadline, const DeliveryIo& io, Logger& log);

}  // namespace pushrun::runner
