#include "pushrun/runner/report.h"

#include <sys/time.h>

#include <algorithm>
#include <unordered_set>
#include <utility>

namespace pushrun::runner {
namespace {

using metrics::MetricFamily;
using metrics::MetricType;
using metrics::Sample;

class ReportBuilder {
 public:
  explicit ReportBuilder(std::string_view prefix) : prefix_(prefix) {}

  void Gauge(std::string_view suffix, std::string_view help, double value,
             metrics::Labels labels = {}) {
    MetricFamily family;
    family.name = prefix_;
    family.name += '_';
    family.name += suffix;
    family.help = help;
    family.type = MetricType::kGauge;
    family.samples.push_back(Sample{.name = family.name,
                                    .labels = std::move(labels),
                                    .value = value,
                                    .timestamp_ms = std::nullopt});
    families_.push_back(std::move(family));
  }

  std::vector<MetricFamily> Take() { return std::move(families_); }

 private:
  std::string prefix_;
  std::vector<MetricFamily> families_;
};

// The suffixes of the heartbeat-only families, in report order.
constexpr std::string_view kHeartbeatTimestamp = "heartbeat_timestamp_seconds";
constexpr std::string_view kHeartbeatInterval = "heartbeat_interval_seconds";
constexpr std::string_view kElapsed = "elapsed_seconds";
constexpr std::string_view kLiveCpu = "live_cpu_seconds";
constexpr std::string_view kLiveMemory = "live_memory_bytes";
constexpr std::string_view kLiveProcesses = "live_processes";
constexpr std::string_view kHeartbeatOnly[] = {
    kHeartbeatTimestamp, kHeartbeatInterval, kElapsed, kLiveCpu, kLiveMemory, kLiveProcesses};

constexpr std::string_view kRunningHelp =
    "1 while the command runs (--push-start, --heartbeat), 0 once it has ended.";

double Seconds(const timeval& tv) {
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

double ToUnixSeconds(std::chrono::system_clock::time_point time) {
  const auto us =
      std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  return static_cast<double>(us) / 1e6;
}

bool IsReservedName(std::string_view name, std::string_view prefix) {
  if (name == "push_time_seconds" || name == "push_failure_time_seconds") return true;
  return name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix &&
         name[prefix.size()] == '_';
}

std::vector<MetricFamily> BuildFinalReport(const ChildOutcome& outcome, const ReportInput& input) {
  const int exit_status = outcome.WrapperExitCode();
  const bool success = exit_status == 0;
  const double end = ToUnixSeconds(outcome.end_time);
  const rusage& ru = outcome.usage;

  ReportBuilder b(input.prefix);
  b.Gauge("start_timestamp_seconds", "When the command started, in seconds since the Unix epoch.",
          ToUnixSeconds(outcome.start_time));
  b.Gauge("end_timestamp_seconds", "When the command ended, in seconds since the Unix epoch.", end);
  b.Gauge("duration_seconds", "Wall-clock run time of the command in seconds (monotonic clock).",
          outcome.duration_seconds);
  b.Gauge("exit_code",
          "Exit status of the command as a shell reports it: 128+N after signal N, 124 on "
          "timeout, 126 not executable, 127 not found, 125 could not be started.",
          exit_status);
  b.Gauge("signal", "Number of the signal that killed the command, 0 if none.", outcome.signal);
  b.Gauge("success", "1 if the command exited with status 0, else 0.", success ? 1 : 0);
  b.Gauge("timed_out", "1 if the command was stopped by --timeout, else 0.",
          outcome.timed_out ? 1 : 0);
  b.Gauge("received_signal",
          "Number of the terminating signal pushrun itself received and forwarded to the "
          "command, 0 if none.",
          outcome.received_signal);
  b.Gauge("running", kRunningHelp, 0);
  if (success) {
    b.Gauge("last_success_timestamp_seconds",
            "When the command last succeeded, in seconds since the Unix epoch.", end);
  }
  b.Gauge("cpu_user_seconds", "User CPU time of the command and its descendants in seconds.",
          Seconds(ru.ru_utime));
  b.Gauge("cpu_system_seconds", "System CPU time of the command and its descendants in seconds.",
          Seconds(ru.ru_stime));
  // Linux reports ru_maxrss in KiB.
  b.Gauge("max_rss_bytes", "Largest resident set size of the command or a descendant in bytes.",
          static_cast<double>(ru.ru_maxrss) * 1024.0);
  b.Gauge("minor_page_faults", "Page faults served without I/O (minor), a count.",
          static_cast<double>(ru.ru_minflt));
  b.Gauge("major_page_faults", "Page faults that needed I/O (major), a count.",
          static_cast<double>(ru.ru_majflt));
  b.Gauge("block_input_operations", "Block input operations of the file system, a count.",
          static_cast<double>(ru.ru_inblock));
  b.Gauge("block_output_operations", "Block output operations of the file system, a count.",
          static_cast<double>(ru.ru_oublock));
  b.Gauge("voluntary_context_switches",
          "Context switches because the command waited for a resource, a count.",
          static_cast<double>(ru.ru_nvcsw));
  b.Gauge("involuntary_context_switches", "Context switches forced by the scheduler, a count.",
          static_cast<double>(ru.ru_nivcsw));
  b.Gauge("orphans_reaped", "Orphaned descendants pushrun reaped as subreaper or PID 1, a count.",
          outcome.reaped_orphans);
  b.Gauge("sidecar_valid",
          "1 if the sidecar metrics file was absent, empty or valid and merged; 0 if refused.",
          input.sidecar_valid ? 1 : 0);
  return b.Take();
}

std::vector<MetricFamily> BuildStartReport(std::chrono::system_clock::time_point start,
                                           std::string_view prefix) {
  ReportBuilder b(prefix);
  b.Gauge("start_timestamp_seconds", "When the command started, in seconds since the Unix epoch.",
          ToUnixSeconds(start));
  b.Gauge("running", kRunningHelp, 1);
  return b.Take();
}

std::vector<MetricFamily> BuildRunningReport(const RunningReportInput& input) {
  ReportBuilder b(input.prefix);
  b.Gauge("start_timestamp_seconds", "When the command started, in seconds since the Unix epoch.",
          ToUnixSeconds(input.start));
  b.Gauge("running", kRunningHelp, 1);
  b.Gauge(kHeartbeatTimestamp,
          "When this heartbeat of a running command was sent, in seconds since the Unix epoch.",
          ToUnixSeconds(input.now));
  b.Gauge(kHeartbeatInterval, "Seconds between two heartbeats (--heartbeat).",
          static_cast<double>(input.interval.count()) / 1e3);
  b.Gauge(kElapsed, "Seconds the command has been running at this heartbeat (monotonic clock).",
          input.elapsed_seconds);
  b.Gauge(kLiveCpu,
          "User and system CPU seconds used so far by every process below pushrun, including "
          "descendants that ended and were waited for.",
          input.tree.cpu_seconds);
  b.Gauge(kLiveMemory,
          "Memory of every process below pushrun now, in bytes: proportional set size "
          "(measure=\"pss\") when every process's smaps_rollup is readable, else resident set "
          "size (measure=\"rss\").",
          input.tree.memory_bytes,
          {{.name = "measure", .value = MemoryMeasureName(input.tree.memory_measure)}});
  b.Gauge(kLiveProcesses, "Number of live processes below pushrun now.", input.tree.processes);
  std::vector<MetricFamily> report = b.Take();
  if (input.sidecar != nullptr) {
    report.insert(report.end(), input.sidecar->begin(), input.sidecar->end());
  }
  return report;
}

std::vector<std::string> HeartbeatOnlyFamilyNames(std::string_view prefix) {
  std::vector<std::string> names;
  for (std::string_view suffix : kHeartbeatOnly) {
    names.push_back(std::string(prefix) + "_" + std::string(suffix));
  }
  return names;
}

namespace {

// An empty family for each (name, type) of `families`, in their order, that `report` lacks.
template <typename Families>
void AppendEmptyFamilies(std::vector<MetricFamily>& report, const Families& families) {
  std::unordered_set<std::string_view> present;
  for (const MetricFamily& family : report) present.insert(family.name);
  std::vector<MetricFamily> deletions;
  for (const auto& [name, type] : families) {
    if (!present.insert(name).second) continue;
    deletions.push_back(MetricFamily{.name = name, .help = {}, .type = type, .samples = {}});
  }
  // Appended after the lookups: growing `report` would move the names `present` points at.
  for (MetricFamily& family : deletions) report.push_back(std::move(family));
}

}  // namespace

void AppendDeletions(std::vector<MetricFamily>& report, const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, MetricType>> families;
  for (const std::string& name : names) families.emplace_back(name, MetricType::kUntyped);
  AppendEmptyFamilies(report, families);
}

void AppendDeletions(std::vector<MetricFamily>& report,
                     const std::map<std::string, MetricType>& families) {
  AppendEmptyFamilies(report, families);
}

}  // namespace pushrun::runner
