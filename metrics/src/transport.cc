// The defaults of Transport's optional capabilities: no head start, no overlap.

#include "pushrun/metrics/transport.h"

namespace pushrun::metrics {

void Transport::Prepare(const HttpRequest&) noexcept {}

HttpResponse Transport::SendHeld(const HttpRequest& request, std::size_t /*held_back*/,
                                 const std::shared_future<bool>& release) {
  if (!release.get()) throw RequestWithdrawn("request withdrawn before it was sent");
  return Send(request);
}

}  // namespace pushrun::metrics
