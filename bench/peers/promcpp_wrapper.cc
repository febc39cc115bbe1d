// A peer for the benchmarks only (never part of the product): a job wrapper written the
// straightforward way on prometheus-cpp, doing what pushrun does for a run.
//
//   bench_promcpp_wrapper --gateway http://HOST:PORT --job JOB [-g NAME=VALUE]... -- CMD ARGS...
//
// It builds a registry of gauges and the Gateway up front, fork/execs the command with
// PUSHRUN_METRICS_FILE naming an empty 0600 file in a fresh private directory, waits with
// wait4, sets the same gauges as pushrun's report (timestamps, duration, exit code, signal,
// success, CPU, max RSS, faults, block I/O, context switches) and pushes them with one POST.
// prometheus-cpp has no parser, so a non-empty sidecar is forwarded unchecked, as its raw
// bytes, in a second POST to the same group (with libcurl directly).
//
// Naming: prometheus-cpp 1.0's Gateway::Push() sends POST and Gateway::PushAdd() sends PUT
// (the reverse of the Pushgateway's own terms); the POST is the one pushrun sends by default,
// so this calls Push().

#include <curl/curl.h>
#include <prometheus/gateway.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace {

struct Args {
  std::string gateway;
  std::string job;
  prometheus::Labels groupings;
  std::vector<char*> command;
};

[[noreturn]] void Usage() {
  std::cerr << "usage: bench_promcpp_wrapper --gateway URL --job JOB [-g K=V]... -- CMD...\n";
  std::exit(125);
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  int i = 1;
  for (; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (i + 1 >= argc) Usage();
    std::string value = argv[++i];
    if (arg == "--gateway") {
      args.gateway = value;
    } else if (arg == "--job") {
      args.job = value;
    } else if (arg == "-g") {
      auto eq = value.find('=');
      if (eq == std::string::npos) Usage();
      args.groupings[value.substr(0, eq)] = value.substr(eq + 1);
    } else {
      Usage();
    }
  }
  for (; i < argc; ++i) args.command.push_back(argv[i]);
  args.command.push_back(nullptr);
  if (args.gateway.empty() || args.job.empty() || args.command.size() < 2) Usage();
  return args;
}

double Seconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The raw-bytes forward of a sidecar; returns whether the gateway answered 2xx.
bool ForwardSidecar(const std::string& url, const std::string& body) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return false;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(
      curl, CURLOPT_WRITEFUNCTION, +[](char*, size_t size, size_t n, void*) { return size * n; });
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10'000L);
  long status = 0;
  bool ok = curl_easy_perform(curl) == CURLE_OK &&
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
            status / 100 == 2;
  curl_easy_cleanup(curl);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  auto colon = args.gateway.rfind(':');
  if (colon == std::string::npos || colon < 6) Usage();
  const std::string host = args.gateway.substr(0, colon);
  const std::string port = args.gateway.substr(colon + 1);

  auto registry = std::make_shared<prometheus::Registry>();
  auto gauge = [&](const std::string& name, const std::string& help) -> prometheus::Gauge& {
    return prometheus::BuildGauge().Name("pushrun_" + name).Help(help).Register(*registry).Add({});
  };
  auto& start_ts = gauge("start_timestamp_seconds", "When the command started.");
  auto& end_ts = gauge("end_timestamp_seconds", "When the command ended.");
  auto& duration = gauge("duration_seconds", "How long the command ran.");
  auto& exit_code = gauge("exit_code", "The command's exit code.");
  auto& signal = gauge("signal", "The signal that killed the command, 0 if none.");
  auto& success = gauge("success", "1 if the command succeeded.");
  auto& cpu_user = gauge("cpu_user_seconds", "User CPU time.");
  auto& cpu_system = gauge("cpu_system_seconds", "System CPU time.");
  auto& max_rss = gauge("max_rss_bytes", "Peak resident set size.");
  auto& minor_faults = gauge("minor_page_faults", "Minor page faults.");
  auto& major_faults = gauge("major_page_faults", "Major page faults.");
  auto& block_in = gauge("block_input_operations", "Block input operations.");
  auto& block_out = gauge("block_output_operations", "Block output operations.");
  auto& voluntary = gauge("voluntary_context_switches", "Voluntary context switches.");
  auto& involuntary = gauge("involuntary_context_switches", "Involuntary context switches.");

  prometheus::Gateway gateway(host, port, args.job, args.groupings);
  gateway.RegisterCollectable(registry);

  char dir_template[] = "/tmp/promcpp-wrapper-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) {
    std::perror("mkdtemp");
    return 125;
  }
  const std::string sidecar = std::string(dir_template) + "/metrics.prom";
  { std::ofstream create(sidecar); }
  chmod(sidecar.c_str(), 0600);
  setenv("PUSHRUN_METRICS_FILE", sidecar.c_str(), 1);

  const double started = UnixNow();
  const auto started_mono = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 125;
  }
  if (pid == 0) {
    execvp(args.command[0], args.command.data());
    _exit(errno == ENOENT ? 127 : 126);
  }
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_mono).count();
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

  start_ts.Set(started);
  end_ts.Set(UnixNow());
  duration.Set(elapsed);
  exit_code.Set(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  signal.Set(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  success.Set(code == 0 ? 1 : 0);
  cpu_user.Set(Seconds(usage.ru_utime));
  cpu_system.Set(Seconds(usage.ru_stime));
  max_rss.Set(usage.ru_maxrss * 1024.0);
  minor_faults.Set(usage.ru_minflt);
  major_faults.Set(usage.ru_majflt);
  block_in.Set(usage.ru_inblock);
  block_out.Set(usage.ru_oublock);
  voluntary.Set(usage.ru_nvcsw);
  involuntary.Set(usage.ru_nivcsw);

  int http = gateway.Push();
  if (http / 100 != 2) std::cerr << "promcpp_wrapper: push answered " << http << "\n";

  std::ifstream in(sidecar, std::ios::binary);
  std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!body.empty()) {
    std::string url = args.gateway + "/metrics/job/" + args.job;
    for (const auto& [name, value] : args.groupings) url += "/" + name + "/" + value;
    if (!ForwardSidecar(url, body)) std::cerr << "promcpp_wrapper: sidecar push failed\n";
  }
  unlink(sidecar.c_str());
  rmdir(dir_template);
  return code;
}
