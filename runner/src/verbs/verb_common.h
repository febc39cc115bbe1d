#pragma once
// What the verbs share: their delivery I/O, the group checks of a run and a delete, and the
// sidecar rules of a run and a lint. Internal to runner/src/verbs/.

#include <string>

#include "pushrun/config/settings.h"
#include "pushrun/runner/app.h"
#include "pushrun/runner/deliver.h"
#include "pushrun/runner/sidecar.h"

namespace pushrun::runner::detail {

// The delivery I/O of a verb: its streams, and a cancellation of its own for CancelOnSignal.
DeliveryIo DeliveryIoOf(const RunIo& io);

// The sidecar rules of a run: pushrun's prefix, job and grouping labels reserved, size limits.
SidecarRules RulesOf(const config::Settings& settings);

// "" when the job, grouping and target URLs can be sent; otherwise what is wrong and how to fix
// it.
std::string CheckGroup(const config::Settings& settings);

}  // namespace pushrun::runner::detail
