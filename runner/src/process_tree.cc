#include "pushrun/runner/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace pushrun::runner {
namespace {

struct ProcStat {
  pid_t pid = 0;
  pid_t ppid = 0;
  bool zombie = false;
  std::uint64_t cpu_ticks = 0;  // utime + stime + cutime + cstime
  std::uint64_t rss_pages = 0;
};

// Reads a small /proc file into `buffer`; returns the bytes read, or 0.
std::string_view ReadSmall(const char* path, char* buffer, std::size_t size) {
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::size_t used = 0;
  while (used < size) {
    const ssize_t n = ::read(fd, buffer + used, size - used);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    used += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return {buffer, used};
}

std::uint64_t ToNumber(std::string_view text) {
  std::uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

// /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so the
// fields are counted from the last ')'. Field numbers as in proc(5).
bool ParseStat(std::string_view text, ProcStat* stat) {
  const std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) return false;
  std::string_view rest = text.substr(close + 1);
  std::string_view fields[25];  // fields[3] is "state"
  int field = 3;
  std::size_t i = 0;
  while (field <= 24 && i < rest.size()) {
    while (i < rest.size() && rest[i] == ' ') ++i;
    const std::size_t start = i;
    while (i < rest.size() && rest[i] != ' ' && rest[i] != '\n') ++i;
    if (start == i) break;
    fields[field++] = rest.substr(start, i - start);
  }
  if (field <= 24) return false;
  stat->zombie = fields[3] == "Z" || fields[3] == "X";
  stat->ppid = static_cast<pid_t>(ToNumber(fields[4]));
  stat->cpu_ticks =
      ToNumber(fields[14]) + ToNumber(fields[15]) + ToNumber(fields[16]) + ToNumber(fields[17]);
  stat->rss_pages = ToNumber(fields[24]);
  return true;
}

// "Pss:" of /proc/<pid>/smaps_rollup in bytes, or -1 when it cannot be read (another user's
// process, or a kernel before 4.14).
double PssBytes(pid_t pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/smaps_rollup";
  char buffer[2048];  // the rollup is about 1 KiB; "Pss:" is on its third line
  const std::string_view text = ReadSmall(path.c_str(), buffer, sizeof buffer);
  const std::size_t at = text.find("\nPss:");
  if (at == std::string_view::npos) return -1;
  std::size_t i = at + 5;
  while (i < text.size() && text[i] == ' ') ++i;
  std::size_t j = i;
  while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
  if (i == j) return -1;
  return static_cast<double>(ToNumber(text.substr(i, j - i))) * 1024.0;  // kB
}

std::vector<ProcStat> ReadAllStats() {
  std::vector<ProcStat> stats;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return stats;
  char buffer[1024];
  std::string path;
  while (const dirent* entry = ::readdir(proc)) {
    const std::string_view name = entry->d_name;
    if (name.empty() || name[0] < '1' || name[0] > '9') continue;
    path.assign("/proc/").append(name).append("/stat");
    ProcStat stat;
    stat.pid = static_cast<pid_t>(ToNumber(name));
    // A process that ends between readdir and open is simply not there.
    if (ParseStat(ReadSmall(path.c_str(), buffer, sizeof buffer), &stat)) stats.push_back(stat);
  }
  ::closedir(proc);
  return stats;
}

}  // namespace

const char* MemoryMeasureName(MemoryMeasure measure) {
  return measure == MemoryMeasure::kPss ? "pss" : "rss";
}

ProcessTreeUsage MeasureDescendants(pid_t ancestor) {
  const std::vector<ProcStat> stats = ReadAllStats();
  std::unordered_multimap<pid_t, const ProcStat*> children;
  children.reserve(stats.size());
  for (const ProcStat& stat : stats) children.emplace(stat.ppid, &stat);

  std::vector<const ProcStat*> tree;
  std::vector<pid_t> pending{ancestor};
  // The stat files are not read at one instant: with pids reused in between, the parent links
  // could in theory form a loop. Visiting each pid once keeps the walk finite.
  std::unordered_set<pid_t> visited{ancestor};
  while (!pending.empty()) {
    const pid_t parent = pending.back();
    pending.pop_back();
    auto [first, last] = children.equal_range(parent);
    for (auto it = first; it != last; ++it) {
      if (!visited.insert(it->second->pid).second) continue;
      tree.push_back(it->second);
      pending.push_back(it->second->pid);
    }
  }

  static const double kTicksPerSecond = static_cast<double>(::sysconf(_SC_CLK_TCK));
  static const double kPageBytes = static_cast<double>(::sysconf(_SC_PAGESIZE));
  ProcessTreeUsage usage;
  double rss = 0;
  double pss = 0;
  for (const ProcStat* stat : tree) {
    usage.cpu_seconds += static_cast<double>(stat->cpu_ticks) / kTicksPerSecond;
    if (stat->zombie) continue;
    ++usage.processes;
    rss += static_cast<double>(stat->rss_pages) * kPageBytes;
    if (usage.memory_measure == MemoryMeasure::kPss) {
      const double bytes = PssBytes(stat->pid);
      if (bytes < 0) {
        usage.memory_measure = MemoryMeasure::kRss;
      } else {
        pss += bytes;
      }
    }
  }
  usage.memory_bytes = usage.memory_measure == MemoryMeasure::kPss ? pss : rss;
  return usage;
}

}  // namespace pushrun::runner
