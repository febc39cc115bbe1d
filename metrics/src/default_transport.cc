// Chooses a transport per request; see MakeDefaultTransport in transport.h.

#include <cstdlib>
#include <mutex>
#include <optional>

#include "pushrun/metrics/transport.h"
#include "pushrun/metrics/url.h"

namespace pushrun::metrics {
namespace {

bool ProxyInEnvironment() {
  // The variables curl honours for http:// URLs; any of them set means curl decides.
  for (const char* name : {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return true;
  }
  return false;
}

class DefaultTransport final : public Transport {
 public:
  HttpResponse Send(const HttpRequest& request) override {
    if (SocketCanSend(request)) return socket_->Send(request);
    return Curl().Send(request);
  }

  void Unprepare() noexcept override { socket_->Unprepare(); }

  // For curl, the head start is loading it: several milliseconds and ~30 libraries.
  void Prepare(const HttpRequest& request) noexcept override {
    try {
      if (SocketCanSend(request)) {
        socket_->Prepare(request);
      } else {
        Curl().Prepare(request);
      }
    } catch (...) {
      // No head start; Send reports what is wrong.
    }
  }

 private:
  static bool SocketCanSend(const HttpRequest& request) {
    if (!request.proxy.empty() || ProxyInEnvironment()) return false;
    const std::optional<GatewayUrl> url = ParseGatewayUrl(request.url, nullptr);
    return url && url->scheme == "http";
  }

  Transport& Curl() {
    std::call_once(curl_once_, [this] { curl_ = MakeCurlTransport(); });
    return *curl_;
  }

  std::shared_ptr<Transport> socket_ = MakeSocketTransport();
  std::once_flag curl_once_;
  std::shared_ptr<Transport> curl_;
};

}  // namespace

std::shared_ptr<Transport> MakeDefaultTransport() { return std::make_shared<DefaultTransport>(); }

}  // namespace pushrun::metrics
