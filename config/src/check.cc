#include "pushrun/config/check.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include "pushrun/config/duration.h"
#include "pushrun/config/values.h"
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

// `prefix` is "gateway" or "remote_write": the config file's table of these keys.
void CheckClient(const Checker& check, const std::string& prefix,
                 const std::map<std::string, std::string>& headers,
                 const std::optional<std::string>& username,
                 const std::optional<std::string>& password,
                 const std::optional<std::string>& bearer_token) {
  for (const auto& [header, value] : headers) {
    // The library's own check, which never quotes the value (it may be a credential).
    if (std::string problem = metrics::CheckHeader(header, value); !problem.empty()) {
      check.Fail(prefix + ".headers", problem);
    }
  }
  if (username) {
    if (username->find(':') != std::string::npos) {
      check.Fail(prefix + ".username", "a basic auth user name cannot contain ':'",
                 "a user name without ':'");
    }
    if (HasLineBreakOrNul(*username)) {
      check.Fail(prefix + ".username", "the user name contains a line break or NUL");
    }
  }
  check.Secret(prefix + ".password_file", password);
  check.Secret(prefix + ".bearer_token_file", bearer_token);
}

void CheckUrl(const Checker& check, std::string_view key, std::string_view url) {
  std::string error;
  if (!CheckGatewayUrl(url, &error)) check.Fail(key, error, kUrlSyntax);
}

void CheckRemoteWrite(const Checker& check, const RemoteWriteLayer& receiver) {
  if (receiver.url.empty()) {
    // Empty from a flag or variable (--remote-write=), or no url key in a [[remote_write]].
    check.Fail("remote_write.url", "no URL: a remote-write receiver needs its write URL",
               "its write endpoint, e.g. http://host:9090/api/v1/write; in a [[remote_write]] "
               "table, url = \"...\"");
  }
  CheckUrl(check, "remote_write.url", receiver.url);
  CheckClient(check, "remote_write", receiver.headers, receiver.username, receiver.password,
              receiver.bearer_token);
  // All of a receiver's settings come from one place, so these are checked here, not only
  // once the layers are combined (as the gateway's are, in Resolve).
  if (receiver.username && !receiver.password) {
    // Sending "user:" with an empty password is never what was meant.
    check.Fail("remote_write.username", "a username is set but no password",
               "set password_file or password_env together with username");
  }
  if (receiver.password && !receiver.username) {
    check.Fail("remote_write.password_file", "a password is set but no username",
               "set username together with password_file or password_env");
  }
  if (receiver.username && receiver.bearer_token) {
    check.Fail("remote_write.bearer_token_file",
               "both basic auth (username) and a bearer token are set; both would use the "
               "Authorization header",
               "one of username + password, bearer_token_file / bearer_token_env");
  }
}

}  // namespace

void CheckLayer(const Layer& layer, const SettingName& name, const SourceLocation& where) {
  const Checker check(name, where);
  // Each target once: a report sent twice to one server helps nobody, and a target's spool
  // entries are kept by its URL. (So two tenants of one Mimir, told apart only by a header,
  // cannot be two receivers yet.)
  std::vector<std::string> keys;
  auto once = [&](std::string_view key, const std::string& url) {
    std::string url_key = UrlKey(url);
    if (std::find(keys.begin(), keys.end(), url_key) != keys.end()) {
      // Validated: the URL holds no credentials, so it can be shown.
      check.Fail(key, PrintableUrl(url) + " is listed twice",
                 "each target once; a URL written differently (case, default port, trailing /) "
                 "is the same target");
    }
    keys.push_back(std::move(url_key));
  };
  if (layer.gateways) {
    for (const std::string& url : *layer.gateways) {
      CheckUrl(check, "gateway.url", url);
      once("gateway.url", url);
    }
  }
  keys.clear();  // a gateway and a receiver on one server are two targets
  if (layer.remote_write) {
    for (const RemoteWriteLayer& receiver : *layer.remote_write) {
      CheckRemoteWrite(check, receiver);
      once("remote_write.url", receiver.url);
    }
  }
  check.Duration("timeout", layer.timeout, /*zero_allowed=*/true);  // zero: no timeout
  check.Duration("kill_after", layer.kill_after, /*zero_allowed=*/true);
  check.Duration("gateway.timeout", layer.push_timeout, /*zero_allowed=*/false);
  check.Duration("gateway.connect_timeout", layer.connect_timeout, /*zero_allowed=*/false);
  check.Duration("gateway.deadline", layer.push_deadline, /*zero_allowed=*/false);
  check.AtLeastOne("sidecar_max_bytes", layer.sidecar_max_bytes);
  check.AtLeastOne("max_series", layer.max_series);
  CheckClient(check, "gateway", layer.headers, layer.username, layer.password, layer.bearer_token);
}

}  // namespace pushrun::config
