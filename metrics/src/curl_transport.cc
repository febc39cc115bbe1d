// The libcurl Transport: every request of pushrun, http and https alike. One easy handle per
// request, driven by a multi handle so that a Cancellation wakes the transfer at once
// (curl_multi_wakeup) instead of at the next progress callback. The only file of pushrun that
// includes curl.
//
// libcurl is loaded with dlopen on first use rather than linked: it pulls in ~30 shared
// libraries whose loading costs several milliseconds and over a megabyte, which a wrapper
// must not spend before its command's exec. pushrun calls Prepare while the command runs. The
// header is still used for its types and constants.

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dlfcn.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "pushrun/metrics/transport.h"

namespace pushrun::metrics {
namespace {

using Clock = std::chrono::steady_clock;

// The libcurl functions pushrun calls, resolved from the loaded library.
struct CurlApi {
  CURLcode (*global_init)(long flags);
  CURL* (*easy_init)();
  CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
  CURLcode (*easy_getinfo)(CURL* handle, CURLINFO info, ...);
  void (*easy_cleanup)(CURL* handle);
  const char* (*easy_strerror)(CURLcode code);
  CURLM* (*multi_init)();
  CURLMcode (*multi_add_handle)(CURLM* multi, CURL* handle);
  CURLMcode (*multi_remove_handle)(CURLM* multi, CURL* handle);
  CURLMcode (*multi_perform)(CURLM* multi, int* running);
  CURLMcode (*multi_poll)(CURLM* multi, curl_waitfd* extra, unsigned count, int timeout_ms,
                          int* ready);
  CURLMcode (*multi_wakeup)(CURLM* multi);
  CURLMsg* (*multi_info_read)(CURLM* multi, int* left);
  CURLMcode (*multi_cleanup)(CURLM* multi);
  const char* (*multi_strerror)(CURLMcode code);
  curl_slist* (*slist_append)(curl_slist* list, const char* line);
  void (*slist_free_all)(curl_slist* list);
  CURLU* (*url)();
  CURLUcode (*url_set)(CURLU* url, CURLUPart part, const char* content, unsigned flags);
  CURLUcode (*url_get)(const CURLU* url, CURLUPart part, char** content, unsigned flags);
  void (*url_cleanup)(CURLU* url);
  void (*free)(void* pointer);
};

// Loads libcurl and runs curl_global_init exactly once (it is not thread-safe in every build);
// throws TransportFailure when the library is missing or unusable.
const CurlApi& Curl() {
  static std::once_flag once;
  static CurlApi api{};
  // Never destroyed: the transport's own static destructor may still clean up handles.
  static std::string& failure = *new std::string;
  std::call_once(once, [] {
    void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* why = ::dlerror();
      failure = std::string("cannot load libcurl (install libcurl4): ") +
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
    resolve(api.easy_getinfo, "curl_easy_getinfo");
    resolve(api.easy_cleanup, "curl_easy_cleanup");
    resolve(api.easy_strerror, "curl_easy_strerror");
    resolve(api.multi_init, "curl_multi_init");
    resolve(api.multi_add_handle, "curl_multi_add_handle");
    resolve(api.multi_remove_handle, "curl_multi_remove_handle");
    resolve(api.multi_perform, "curl_multi_perform");
    resolve(api.multi_poll, "curl_multi_poll");
    resolve(api.multi_wakeup, "curl_multi_wakeup");
    resolve(api.multi_info_read, "curl_multi_info_read");
    resolve(api.multi_cleanup, "curl_multi_cleanup");
    resolve(api.multi_strerror, "curl_multi_strerror");
    resolve(api.slist_append, "curl_slist_append");
    resolve(api.slist_free_all, "curl_slist_free_all");
    resolve(api.url, "curl_url");
    resolve(api.url_set, "curl_url_set");
    resolve(api.url_get, "curl_url_get");
    resolve(api.url_cleanup, "curl_url_cleanup");
    resolve(api.free, "curl_free");
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
struct MultiDeleter {
  void operator()(CURLM* multi) const { Curl().multi_cleanup(multi); }
};
struct ListDeleter {
  void operator()(curl_slist* list) const { Curl().slist_free_all(list); }
};

// "host:port" as curl connects to it (the port defaulted from the scheme), or nullopt for a
// URL curl cannot parse (Send then reports it) or an IP literal (nothing to resolve).
struct HostPort {
  std::string host;
  std::string port;
};
std::optional<HostPort> HostOf(const CurlApi& api, const std::string& url) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> handle(api.url(), api.url_cleanup);
  if (!handle || api.url_set(handle.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) {
    return std::nullopt;
  }
  char* host = nullptr;
  char* port = nullptr;
  std::optional<HostPort> result;
  if (api.url_get(handle.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      api.url_get(handle.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    result = HostPort{host, port};
  }
  api.free(host);
  api.free(port);
  if (!result) return std::nullopt;
  in_addr v4;
  if (result->host.starts_with('[') || ::inet_pton(AF_INET, result->host.c_str(), &v4) == 1) {
    return std::nullopt;
  }
  return result;
}

// The host's addresses as a CURLOPT_RESOLVE entry ("host:port:addr[,addr...]"), in
// getaddrinfo's order (curl then tries IPv6 and IPv4 side by side, happy eyeballs); "" when
// the name does not resolve (Send then resolves it itself and reports the error).
std::string Resolve(const HostPort& target) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* found = nullptr;
  if (::getaddrinfo(target.host.c_str(), target.port.c_str(), &hints, &found) != 0) return {};
  std::string addresses;
  for (addrinfo* at = found; at != nullptr; at = at->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    std::string address;
    if (at->ai_family == AF_INET &&
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(at->ai_addr)->sin_addr, text,
                    sizeof text) != nullptr) {
      address = text;
    } else if (at->ai_family == AF_INET6 &&
               ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(at->ai_addr)->sin6_addr, text,
                           sizeof text) != nullptr) {
      address = "[" + std::string(text) + "]";
    }
    if (address.empty() || addresses.find(address) != std::string::npos) continue;
    if (!addresses.empty()) addresses += ',';
    addresses += address;
  }
  ::freeaddrinfo(found);
  if (addresses.empty()) return {};
  return target.host + ":" + target.port + ":" + addresses;
}

struct Received {
  HttpResponse response;
  bool capped = false;  // the body reached kMaxResponseBody and the transfer was stopped
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  const size_t bytes = size * count;
  std::string& body = received->response.body;
  if (body.size() + bytes > kMaxResponseBody) {
    body.append(data, kMaxResponseBody - body.size());
    received->capped = true;
    return 0;  // ends the transfer (CURLE_WRITE_ERROR); the status is kept
  }
  body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  Headers& headers = received->response.headers;
  // A new status line (after "100 Continue" or a proxy's CONNECT answer) starts a new set.
  if (line.starts_with("HTTP/")) {
    headers.clear();
    return bytes;
  }
  auto trim = [](std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
      text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
      text.remove_suffix(1);
    }
    return text;
  };
  // curl hands an obsolete folded line (RFC 9112 section 5.2) through as it came: it continues
  // the previous header's value.
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
    if (!headers.empty() && !trim(line).empty()) {
      std::string& value = headers.back().second;
      if (!value.empty()) value += ' ';
      value += trim(line);
    }
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  headers.emplace_back(std::move(name), std::string(trim(line.substr(colon + 1))));
  return bytes;
}

// One transfer's easy handle and the multi handle that drives it, with the name resolution
// the easy handle points to (it must outlive the transfer).
struct Handles {
  std::unique_ptr<curl_slist, ListDeleter> resolve;
  std::unique_ptr<CURL, EasyDeleter> easy;
  std::unique_ptr<CURLM, MultiDeleter> multi;  // cleaned up first
};

// What of a request Prepare knows already, and so what its handles are set up for: a Send
// takes prepared handles only for a request that matches in all of it.
std::string FixedPartOf(const HttpRequest& request) {
  std::string key = request.url;
  for (const std::string* part :
       {&request.proxy, &request.tls.ca_file, &request.tls.cert_file, &request.tls.key_file}) {
    key += '\0';
    key += *part;
  }
  key += request.tls.insecure_skip_verify ? '1' : '0';
  return key;
}

// New handles with every option that does not depend on the method, body, headers or time
// left; `resolve_entry` ("" for none) pins the host's addresses.
Handles NewHandles(const CurlApi& api, const HttpRequest& request,
                   const std::string& resolve_entry) {
  Handles handles{nullptr, std::unique_ptr<CURL, EasyDeleter>(api.easy_init()),
                  std::unique_ptr<CURLM, MultiDeleter>(api.multi_init())};
  if (!handles.easy || !handles.multi) throw TransportFailure("curl_easy_init failed");
  CURL* h = handles.easy.get();
  if (!resolve_entry.empty()) {
    handles.resolve.reset(api.slist_append(nullptr, resolve_entry.c_str()));
    if (handles.resolve) api.easy_setopt(h, CURLOPT_RESOLVE, handles.resolve.get());
  }
  api.easy_setopt(h, CURLOPT_URL, request.url.c_str());
  api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  api.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  api.easy_setopt(h, CURLOPT_USERAGENT, "pushrun");
  // Signals would disturb the host program (and its child handling); timeouts still work.
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  // A name lookup that hangs runs on curl's resolver thread; without this, ending the
  // transfer waits for that thread (seconds past the timeout) instead of leaving it behind.
  api.easy_setopt(h, CURLOPT_QUICK_EXIT, 1L);
  // A redirect would be followed as GET and turn a push into a read; the client reports it
  // with its Location instead.
  api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  if (!request.tls.ca_file.empty()) {
    api.easy_setopt(h, CURLOPT_CAINFO, request.tls.ca_file.c_str());
  }
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
  api.easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  return handles;
}

class CurlTransport final : public Transport {
 public:
  // The head start curl can have (a connection it would reuse cannot be opened ahead with
  // curl 7.88): loading and initialising the library, resolving the gateway's name, and
  // setting up the handles of the request, so that the Send after the command's exit only
  // adds the method, headers and body and connects.
  void Prepare(const HttpRequest& request) noexcept override {
    try {
      const CurlApi& api = Curl();
      std::string entry;
      // Through a proxy, the proxy resolves the gateway's name.
      if (request.proxy.empty()) {
        if (std::optional<HostPort> target = HostOf(api, request.url)) {
          entry = Resolve(*target);
          if (!entry.empty()) {
            std::lock_guard lock(mutex_);
            resolved_[target->host + ":" + target->port] = {entry, Clock::now()};
          }
        }
      }
      Handles handles = NewHandles(api, request, entry);
      std::lock_guard lock(mutex_);
      prepared_[FixedPartOf(request)] = {std::move(handles), Clock::now()};
    } catch (...) {
      // No head start; Send reports what is wrong.
    }
  }

  HttpResponse Send(const HttpRequest& request) override {
    const CurlApi& api = Curl();
    if (request.cancellation && request.cancellation->IsCancelled()) {
      throw TransportFailure("cancelled before it started");
    }
    std::optional<Handles> prepared = TakePrepared(request);
    Handles handles =
        prepared ? std::move(*prepared) : NewHandles(api, request, ResolvedFor(api, request.url));
    CURL* h = handles.easy.get();
    CURLM* multi = handles.multi.get();

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
    api.easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    // PUT and POST always carry a body, if empty, so that Content-Length is sent.
    if (!request.body.empty() || (request.method != "GET" && request.method != "DELETE")) {
      api.easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
    api.easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    // curl enforces both: the whole request (name lookup, connect, upload, every byte of the
    // answer, however slowly it drips) ends by `timeout`.
    api.easy_setopt(h, CURLOPT_TIMEOUT_MS,
                    std::max(1L, static_cast<long>(request.timeout.count())));
    api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                    std::max(1L, static_cast<long>(request.connect_timeout.count())));
    api.easy_setopt(h, CURLOPT_WRITEDATA, &received);
    api.easy_setopt(h, CURLOPT_HEADERDATA, &received);

    if (CURLMcode added = api.multi_add_handle(multi, h); added != CURLM_OK) {
      throw TransportFailure(std::string("curl_multi_add_handle: ") + api.multi_strerror(added));
    }
    bool cancelled = false;
    CURLcode result = CURLE_OK;
    if (request.cancellation) {
      const Cancellation::Subscription wake =
          request.cancellation->OnCancel([&api, multi] { api.multi_wakeup(multi); });
      result = Run(api, multi, request.cancellation.get(), &cancelled);
    } else {
      result = Run(api, multi, nullptr, &cancelled);
    }
    api.multi_remove_handle(multi, h);
    if (cancelled) throw TransportFailure("cancelled");

    long status = 0;
    api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    // A body cut at kMaxResponseBody still has its status: a 200 is delivered, a 400 refused.
    if (result != CURLE_OK && !(received.capped && status != 0)) {
      throw TransportFailure(error[0] != '\0' ? std::string(error)
                                              : std::string(api.easy_strerror(result)));
    }
    received.response.status = static_cast<int>(status);
    return std::move(received.response);
  }

 private:
  // Drives the transfer to its end, or until `cancellation` fires. Returns curl's result.
  static CURLcode Run(const CurlApi& api, CURLM* multi, const Cancellation* cancellation,
                      bool* cancelled) {
    for (;;) {
      if (cancellation != nullptr && cancellation->IsCancelled()) {
        *cancelled = true;
        return CURLE_ABORTED_BY_CALLBACK;
      }
      int running = 0;
      if (CURLMcode code = api.multi_perform(multi, &running); code != CURLM_OK) {
        throw TransportFailure(std::string("curl_multi_perform: ") + api.multi_strerror(code));
      }
      if (running == 0) break;
      // Returns on activity, on curl's own next timeout (the request's at the latest), or on
      // curl_multi_wakeup: a cancellation never waits for this poll's own limit.
      if (CURLMcode code = api.multi_poll(multi, nullptr, 0, 5000, nullptr); code != CURLM_OK) {
        throw TransportFailure(std::string("curl_multi_poll: ") + api.multi_strerror(code));
      }
    }
    int left = 0;
    while (CURLMsg* message = api.multi_info_read(multi, &left)) {
      if (message->msg == CURLMSG_DONE) return message->data.result;
    }
    return CURLE_OK;
  }

  // The handles Prepare set up for this request, if still fresh; each serves one Send.
  std::optional<Handles> TakePrepared(const HttpRequest& request) {
    std::lock_guard lock(mutex_);
    if (prepared_.empty()) return std::nullopt;
    auto found = prepared_.find(FixedPartOf(request));
    if (found == prepared_.end()) return std::nullopt;
    std::optional<Handles> handles;
    if (Clock::now() - found->second.at <= kPreparedConnectionLifetime) {
      handles = std::move(found->second.handles);
    }
    prepared_.erase(found);
    return handles;
  }

  // The CURLOPT_RESOLVE entry Prepare made for the request's host, if still fresh.
  std::string ResolvedFor(const CurlApi& api, const std::string& url) {
    std::lock_guard lock(mutex_);
    if (resolved_.empty()) return {};
    std::optional<HostPort> target = HostOf(api, url);
    if (!target) return {};
    auto found = resolved_.find(target->host + ":" + target->port);
    if (found == resolved_.end()) return {};
    if (Clock::now() - found->second.at > kPreparedConnectionLifetime) {
      resolved_.erase(found);
      return {};
    }
    return found->second.entry;
  }

  struct Resolved {
    std::string entry;
    Clock::time_point at;
  };
  struct Prepared {
    Handles handles;
    Clock::time_point at;
  };
  std::mutex mutex_;
  std::map<std::string, Resolved> resolved_;  // by "host:port"
  std::map<std::string, Prepared> prepared_;  // by FixedPartOf the request
};

}  // namespace

std::shared_ptr<Transport> MakeCurlTransport() {
  // One instance serves every client, so that what Prepare resolved is found by every Send.
  static const std::shared_ptr<Transport> transport = std::make_shared<CurlTransport>();
  return transport;
}

}  // namespace pushrun::metrics
