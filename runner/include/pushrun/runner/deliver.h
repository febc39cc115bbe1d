#pragma once
// Where a report goes once it is built: the Pushgateway (POST by default, PUT with
// --method put, DELETE with --delete-on-success after a success), a node_exporter textfile
// (--textfile-dir, written atomically), or, with neither configured, stderr. --dry-run prints
// what would be sent instead of sending it. Failures are logged and returned, never thrown:
// whether they change the exit status is the caller's decision.

#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/metrics/family.h"
#include "pushrun/runner/log.h"

namespace pushrun::runner {

struct DeliveryIo {
  bool dry_run = false;
  // Where --dry-run prints "METHOD URL", a blank line and the body. stdout in the binary: it
  // is output the user asked for, and stderr stays for diagnostics.
  std::ostream* dry_run_out = nullptr;
  // Where the report goes when no gateway and no textfile directory are configured.
  std::ostream* fallback_out = nullptr;
};

enum class ReportKind {
  kStart,    // --push-start: always merged (POST), so it never drops the last success time
  kFinal,    // the run's report
  kSkipped,  // --lock was held: merged like kStart; only to a gateway or textfile, never stderr
};

// Delivers `families` as `settings` say. `success` selects --delete-on-success for a final
// report. Returns whether it was delivered (a dry run counts as delivered). When it was not
// and `unavailable` is given, it says whether the gateway could not take it for now (transport
// error, or 408/429/5xx after the retries: worth spooling) rather than refused it.
// `sidecar_text`, for a gateway only: a checked sidecar's text (SidecarResult::text), sent as
// is after `families`; a refused push is repeated without it, as without sidecar families.
bool DeliverReport(const config::Settings& settings, std::vector<metrics::MetricFamily> families,
                   ReportKind kind, bool success, const DeliveryIo& io, Logger& log,
                   bool* unavailable = nullptr, std::string_view sidecar_text = {});

// `settings` with one transport for all of its pushes, so that what PrepareGateway opens is
// what the next push uses.
config::Settings WithSharedTransport(const config::Settings& settings);

// Opens the way to the gateway of `settings` (from WithSharedTransport) for its next push: name
// resolution and connection, or loading libcurl for https, on a detached thread. Nothing waits
// for that thread: a slow or unreachable gateway delays neither the command nor pushrun's exit.
// Without a gateway, or for a dry run, it does nothing.
void PrepareGateway(const config::Settings& settings, const DeliveryIo& io);

// Whether a failed push might succeed later: the gateway was unreachable or answered with a
// status the client retries (408, 429, 5xx). Other 4xx are refusals no retry changes.
bool IsGatewayUnavailable(const metrics::PushError& error);

// The client's message, which quotes the gateway's answer as one bounded, clean line.
std::string DescribePushError(const metrics::PushError& error);

// "<job>.prom", or "<job>@<name>=<value>...prom" with the grouping labels (sorted). In the job
// and the values, bytes outside [A-Za-z0-9._-] (and a leading '.' of the job) are written %XX,
// so two groups never share a name; a name longer than 247 bytes becomes its first 200 bytes,
// '~' and a hash of the whole name.
std::string TextfileName(const std::string& job,
                         const std::map<std::string, std::string>& grouping);

// Text 0.0.4 with the job and grouping labels added to every sample, as the Pushgateway would
// expose them, so reports of several jobs in one directory never collide.
std::string RenderTextfile(const std::vector<metrics::MetricFamily>& families,
                           const std::string& job,
                           const std::map<std::string, std::string>& grouping);

// What a textfile holds after writing `update` over `existing` (text 0.0.4, as written
// earlier): with merge (POST), families of `existing` that `update` does not have are kept;
// otherwise `update` alone. Unparseable existing content is dropped.
std::vector<metrics::MetricFamily> MergeFamilies(std::string_view existing,
                                                 std::vector<metrics::MetricFamily> update,
                                                 bool merge);

}  // namespace pushrun::runner
