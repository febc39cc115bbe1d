// Runs several commands (wrappers around bench_probe, or the bare probe) the same way, many
// times, interleaved round by round so that noise from other load on the machine falls on all
// of them alike, and prints the median of each measurement per command.
//
//   bench_driver [--runs N] [--warmup N] [--rss] [--settle-ms MS] [--log FILE] SPEC OUTDIR
//
// SPEC has one command per line: "<name>\t<arg0>\t<arg1>...". "@OUT@" in an argument becomes
// OUTDIR/<name>.out, the file bench_probe writes its clock readings to.
//
// Per run, with every clock CLOCK_MONOTONIC (one clock for all processes on the machine):
//   exec   the forked child's reading just before execve of the command
//   start  the probe's reading on entry to main
//   exit   the probe's reading right before _exit
//   reaped the driver's reading when wait4 returned for the command
// and it reports total = reaped - exec, before = start - exec, after = reaped - exit, and cpu =
// the user + system CPU time of the command and the children it waited for (wait4's rusage),
// which, unlike the wall times, hardly depends on other load on the machine.
// With --rss it waits until the probe has started (it writes its start time first when run
// with --sleep), lets the wrapper settle, and reads the memory of the command's process (the
// wrapper): VmRSS and RssAnon from /proc/PID/status, Private_Clean + Private_Dirty from
// /proc/PID/smaps_rollup.
//
// Output, one line per command: "<name> runs=N failed=N total_ms=.. before_ms=.. after_ms=..
// cpu_ms=.. vmrss_kib=.. rssanon_kib=.. private_kib=.." (absent fields were not measured).

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void SleepMs(long ms) {
  timespec pause{ms / 1000, (ms % 1000) * 1'000'000};
  while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
  }
}

struct Command {
  std::string name;
  std::vector<std::string> argv;
  std::string out_path;
  std::vector<double> total_ms, before_ms, after_ms, cpu_ms;
  std::vector<double> vmrss_kib, rssanon_kib, private_kib;
  int failed = 0;
};

struct Options {
  int runs = 20;
  int warmup = 2;
  bool rss = false;
  long settle_ms = 50;
  std::string log_path = "/dev/null";
  std::string spec_path;
  std::string out_dir;
};

[[noreturn]] void Usage() {
  std::cerr << "usage: bench_driver [--runs N] [--warmup N] [--rss] [--settle-ms MS] "
               "[--log FILE] SPEC OUTDIR\n";
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (arg == "--runs") {
      options.runs = std::stoi(value());
    } else if (arg == "--warmup") {
      options.warmup = std::stoi(value());
    } else if (arg == "--rss") {
      options.rss = true;
    } else if (arg == "--settle-ms") {
      options.settle_ms = std::stol(value());
    } else if (arg == "--log") {
      options.log_path = value();
    } else if (!arg.empty() && arg[0] == '-') {
      Usage();
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) Usage();
  options.spec_path = positional[0];
  options.out_dir = positional[1];
  return options;
}

std::vector<Command> ReadSpec(const Options& options) {
  std::ifstream in(options.spec_path);
  if (!in) {
    std::cerr << "bench_driver: cannot read " << options.spec_path << "\n";
    std::exit(2);
  }
  std::vector<Command> commands;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream stream(line);
    std::string field;
    while (std::getline(stream, field, '\t')) fields.push_back(field);
    if (fields.size() < 2) continue;
    Command command;
    command.name = fields[0];
    command.out_path = options.out_dir + "/" + command.name + ".out";
    for (std::size_t i = 1; i < fields.size(); ++i) {
      std::string arg = fields[i];
      for (std::size_t at; (at = arg.find("@OUT@")) != std::string::npos;) {
        arg.replace(at, 5, command.out_path);
      }
      command.argv.push_back(arg);
    }
    commands.push_back(std::move(command));
  }
  return commands;
}

// The probe's two readings, if it wrote them this run.
std::optional<std::pair<std::int64_t, std::int64_t>> ReadProbe(const std::string& path) {
  std::ifstream in(path);
  long long start = 0, exit = 0;
  if (!(in >> start >> exit)) return std::nullopt;
  return std::make_pair(static_cast<std::int64_t>(start), static_cast<std::int64_t>(exit));
}

bool WaitForStart(const std::string& path, std::int64_t deadline_ns) {
  struct stat st;
  while (NowNs() < deadline_ns) {
    if (stat(path.c_str(), &st) == 0 && st.st_size > 0) return true;
    SleepMs(1);
  }
  return false;
}

// Sum of the "<key>: N kB" lines of a /proc file for the given keys; -1 if none was found.
double ProcKib(const std::string& path, std::initializer_list<const char*> keys) {
  std::ifstream in(path);
  std::string line;
  double total = 0;
  bool found = false;
  while (std::getline(in, line)) {
    for (const char* key : keys) {
      std::size_t n = std::strlen(key);
      if (line.compare(0, n, key) == 0 && line.size() > n && line[n] == ':') {
        total += std::strtod(line.c_str() + n + 1, nullptr);
        found = true;
      }
    }
  }
  return found ? total : -1;
}

void RunOnce(Command& command, const Options& options, int log_fd, bool record) {
  unlink(command.out_path.c_str());
  std::vector<char*> argv;
  for (auto& arg : command.argv) argv.push_back(arg.data());
  argv.push_back(nullptr);

  // The child stores its clock reading here right before execve.
  auto* exec_ns = static_cast<std::int64_t*>(mmap(
      nullptr, sizeof(std::int64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (exec_ns == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    std::exit(1);
  }
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    dup2(log_fd, 2);
    *exec_ns = NowNs();
    execvp(argv[0], argv.data());
    _exit(127);
  }
  double vmrss = -1, rssanon = -1, priv = -1;
  if (options.rss) {
    if (WaitForStart(command.out_path, NowNs() + 20'000'000'000)) {
      SleepMs(options.settle_ms);
      std::string proc = "/proc/" + std::to_string(pid);
      vmrss = ProcKib(proc + "/status", {"VmRSS"});
      rssanon = ProcKib(proc + "/status", {"RssAnon"});
      priv = ProcKib(proc + "/smaps_rollup", {"Private_Clean", "Private_Dirty"});
    }
  }
  int status = 0;
  struct rusage usage;
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  const std::int64_t reaped_ns = NowNs();
  const std::int64_t exec_at = *exec_ns;
  munmap(exec_ns, sizeof(std::int64_t));

  if (!record) return;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ++command.failed;
    dprintf(log_fd, "bench_driver: %s: run failed (status 0x%x)\n", command.name.c_str(), status);
    return;
  }
  command.total_ms.push_back((reaped_ns - exec_at) / 1e6);
  command.cpu_ms.push_back((usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
                           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3);
  if (auto probe = ReadProbe(command.out_path)) {
    command.before_ms.push_back((probe->first - exec_at) / 1e6);
    command.after_ms.push_back((reaped_ns - probe->second) / 1e6);
  }
  if (vmrss >= 0) command.vmrss_kib.push_back(vmrss);
  if (rssanon >= 0) command.rssanon_kib.push_back(rssanon);
  if (priv >= 0) command.private_kib.push_back(priv);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void PrintField(const char* key, const std::vector<double>& values) {
  if (values.empty()) return;
  std::printf(" %s=%.4f", key, Median(values));
}

}  // namespace

int main(int argc, char** argv) {
  Options options = ParseOptions(argc, argv);
  std::vector<Command> commands = ReadSpec(options);
  if (commands.empty()) {
    std::cerr << "bench_driver: no commands in " << options.spec_path << "\n";
    return 2;
  }
  int log_fd = open(options.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    std::perror(options.log_path.c_str());
    return 2;
  }
  for (int round = 0; round < options.warmup + options.runs; ++round) {
    for (auto& command : commands) RunOnce(command, options, log_fd, round >= options.warmup);
  }
  for (const auto& command : commands) {
    std::printf("%s runs=%zu failed=%d", command.name.c_str(), command.total_ms.size(),
                command.failed);
    PrintField("total_ms", command.total_ms);
    PrintField("before_ms", command.before_ms);
    PrintField("after_ms", command.after_ms);
    PrintField("cpu_ms", command.cpu_ms);
    PrintField("vmrss_kib", command.vmrss_kib);
    PrintField("rssanon_kib", command.rssanon_kib);
    PrintField("private_kib", command.private_kib);
    std::printf("\n");
  }
  return 0;
}
