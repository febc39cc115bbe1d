#include "pushrun/runner/deliver.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

#include "cancel_on_signal.h"
#include "pushrun/metrics/collectable.h"
#include "pushrun/metrics/error.h"
#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/registry.h"
#include "pushrun/metrics/remote_write.h"
#include "pushrun/runner/atomic_file.h"
#include "pushrun/runner/bounded_read.h"
#include "pushrun/runner/targets.h"

namespace pushrun::runner {
namespace {

using metrics::MetricFamily;

// Textfiles pushrun wrote itself are small; anything larger is not ours to merge.
constexpr std::size_t kMaxExistingTextfileBytes = 16 * 1024 * 1024;

metrics::PushParams ParamsOf(const config::Settings& settings) {
  return metrics::PushParams{.job_name = settings.job, .groupings = settings.grouping};
}

std::vector<MetricFamily> Labeled(std::vector<MetricFamily> families, const std::string& job,
                                  const std::map<std::string, std::string>& grouping) {
  metrics::Labels extra{{"job", job}};
  for (const auto& [name, value] : grouping) extra.push_back({name, value});
  for (MetricFamily& family : families) {
    for (metrics::Sample& sample : family.samples) {
      metrics::Labels labels = extra;
      for (metrics::Label& label : sample.labels) {
        const bool clash = std::any_of(extra.begin(), extra.end(), [&](const metrics::Label& e) {
          return e.name == label.name;
        });
        if (!clash) labels.push_back(std::move(label));
      }
      sample.labels = std::move(labels);
    }
  }
  return families;
}

// An earlier textfile of the same group, "" when absent or unreadable (then it is replaced).
std::string ReadExisting(const std::string& path) {
  std::string text;
  ReadFileBounded(path, kMaxExistingTextfileBytes, &text);
  return text;
}

void PrintDryRun(std::ostream* out, std::string_view what, std::string_view where,
                 std::string_view body) {
  if (out == nullptr) return;
  std::string text;
  text += what;
  text += ' ';
  text += where;
  text += "\n\n";
  text += body;
  out->write(text.data(), static_cast<std::streamsize>(text.size()));
  out->flush();
}

class GatewayTarget {
 public:
  GatewayTarget(const config::Settings& settings, const config::Target& target,
                const DeliveryIo& io, std::vector<MetricFamily> families)
      : gateway_(target.url, PushOptionsOf(target.push, io), registry_),
        params_(ParamsOf(settings)) {
    registry_.Register(std::make_shared<metrics::StaticCollectable>(std::move(families)));
  }
  const metrics::Pushgateway& gateway() const { return gateway_; }
  const metrics::PushParams& params() const { return params_; }

 private:
  metrics::Registry registry_;
  metrics::Pushgateway gateway_;
  metrics::PushParams params_;
};

std::string_view KindPrefix(ReportKind kind) {
  switch (kind) {
    case ReportKind::kStart:
      return "start report: ";
    case ReportKind::kSkipped:
      return "skipped-run report: ";
    case ReportKind::kFinal:
      break;
  }
  return "";
}

// One request to the gateway. `refused`: the gateway answered and said no (a 4xx it will not
// change its mind about).
bool PushToGateway(const config::Settings& settings, const config::Target& target,
                   std::vector<MetricFamily> families, std::string_view sidecar_text,
                   ReportKind kind, bool success, const DeliveryIo& io, Logger& log,
                   bool* unavailable, bool* refused) {
  const bool remove = kind == ReportKind::kFinal && success && settings.delete_on_success;
  // The "running" report is always a POST: a PUT would replace the group and drop the last
  // success time while the command runs.
  const bool put = kind == ReportKind::kFinal && settings.method == config::PushMethod::kPut;
  const std::string method = remove ? "DELETE" : put ? "PUT" : "POST";
  std::string url = metrics::RedactUrl(target.url);
  try {
    // Declared here and built only now: nothing of the push exists before the command ran.
    GatewayTarget gateway(settings, target, io,
                          remove ? std::vector<MetricFamily>{} : std::move(families));
    url = gateway.gateway().UrlFor(gateway.params());
    if (io.dry_run) {
      PrintDryRun(
          io.dry_run_out, method, url,
          remove ? std::string() : gateway.gateway().BodyFor(gateway.params(), sidecar_text));
      return true;
    }
    log.Info(method + " " + url);
    metrics::PushResult result = remove ? gateway.gateway().Delete(gateway.params())
                                 : put  ? gateway.gateway().Push(gateway.params(), sidecar_text)
                                        : gateway.gateway().PushAdd(gateway.params(), sidecar_text);
    log.Info(method + " " + url + ": HTTP " + std::to_string(result.status));
    return true;
  } catch (const metrics::PushError& error) {
    if (unavailable != nullptr) *unavailable = IsGatewayUnavailable(error);
    *refused = error.category() == metrics::ErrorCategory::kHttp && !IsGatewayUnavailable(error);
    // The client's message already names the action and the (redacted) URL.
    log.Error(std::string(KindPrefix(kind)) + DescribePushError(error));
  } catch (const metrics::Error& error) {  // such as a UsageError: refused before sending
    log.Error("cannot push to " + url + ": " + error.what());
  }
  return false;
}

// The report without the sidecar's families (the only ones not named "<prefix>_*") and text,
// with "<prefix>_sidecar_valid" set to 0; nullopt when there are none.
std::optional<std::vector<MetricFamily>> WithoutSidecar(const std::vector<MetricFamily>& families,
                                                        std::string_view sidecar_text,
                                                        const std::string& prefix) {
  const std::string own = prefix + "_";
  auto is_own = [&](const MetricFamily& family) {
    return family.name.compare(0, own.size(), own) == 0;
  };
  if (sidecar_text.empty() && std::all_of(families.begin(), families.end(), is_own)) {
    return std::nullopt;
  }
  std::vector<MetricFamily> core;
  for (const MetricFamily& family : families) {
    if (is_own(family)) core.push_back(family);
  }
  for (MetricFamily& family : core) {
    if (family.name == own + "sidecar_valid") {
      for (metrics::Sample& sample : family.samples) sample.value = 0;
    }
  }
  return core;
}

// The report's families for a receiver: with the checked sidecar text's samples, without
// deletions (families without samples: a receiver keeps its samples).
std::vector<MetricFamily> ForReceiver(std::vector<MetricFamily> families,
                                      std::string_view sidecar_text) {
  if (!sidecar_text.empty()) {
    // Checked already; a receiver needs the samples themselves.
    metrics::ParseResult parsed = metrics::ParseText(sidecar_text);
    if (parsed.ok()) {
      families.insert(families.end(), std::make_move_iterator(parsed.families.begin()),
                      std::make_move_iterator(parsed.families.end()));
    }
  }
  std::erase_if(families, [](const MetricFamily& family) { return family.samples.empty(); });
  return families;
}

metrics::RemoteWriteParams WriteParamsOf(const config::Settings& settings,
                                         const std::vector<MetricFamily>& families) {
  return metrics::RemoteWriteParams{.job_name = settings.job,
                                    .labels = settings.grouping,
                                    .timestamp_ms = ReportTimeMs(settings.prefix, families)};
}

// One WriteRequest to a remote-write receiver: every sample stamped with the report's time,
// job and grouping labels as ordinary labels.
bool WriteToReceiver(const config::Settings& settings, const config::Target& target,
                     std::vector<MetricFamily> families, std::string_view sidecar_text,
                     ReportKind kind, const DeliveryIo& io, Logger& log, bool* unavailable) {
  if (io.dry_run) {
    families = ForReceiver(std::move(families), sidecar_text);
    // The samples as text, with the labels and the timestamp the WriteRequest carries.
    PrintDryRun(io.dry_run_out, "POST",
                metrics::RedactUrl(target.url) + " (remote write, samples at " +
                    std::to_string(WriteParamsOf(settings, families).timestamp_ms) + " ms)",
                RenderTextfile(families, settings.job, settings.grouping));
    return true;
  }
  std::optional<metrics::EncodedRequest> request =
      EncodeWrite(settings, target, std::move(families), sidecar_text, io, log);
  if (!request) return false;
  bool refused = false;
  return SendEncodedTo(target, *request, kind, io, log, unavailable, &refused);
}

bool DeliverToTextfile(const config::Settings& settings, std::vector<MetricFamily> families,
                       ReportKind kind, bool success, const DeliveryIo& io, Logger& log) {
  const std::string path =
      settings.textfile_dir + "/" + TextfileName(settings.job, settings.grouping);
  if (kind == ReportKind::kFinal && success && settings.delete_on_success) {
    if (io.dry_run) {
      PrintDryRun(io.dry_run_out, "REMOVE", path, "");
      return true;
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      log.Error("cannot remove " + path + ": " + std::strerror(errno));
      return false;
    }
    log.Info("removed " + path);
    return true;
  }
  const bool merge = kind != ReportKind::kFinal || settings.method == config::PushMethod::kPost;
  std::vector<MetricFamily> merged = MergeFamilies(
      ReadExisting(path), Labeled(std::move(families), settings.job, settings.grouping), merge);
  // A family without samples is a deletion (see AppendDeletions): it has replaced the file's
  // family of that name above, and is not written itself.
  std::erase_if(merged, [](const MetricFamily& family) { return family.samples.empty(); });
  const std::string text = metrics::WriteText(merged);
  if (io.dry_run) {
    PrintDryRun(io.dry_run_out, "WRITE", path, text);
    return true;
  }
  if (std::string error = WriteFileAtomically(path, text, 0644); !error.empty()) {
    log.Error("cannot write the textfile: " + error);
    return false;
  }
  log.Info("wrote " + path);
  return true;
}

}  // namespace

namespace {

// A component of a textfile name: bytes of [A-Za-z0-9._-] as they are, any other byte as %XX
// ('%' too), so the encoding is injective and never yields '@', '=' or '~', which separate the
// components and mark a hashed name.
void AppendNameComponent(std::string& name, std::string_view text) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    if (keep) {
      name += static_cast<char>(c);
    } else {
      name += '%';
      name += kDigits[c >> 4];
      name += kDigits[c & 15];
    }
  }
}

// The longest name kept whole: NAME_MAX (255) less what the atomic write adds for its
// temporary file ("." + name + ".XXXXXX").
constexpr std::size_t kMaxTextfileName = 255 - 8;

}  // namespace

std::string TextfileName(const std::string& job,
                         const std::map<std::string, std::string>& grouping) {
  std::string name;
  // A leading '.' would hide the file from node_exporter (and make it look like our own
  // temporary files): encoded like any other byte outside the plain set.
  if (job.starts_with('.')) {
    name += "%2E";
    AppendNameComponent(name, std::string_view(job).substr(1));
  } else {
    AppendNameComponent(name, job);
  }
  // Label names are [a-zA-Z_][a-zA-Z0-9_]*: never '@' or '='.
  for (const auto& [label, value] : grouping) {
    name += '@';
    name += label;
    name += '=';
    AppendNameComponent(name, value);
  }
  name += ".prom";
  if (name.size() <= kMaxTextfileName) return name;
  // Too long for a file name: a prefix for people, then '~' (never in an encoded name) and a
  // 64-bit FNV-1a hash of the whole name.
  std::uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "~%016llx.prom", static_cast<unsigned long long>(hash));
  return name.substr(0, 200) + suffix;
}

std::string RenderTextfile(const std::vector<MetricFamily>& families, const std::string& job,
                           const std::map<std::string, std::string>& grouping) {
  return metrics::WriteText(Labeled(families, job, grouping));
}

std::vector<MetricFamily> MergeFamilies(std::string_view existing, std::vector<MetricFamily> update,
                                        bool merge) {
  if (!merge || existing.empty()) return update;
  metrics::ParseResult parsed = metrics::ParseText(existing);
  if (!parsed.ok()) return update;
  std::set<std::string> names;
  for (const MetricFamily& family : update) names.insert(family.name);
  for (MetricFamily& family : parsed.families) {
    if (!names.count(family.name)) update.push_back(std::move(family));
  }
  return update;
}

bool DeliverToTarget(const config::Settings& settings, const config::Target& target,
                     std::vector<MetricFamily> families, ReportKind kind, bool success,
                     const DeliveryIo& io, Logger& log, bool* unavailable,
                     std::string_view sidecar_text) {
  if (unavailable != nullptr) *unavailable = false;
  if (target.kind == config::TargetKind::kRemoteWrite) {
    return WriteToReceiver(settings, target, std::move(families), sidecar_text, kind, io, log,
                           unavailable);
  }
  // A gateway can refuse sidecar metrics the strict check cannot foresee (a TYPE or series
  // clashing with another group). The core report must still arrive: once more without the
  // sidecar, marked invalid. A refusal comes back at once, so this fits the deadline.
  std::optional<std::vector<MetricFamily>> core;
  if (kind == ReportKind::kFinal && !io.dry_run) {
    core = WithoutSidecar(families, sidecar_text, settings.prefix);
  }
  bool refused = false;
  if (PushToGateway(settings, target, std::move(families), sidecar_text, kind, success, io, log,
                    unavailable, &refused)) {
    return true;
  }
  if (!refused || !core) return false;
  log.Warning("pushing the report again to " + TargetName(target) +
              " without the sidecar's metrics (" + settings.prefix + "_sidecar_valid 0)");
  return PushToGateway(settings, target, std::move(*core), {}, kind, success, io, log, unavailable,
                       &refused);
}

bool DeliverReport(const config::Settings& settings, std::vector<MetricFamily> families,
                   ReportKind kind, bool success, const DeliveryIo& io, Logger& log,
                   std::string_view sidecar_text) {
  if (settings.targets.size() == 1) {
    return DeliverToTarget(settings, settings.targets.front(), std::move(families), kind, success,
                           io, log, nullptr, sidecar_text);
  }
  if (io.dry_run && !settings.targets.empty()) {
    // A dry run prints each target's request in turn, never interleaved.
    bool all = true;
    for (const config::Target& target : settings.targets) {
      all = DeliverToTarget(settings, target, families, kind, success, io, log, nullptr,
                            sidecar_text) &&
            all;
    }
    return all;
  }
  if (!settings.targets.empty()) {
    return ForEveryTarget(
        settings.targets,
        [&](const config::Target& target) {
          return DeliverToTarget(settings, target, families, kind, success, io, log, nullptr,
                                 sidecar_text);
        },
        log,
        kind == ReportKind::kStart     ? "the start report"
        : kind == ReportKind::kSkipped ? "the skipped-run report"
                                       : "the report");
  }
  if (!settings.textfile_dir.empty()) {
    return DeliverToTextfile(settings, std::move(families), kind, success, io, log);
  }
  // Neither: the final report goes to stderr (or stdout for a dry run) so it is not lost.
  if (kind != ReportKind::kFinal) return true;
  std::ostream* out = io.dry_run ? io.dry_run_out : io.fallback_out;
  if (out != nullptr) {
    const std::string text = RenderTextfile(families, settings.job, settings.grouping);
    out->write(text.data(), static_cast<std::streamsize>(text.size()));
    out->flush();
  }
  return true;
}

metrics::PushOptions PushOptionsOf(const config::PushSettings& push, const DeliveryIo& io) {
  metrics::PushOptions options;
  options.timeout = push.timeout;
  options.connect_timeout = push.connect_timeout;
  options.headers = push.headers;
  options.basic_auth = push.basic_auth;
  options.bearer_token = push.bearer_token;
  options.tls = push.tls;
  options.proxy = push.proxy;
  options.gzip = push.gzip;
  options.format = push.format;
  options.retry = push.retry;
  options.transport = io.transport;
  options.cancellation = io.cancellation;
  return options;
}

std::int64_t ReportTimeMs(const std::string& prefix, const std::vector<MetricFamily>& families) {
  const std::string name = prefix + "_end_timestamp_seconds";
  for (const MetricFamily& family : families) {
    if (family.name == name && family.samples.size() == 1) {
      return static_cast<std::int64_t>(std::llround(family.samples.front().value * 1000));
    }
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<metrics::EncodedRequest> EncodeWrite(const config::Settings& settings,
                                                   const config::Target& target,
                                                   std::vector<MetricFamily> families,
                                                   std::string_view sidecar_text,
                                                   const DeliveryIo& io, Logger& log) {
  families = ForReceiver(std::move(families), sidecar_text);
  try {
    metrics::Registry empty;
    const metrics::RemoteWriter writer(target.url, PushOptionsOf(target.push, io), empty);
    return writer.Encode(WriteParamsOf(settings, families), families);
  } catch (const metrics::Error& error) {  // refused before sending: a bad URL or series
    log.Error("cannot write to " + metrics::RedactUrl(target.url) + ": " + error.what());
  }
  return std::nullopt;
}

bool SendEncodedTo(const config::Target& target, const metrics::EncodedRequest& request,
                   ReportKind kind, const DeliveryIo& io, Logger& log, bool* unavailable,
                   bool* refused) {
  if (unavailable != nullptr) *unavailable = false;
  *refused = false;
  const std::string url = metrics::RedactUrl(request.url);
  try {
    log.Info(request.method + " " + url);
    const metrics::PushResult result =
        metrics::SendEncoded(request, PushOptionsOf(target.push, io));
    log.Info(request.method + " " + url + ": HTTP " + std::to_string(result.status));
    return true;
  } catch (const metrics::PushError& error) {
    if (unavailable != nullptr) *unavailable = IsGatewayUnavailable(error);
    *refused = error.category() == metrics::ErrorCategory::kHttp && !IsGatewayUnavailable(error);
    log.Error(std::string(KindPrefix(kind)) + DescribePushError(error));
  } catch (const metrics::Error& error) {  // such as a UsageError: refused before sending
    log.Error("cannot send to " + url + ": " + error.what());
  }
  return false;
}

void PrepareTargets(const config::Settings& settings, const DeliveryIo& io) {
  if (io.dry_run) return;
  for (const config::Target& target : settings.targets) {
    try {
      // The thread owns copies; Prepare touches no registry, so the default one serves. It
      // first starts the thread that turns SIGTERM into a cancelled push once the command has
      // ended (once per process), so that is not done after the command's exit.
      if (target.kind == config::TargetKind::kRemoteWrite) {
        std::thread([writer = metrics::RemoteWriter(target.url, PushOptionsOf(target.push, io))] {
          detail::CancelOnSignal::StartWatcher();
          writer.Prepare();
        }).detach();
      } else {
        std::thread([gateway = metrics::Pushgateway(target.url, PushOptionsOf(target.push, io)),
                     params = ParamsOf(settings)] {
          detail::CancelOnSignal::StartWatcher();
          gateway.Prepare(params);
        }).detach();
      }
    } catch (const std::exception&) {
      // A bad URL is reported by the push itself; no thread means no head start.
    }
  }
}

bool IsGatewayUnavailable(const metrics::PushError& error) {
  if (error.category() == metrics::ErrorCategory::kTransport) return true;
  if (error.category() != metrics::ErrorCategory::kHttp) return false;
  const int status = error.status();
  return status == 408 || status == 429 || status >= 500;
}

std::string DescribePushError(const metrics::PushError& error) {
  // The message already quotes the gateway's answer, cut and cleaned to one line; the raw body
  // (up to the transport's cap) must never reach the log.
  return error.what();
}

}  // namespace pushrun::runner
