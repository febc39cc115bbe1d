#include "pushrun/config/check.h"

#include "pushrun/config/duration.h"
#include "pushrun/metrics/http_header.h"

namespace pushrun::config {

namespace {

bool HasLineBreakOrNul(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

class Checker {
 public:
  Checker(const SettingName& name, const SourceLocation& where) : name_(name), where_(where) {}

  [[noreturn]] void Fail(std::string_view key, const std::string& message,
                         std::string_view allowed = {}) const {
    throw ConfigError(where_, name_(key), message, std::string(allowed));
  }

  void Duration(std::string_view key, const std::optional<config::Duration>& value,
                bool zero_allowed) const {
    if (!value) return;
    if (*value > kMaxDuration) {
      Fail(key, FormatDuration(*value) + " is longer than the maximum",
           "at most " + std::string(kMaxDurationText));
    }
    if (!zero_allowed && value->count() == 0) {
      Fail(key, "zero is not a usable time limit here",
           "a duration above zero, at most " + std::string(kMaxDurationText));
    }
  }

  void AtLeastOne(std::string_view key, const std::optional<std::size_t>& value) const {
    if (value && *value == 0) Fail(key, "0 is out of range", "a whole number from 1 up");
  }

  void Secret(std::string_view key, const std::optional<std::string>& value) const {
    if (value && HasLineBreakOrNul(*value)) {
      Fail(key, "the secret contains a line break or NUL (inside, not only at its end)",
           "one line; a trailing newline is removed");
    }
  }

 private:
  const SettingName& name_;
  const SourceLocation& where_;
};

}  // namespace

void CheckLayer(const Layer& layer, const SettingName& name, const SourceLocation& where) {
  const Checker check(name, where);
  check.Duration("timeout", layer.timeout, /*zero_allowed=*/true);  // zero: no timeout
  check.Duration("kill_after", layer.kill_after, /*zero_allowed=*/true);
  check.Duration("gateway.timeout", layer.push_timeout, /*zero_allowed=*/false);
  check.Duration("gateway.connect_timeout", layer.connect_timeout, /*zero_allowed=*/false);
  check.Duration("gateway.deadline", layer.push_deadline, /*zero_allowed=*/false);
  check.AtLeastOne("sidecar_max_bytes", layer.sidecar_max_bytes);
  check.AtLeastOne("max_series", layer.max_series);
  for (const auto& [header, value] : layer.headers) {
    // The library's own check, which never quotes the value (it may be a credential).
    if (std::string problem = metrics::CheckHeader(header, value); !problem.empty()) {
      check.Fail("gateway.headers", problem);
    }
  }
  if (layer.username) {
    if (layer.username->find(':') != std::string::npos) {
      check.Fail("gateway.username", "a basic auth user name cannot contain ':'",
                 "a user name without ':'");
    }
    if (HasLineBreakOrNul(*layer.username)) {
      check.Fail("gateway.username", "the user name contains a line break or NUL");
    }
  }
  check.Secret("gateway.password_file", layer.password);
  check.Secret("gateway.bearer_token_file", layer.bearer_token);
}

}  // namespace pushrun::config
