#pragma once
// Where a report goes once it is built: every target of the run, at once (Pushgateways: POST by
// default, PUT with --method put, DELETE with --delete-on-success after a success; remote-write
// receivers: a WriteRequest stamped with the run's end time), else a node_exporter textfile
// (--textfile-dir, written atomically), else stderr. --dry-run prints what would be sent instead
// of sending it. Failures are logged and returned, never thrown: whether they change the exit
// status is the caller's decision.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/config/settings.h"
#include "pushrun/metrics/encoded_request.h"
#include "pushrun/metrics/family.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/transport.h"
#include "pushrun/runner/log.h"
#include "pushrun/runner/targets.h"

namespace pushrun::runner {

struct DeliveryIo {
  bool dry_run = false;
  // Where --dry-run prints "METHOD URL", a blank line and the body. stdout in the binary: it
  // is output the user asked for, and stderr stays for diagnostics.
  std::ostream* dry_run_out = nullptr;
  // Where the report goes when no gateway and no textfile directory are configured.
  std::ostream* fallback_out = nullptr;
  // What carries the requests; null: libcurl (metrics::MakeCurlTransport). Tests put a fake.
  std::shared_ptr<metrics::Transport> transport{};
  // Cancelled when pushrun is told to stop (SIGTERM, SIGINT...) during a push: every request
  // and retry wait of the run ends at once. Null: requests run to their deadline.
  std::shared_ptr<metrics::Cancellation> cancellation{};
};

// The client options of one target, with the transport and cancellation of `io`.
metrics::PushOptions PushOptionsOf(const config::PushSettings& push, const DeliveryIo& io);

// When the reported run ended, in Unix milliseconds: its <prefix>_end_timestamp_seconds, or now
// for a report without one (start, heartbeat, skipped, delete). Remote write stamps every sample
// with it; the spool orders a group's reports by it.
std::int64_t ReportTimeMs(const std::string& prefix,
                          const std::vector<metrics::MetricFamily>& families);

enum class ReportKind {
  kStart,    // --push-start: always merged (POST), so it never drops the last success time
  kFinal,    // the run's report
  kSkipped,  // --lock was held: merged like kStart; only to a gateway or textfile, never stderr
};

// Delivers `families` to one target, with the target's own client settings (the caller sets
// their retry deadline). `success` selects --delete-on-success for a final report to a gateway
// (a remote-write receiver keeps its samples: it gets the report). Returns whether it was
// delivered (a dry run counts as delivered). When it was not and `unavailable` is given, it
// says whether the target could not take it for now (transport error, or 408/429/5xx after the
// retries: worth spooling) rather than refused it. `sidecar_text`: a checked sidecar's text
// (SidecarResult::text), sent as is after `families` to a gateway (parsed for a receiver); a
// push a gateway refuses is repeated without it, as without sidecar families. Families without
// samples are deletions (AppendDeletions): gateways only.
bool DeliverToTarget(const config::Settings& settings, const config::Target& target,
                     std::vector<metrics::MetricFamily> families, ReportKind kind, bool success,
                     const DeliveryIo& io, Logger& log, bool* unavailable = nullptr,
                     std::string_view sidecar_text = {});

// The request a report makes to a remote-write receiver (as DeliverToTarget would send it), for
// the spool to keep as it will be sent; nothing when it cannot be built (logged).
std::optional<metrics::EncodedRequest> EncodeWrite(const config::Settings& settings,
                                                   const config::Target& target,
                                                   std::vector<metrics::MetricFamily> families,
                                                   std::string_view sidecar_text,
                                                   const DeliveryIo& io, Logger& log);

// Sends a request kept as it will be sent to `target` with the target's client options, and
// logs as DeliverToTarget does. `unavailable` as there; `refused`: the target answered no.
bool SendEncodedTo(const config::Target& target, const metrics::EncodedRequest& request,
                   ReportKind kind, const DeliveryIo& io, Logger& log, bool* unavailable,
                   bool* refused);

// Delivers `families` to every target of `settings` in parallel (ForEveryTarget), each with its
// own retries within its client settings' deadline; with no target, to the textfile directory,
// else (a final report) to io.fallback_out. Returns whether every target got it; -v says which.
bool DeliverReport(const config::Settings& settings, std::vector<metrics::MetricFamily> families,
                   ReportKind kind, bool success, const DeliveryIo& io, Logger& log,
                   std::string_view sidecar_text = {});

// Gives the next push to every target a head start: loads libcurl and resolves each target's
// name, on detached threads. Nothing waits for them: a slow name server delays neither the
// command nor pushrun's exit. Without targets, or for a dry run, it does nothing.
void PrepareTargets(const config::Settings& settings, const DeliveryIo& io);

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
