#pragma once
// The one family of errors the library throws, so that a single
//   catch (const pushrun::metrics::Error& error)
// sees every one of them: a bad metric name as well as a failed push.
//
//   Error              std::runtime_error; the base of all below
//   ├── UsageError     a call the library refuses before doing anything: a bad metric, label
//   │                  or bucket definition, a name registered twice, a bad URL, option or
//   │                  header. Fix the calling code or its configuration.
//   ├── PushError      a push, push-add or delete that did not succeed (pushgateway.h): it
//   │                  carries a category (validation, transport, http), the status and body
//   └── TransportFailure  no HTTP response from a Transport (transport.h); Pushgateway turns
//                      it into a PushError, so only callers of a Transport see it
//
// Construction errors used to be std::invalid_argument. They are not any longer: deriving
// from both std::invalid_argument and std::runtime_error would give an Error two
// std::exception bases, and `catch (const std::exception&)` would then miss it.

#include <stdexcept>

namespace pushrun::metrics {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class UsageError : public Error {
 public:
  using Error::Error;
};

}  // namespace pushrun::metrics
