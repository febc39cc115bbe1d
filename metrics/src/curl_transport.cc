// The libcurl Transport: one easy handle per request, no redirects, no signals. The only file of
// pushrun that includes curl.
//
// libcurl is loaded with dlopen on first use rather than linked: it pulls in ~35 shared
// libraries whose loading costs several milliseconds and over a megabyte at every start of
// every program linking libpushrun, while plain http:// pushes never need it (see
// MakeDefaultTransport). The header is still used for its types and constants.

#include <curl/curl.h>
#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>

#include "pushrun/metrics/transport.h"

namespace pushrun::metrics {
namespace {

// The gateway answers with short texts; a runaway response must not exhaust memory.
constexpr size_t kMaxResponseBody = 1 << 20;

// The libcurl functions pushrun calls, resolved from the loaded library.
struct CurlApi {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
  CURLcode (*easy_perform)(CURL* handle);
  CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...);
  void (*easy_cleanup)(CURL* handle);
  const char* (*easy_strerror)(CURLcode code);
  curl_slist* (*slist_append)(curl_slist* list, const char* line);
  void (*slist_free_all)(curl_slist* list);
};

// Loads libcurl and runs curl_global_init exactly once (it is not thread-safe in every build);
// throws TransportFailure when the library is missing or unusable.
const CurlApi& Curl() {
  static std::once_flag once;
  static CurlApi api{};
  static std::string failure;
  std::call_once(once, [] {
    void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* why = ::dlerror();
      failure = std::string(
                    "cannot load libcurl (needed for https://, proxies and credentials "
                    "in the URL; install libcurl4): ") +
                (why != nullptr ? why : "unknown error");
      return;
    }
    auto resolve = [&](auto& slot, const char* name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(::dlsym(library, name));
      if (slot == nullptr && failure.empty()) failure = std::string("libcurl lacks ") + name;
    };
    resolve(api.global_init, "curl_global_init");
    resolve(api.easy_init, "curl_easy_init");
    resolve(api.easy_setopt, "curl_easy_setopt");
    resolve(api.easy_perform, "curl_easy_perform");
    resolve(api.easy_getinfo, "curl_easy_getinfo");
    resolve(api.easy_cleanup, "curl_easy_cleanup");
    resolve(api.easy_strerror, "curl_easy_strerror");
    resolve(api.slist_append, "curl_slist_append");
    resolve(api.slist_free_all, "curl_slist_free_all");
    if (!failure.empty()) return;
    if (CURLcode result = api.global_init(CURL_GLOBAL_DEFAULT); result != CURLE_OK) {
      failure = std::string("curl_global_init: ") + api.easy_strerror(result);
    }
  });
  if (!failure.empty()) throw TransportFailure(failure);
  return api;
}

struct EasyDeleter {
  void operator()(CURL* curl) const { Curl().easy_cleanup(curl); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { Curl().slist_free_all(list); }
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
  // The head start curl can have: loading and initialising the library.
  void Prepare(const HttpRequest& /*request*/) noexcept override {
    try {
      Curl();
    } catch (const TransportFailure&) {
      // Send reports it.
    }
  }

  HttpResponse Send(const HttpRequest& request) override {
    const CurlApi& api = Curl();
    std::unique_ptr<CURL, EasyDeleter> curl(api.easy_init());
    if (!curl) throw TransportFailure("curl_easy_init failed");
    CURL* h = curl.get();

    std::unique_ptr<curl_slist, ListDeleter> headers;
    auto add_header = [&](const std::string& line) {
      curl_slist* next = api.slist_append(headers.get(), line.c_str());
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
    api.easy_setopt(h, CURLOPT_ERRORBUFFER, error);
    api.easy_setopt(h, CURLOPT_URL, request.url.c_str());
    api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    api.easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    // PUT and POST always carry a body, if empty, so that Content-Length is sent.
    if (!request.body.empty() || (request.method != "GET" && request.method != "DELETE")) {
      api.easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    api.easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    api.easy_setopt(h, CURLOPT_USERAGENT, "pushrun");
    // Signals would disturb the host program (and its child handling); timeouts still work.
    api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    api.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                    static_cast<long>(request.connect_timeout.count()));
    // A redirect would be followed as GET and turn a push into a read; report it instead.
    api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    if (!request.tls.ca_file.empty())
      api.easy_setopt(h, CURLOPT_CAINFO, request.tls.ca_file.c_str());
    if (!request.tls.cert_file.empty()) {
      api.easy_setopt(h, CURLOPT_SSLCERT, request.tls.cert_file.c_str());
    }
    if (!request.tls.key_file.empty()) {
      api.easy_setopt(h, CURLOPT_SSLKEY, request.tls.key_file.c_str());
    }
    if (request.tls.insecure_skip_verify) {
      api.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      api.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    // Left unset, curl reads http_proxy / https_proxy / no_proxy from the environment.
    if (!request.proxy.empty()) api.easy_setopt(h, CURLOPT_PROXY, request.proxy.c_str());
    api.easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    api.easy_setopt(h, CURLOPT_WRITEDATA, &received);
    api.easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    api.easy_setopt(h, CURLOPT_HEADERDATA, &received);

    CURLcode result = api.easy_perform(h);
    if (result != CURLE_OK) {
      throw TransportFailure(error[0] != '\0' ? std::string(error)
                                              : std::string(api.easy_strerror(result)));
    }
    long status = 0;
    api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
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
