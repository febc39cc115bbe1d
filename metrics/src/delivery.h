#pragma once
// What every sink of the library (Pushgateway, RemoteWriter) does alike once it has a request:
// checking the options, adding credentials and headers, and sending with timeouts, retries and
// one deadline, turning the outcome into a result or a PushError. Internal.

#include <string>
#include <string_view>

#include "pushrun/metrics/encoded_request.h"
#include "pushrun/metrics/pushgateway.h"
#include "pushrun/metrics/transport.h"

namespace pushrun::metrics::detail {

// Throws UsageError naming the bad option.
void CheckOptions(const PushOptions& options);

// A request to `url` with the options' TLS and proxy settings; body, headers and timeouts are
// the caller's.
HttpRequest RequestTo(std::string_view method, std::string url, const PushOptions& options);

// Adds the options' Authorization (basic or bearer) and extra headers; an extra header replaces
// one of the same name the request already has.
void AddCredentialsAndHeaders(HttpRequest& request, const PushOptions& options);

// Sends `encoded` with the options' TLS, proxy, cancellation, credentials and extra headers
// through the options' transport: each attempt within the options' timeout,
// retried on transport errors, 408, 429 (after Retry-After, when given) and 5xx, never on another
// 4xx, all attempts and waits inside the retry deadline. Any 2xx is the result; anything else a
// PushError "<METHOD> <url, redacted> failed: <why>" carrying the status and the server's body.
// The options are checked already.
PushResult DeliverEncoded(const EncodedRequest& encoded, const PushOptions& options);

}  // namespace pushrun::metrics::detail
