#pragma once
// A request as a client builds it for the wire, to be kept and sent later as it is: pushrun's
// spool keeps these, so a spooled report goes out without being parsed or built again.
// Credentials and extra headers are never part of it: they come from the options it is sent
// with.

#include <string>

#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/transport.h"

namespace pushrun::metrics {

struct EncodedRequest {
  std::string method;  // "POST", "PUT" or "DELETE"
  std::string url;     // the full URL, without credentials
  Headers headers;     // the content's own: Content-Type, Content-Encoding, and the like
  std::string body;    // as it goes on the wire: compressed when Content-Encoding says so
};

// Sends `request` as it is with the options' credentials, extra headers, timeouts, retries,
// deadline and cancellation: the delivery every Pushgateway and RemoteWriter call makes.
// Returns the status, body and headers of a 2xx; throws UsageError for bad options or a request
// that is not a POST, PUT or DELETE to an http(s) URL without credentials, PushError otherwise.
PushResult SendEncoded(const EncodedRequest& request, const PushOptions& options);

}  // namespace pushrun::metrics
