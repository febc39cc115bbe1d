// The libcurl Transport: one easy handle per request, no redirects, no signals. The only file of
// pushrun that includes curl.

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>

#include "pushrun/metrics/transport.h"

namespace pushrun::metrics {
namespace {

// The gateway answers with short texts; a runaway response must not exhaust memory.
constexpr size_t kMaxResponseBody = 1 << 20;

void InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  // curl_global_init is not thread-safe in every libcurl build; run it exactly once.
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (result != CURLE_OK) {
    throw TransportFailure(std::string("curl_global_init: ") + curl_easy_strerror(result));
  }
}

struct EasyDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Received {
  HttpResponse response;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  const size_t bytes = size * count;
  std::string& body = received->response.body;
  body.append(data, std::min(bytes, kMaxResponseBody - std::min(body.size(), kMaxResponseBody)));
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  // A new status line (after "100 Continue" or a proxy's CONNECT answer) starts a new set.
  if (line.starts_with("HTTP/")) {
    received->response.headers.clear();
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) {
    value.remove_suffix(1);
  }
  received->response.headers.emplace_back(std::move(name), std::string(value));
  return bytes;
}

class CurlTransport final : public Transport {
 public:
  HttpResponse Send(const HttpRequest& request) override {
    InitCurlOnce();
    std::unique_ptr<CURL, EasyDeleter> curl(curl_easy_init());
    if (!curl) throw TransportFailure("curl_easy_init failed");
    CURL* h = curl.get();

    std::unique_ptr<curl_slist, ListDeleter> headers;
    auto add_header = [&](const std::string& line) {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (next == nullptr) throw TransportFailure("curl_slist_append failed");
      (void)headers.release();
      headers.reset(next);
    };
    for (const auto& [name, value] : request.headers) {
      // curl drops "Name:" with an empty value; "Name;" sends it empty.
      add_header(value.empty() ? name + ";" : name + ": " + value);
    }
    // No "Expect: 100-continue" round trip before larger bodies.
    add_header("Expect:");

    char error[CURL_ERROR_SIZE] = {};
    Received received;
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    // PUT and POST always carry a body, if empty, so that Content-Length is sent.
    if (!request.body.empty() || (request.method != "GET" && request.method != "DELETE")) {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_USERAGENT, "pushrun");
    // Signals would disturb the host program (and its child handling); timeouts still work.
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(request.connect_timeout.count()));
    // A redirect would be followed as GET and turn a push into a read; report it instead.
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (!request.tls.ca_file.empty())
      curl_easy_setopt(h, CURLOPT_CAINFO, request.tls.ca_file.c_str());
    if (!request.tls.cert_file.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, request.tls.cert_file.c_str());
    }
    if (!request.tls.key_file.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLKEY, request.tls.key_file.c_str());
    }
    if (request.tls.insecure_skip_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    // Left unset, curl reads http_proxy / https_proxy / no_proxy from the environment.
    if (!request.proxy.empty()) curl_easy_setopt(h, CURLOPT_PROXY, request.proxy.c_str());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &received);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &received);

    CURLcode result = curl_easy_perform(h);
    if (result != CURLE_OK) {
      throw TransportFailure(error[0] != '\0' ? std::string(error)
                                              : std::string(curl_easy_strerror(result)));
    }
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    received.response.status = static_cast<int>(status);
    return std::move(received.response);
  }
};

}  // namespace

std::shared_ptr<Transport> MakeCurlTransport() {
  // Stateless between requests, so one instance serves every client.
  static const std::shared_ptr<Transport> transport = std::make_shared<CurlTransport>();
  return transport;
}

}  // namespace pushrun::metrics
