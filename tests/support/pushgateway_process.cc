#include "support/pushgateway_process.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/server_process.h"

namespace pushrun::testing {
namespace {

constexpr const char* kGatewayBinary = "/usr/bin/prometheus-pushgateway";

size_t AppendToString(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

// A GET used by the helpers. `insecure` is only for polling a TLS gateway for readiness:
// the test's own certificate is not what this probe checks.
int Get(const std::string& url, std::string* body, bool insecure) {
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  if (!initialized) return 0;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return 0;
  std::string response;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  // Loopback only: never let a proxy from the environment intercept test traffic.
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  if (insecure) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_easy_cleanup(curl);
  if (body != nullptr) *body = std::move(response);
  return static_cast<int>(status);
}

}  // namespace

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    close(fd);
    throw std::runtime_error("bind 127.0.0.1:0: " + std::string(std::strerror(err)));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

int HttpGet(const std::string& url, std::string* body) { return Get(url, body, false); }

PushgatewayProcess::PushgatewayProcess() : PushgatewayProcess(Options{}) {}

PushgatewayProcess::PushgatewayProcess(Options options) : options_(std::move(options)) {
  // The free port may be taken between probing and the gateway's bind; try a few.
  for (int attempt = 0;; ++attempt) {
    port_ = FreeLoopbackPort();
    try {
      Start();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 2) throw;
    }
  }
}

PushgatewayProcess::~PushgatewayProcess() { Stop(); }

std::string PushgatewayProcess::url() const {
  std::string prefix = options_.route_prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty() && prefix.front() != '/') prefix.insert(0, "/");
  return std::string(options_.https ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
         prefix;
}

void PushgatewayProcess::Start() {
  if (running()) return;
  std::vector<std::string> args = {
      kGatewayBinary,
      "--web.listen-address=127.0.0.1:" + std::to_string(port_),
      "--persistence.file=",
      "--log.level=error",
  };
  if (!options_.route_prefix.empty()) args.push_back("--web.route-prefix=" + options_.route_prefix);
  if (!options_.web_config_file.empty()) {
    args.push_back("--web.config.file=" + options_.web_config_file);
  }
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  const std::string ready_url = url() + "/-/ready";
  pid_ = StartServer(args, [&] {
    // 401: the web config demands basic auth on every path, so the gateway is up.
    const int status = Get(ready_url, nullptr, options_.https);
    return status == 200 || status == 401;
  });
}

void PushgatewayProcess::Stop() {
  StopServer(pid_);
  pid_ = -1;
}

std::string PushgatewayProcess::Scrape() const {
  std::string body;
  int status = HttpGet(url() + "/metrics", &body);
  if (status != 200) {
    throw std::runtime_error("scraping " + url() + "/metrics gave status " +
                             std::to_string(status));
  }
  return body;
}

std::vector<std::string> PushgatewayProcess::Lines(
    const std::string& metric_name, const std::vector<std::string>& fragments) const {
  const std::string text = Scrape();
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    // The name must end where the line's name ends: "x" does not select "x_total".
    if (line.compare(0, metric_name.size(), metric_name) != 0) continue;
    if (line.size() > metric_name.size() && line[metric_name.size()] != '{' &&
        line[metric_name.size()] != ' ') {
      continue;
    }
    bool all = true;
    for (const auto& fragment : fragments) {
      if (line.find(fragment) == std::string::npos) {
        all = false;
        break;
      }
    }
    if (all) lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace pushrun::testing
