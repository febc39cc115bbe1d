// The one place that decides precedence: flags > environment > the job's table > [defaults]
// > built-in defaults (the initial values of Settings). Scalars: the most important layer
// that sets one wins, and so do the lists of gateways and of remote-write receivers (whole).
// Groupings and headers: merged key by key in the same order.

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>
#include <vector>

#include "pushrun/config/error.h"
#include "pushrun/config/settings.h"
#include "pushrun/config/values.h"

namespace pushrun::config {

namespace {

template <typename T>
void Take(const std::optional<T>& from, T& to) {
  if (from) to = *from;
}

// Applies one layer over what the less important layers already set.
void Apply(const Layer& layer, Settings& settings, Layer& merged) {
  // Whole lists: the most important layer that gives one gives all of it.
  if (layer.gateways) merged.gateways = layer.gateways;
  if (layer.remote_write) merged.remote_write = layer.remote_write;
  Take(layer.job, settings.job);
  for (const auto& [name, value] : layer.grouping) settings.grouping[name] = value;
  Take(layer.method, settings.method);
  Take(layer.delete_on_success, settings.delete_on_success);
  Take(layer.push_start, settings.push_start);
  Take(layer.heartbeat, settings.heartbeat);
  Take(layer.timeout, settings.timeout);
  Take(layer.kill_after, settings.kill_after);
  Take(layer.timeout_signal, settings.timeout_signal);
  Take(layer.sidecar, settings.sidecar);
  Take(layer.textfile_dir, settings.textfile_dir);
  Take(layer.fail_on_push_error, settings.fail_on_push_error);
  Take(layer.prefix, settings.prefix);
  Take(layer.spool_dir, settings.spool_dir);
  Take(layer.lock_file, settings.lock_file);
  Take(layer.sidecar_max_bytes, settings.sidecar_max_bytes);
  Take(layer.max_series, settings.max_series);
  Take(layer.command, settings.command);
  Take(layer.keep_env, settings.keep_env);
  for (const std::string& name : layer.credential_env) {
    if (std::find(settings.credential_env.begin(), settings.credential_env.end(), name) ==
        settings.credential_env.end()) {
      settings.credential_env.push_back(name);
    }
  }
  Take(layer.push_deadline, settings.push_deadline);
  // Push client settings are collected first and turned into PushSettings once.
  for (const auto& [name, value] : layer.headers) merged.headers[name] = value;
  auto take = [](const auto& from, auto& to) {
    if (from) to = from;
  };
  take(layer.push_timeout, merged.push_timeout);
  take(layer.connect_timeout, merged.connect_timeout);
  take(layer.retries, merged.retries);
  take(layer.username, merged.username);
  take(layer.password, merged.password);
  take(layer.bearer_token, merged.bearer_token);
  take(layer.ca_file, merged.ca_file);
  take(layer.cert_file, merged.cert_file);
  take(layer.key_file, merged.key_file);
  take(layer.insecure_skip_verify, merged.insecure_skip_verify);
  take(layer.proxy, merged.proxy);
  take(layer.gzip, merged.gzip);
}

std::string BaseName(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One credential: the Layer fields it is made of (kept or left out together) and how each
// kind of layer sets it, for the warning's advice.
struct Credential {
  const char* what;
  std::vector<bool (*)(const Layer&)> parts;
  void (*drop)(Layer&);
  const char* flags;
  const char* environment;
  const char* file;  // key(s) in [gateway] or a job's gateway table
};

const std::vector<Credential>& Credentials() {
  static const std::vector<Credential> kCredentials = {
      {"username and password",
       {[](const Layer& l) { return l.username.has_value(); },
        [](const Layer& l) { return l.password.has_value(); }},
       [](Layer& l) {
         l.username.reset();
         l.password.reset();
       },
       "--username and --password-file",
       "PUSHRUN_USERNAME and PUSHRUN_PASSWORD_FILE (or _ENV)",
       "username and password_file (or password_env)"},
      {"bearer token",
       {[](const Layer& l) { return l.bearer_token.has_value(); }},
       [](Layer& l) { l.bearer_token.reset(); },
       "--bearer-token-file",
       "PUSHRUN_BEARER_TOKEN_FILE (or PUSHRUN_BEARER_TOKEN_ENV)",
       "bearer_token_file (or bearer_token_env)"},
      {"client certificate and key",
       {[](const Layer& l) { return l.cert_file.has_value(); },
        [](const Layer& l) { return l.key_file.has_value(); }},
       [](Layer& l) {
         l.cert_file.reset();
         l.key_file.reset();
       },
       "--cert-file and --key-file",
       "PUSHRUN_CERT_FILE and PUSHRUN_KEY_FILE",
       "cert_file and key_file"},
  };
  return kCredentials;
}

class Layers {
 public:
  Layers(const std::vector<const Layer*>& layers, const std::vector<LayerOrigin>& origins)
      : layers_(layers), origins_(origins) {}

  // The most important layer at or below `from` that sets the gateway URLs.
  std::optional<std::size_t> UrlAt(std::size_t from) const {
    for (std::size_t i = from; i < layers_.size(); ++i) {
      if (layers_[i]->gateways) return i;
    }
    return std::nullopt;
  }
  const std::vector<std::string>& Urls(std::size_t i) const { return *layers_[i]->gateways; }
  const Layer& At(std::size_t i) const { return *layers_[i]; }

  // Whether layer i's gateway list names the same gateway as `key` (a UrlKey).
  bool Lists(std::size_t i, const std::string& key) const {
    const std::vector<std::string>& urls = Urls(i);
    return std::any_of(urls.begin(), urls.end(),
                       [&key](const std::string& url) { return UrlKey(url) == key; });
  }

  // Layer i's gateway URLs for a message: "https://a" or "https://a, https://b"; "no gateway"
  // for an empty list.
  std::string UrlsText(std::size_t i) const {
    std::string text;
    for (const std::string& url : Urls(i)) text += (text.empty() ? "" : ", ") + PrintableUrl(url);
    return text.empty() ? "no gateway" : text;
  }

  template <typename Predicate>
  std::optional<std::size_t> FirstSetting(Predicate sets) const {
    for (std::size_t i = 0; i < layers_.size(); ++i) {
      if (sets(*layers_[i])) return i;
    }
    return std::nullopt;
  }

  LayerOrigin Origin(std::size_t i) const {
    return i < origins_.size() ? origins_[i] : LayerOrigin{};
  }

  // "[gateway]", "the command line", ...
  std::string Name(std::size_t i) const {
    const LayerOrigin origin = Origin(i);
    switch (origin.kind) {
      case LayerKind::kFlags:
        return "the command line";
      case LayerKind::kEnvironment:
        return "the environment";
      case LayerKind::kJobTable:
        return "[jobs." + origin.job + "]";
      case LayerKind::kFile:
        return "[gateway]";
      case LayerKind::kOther:
        break;
    }
    return "settings layer " + std::to_string(i + 1) + " (of " + std::to_string(layers_.size()) +
           ", most important first)";
  }

  // Where the URL of layer i is set and how to add `keys` next to it.
  std::string Advice(std::size_t i, const std::vector<const Credential*>& dropped) const {
    const LayerOrigin origin = Origin(i);
    std::string keys;
    for (const Credential* credential : dropped) {
      const char* key = origin.kind == LayerKind::kFlags         ? credential->flags
                        : origin.kind == LayerKind::kEnvironment ? credential->environment
                                                                 : credential->file;
      keys += std::string(keys.empty() ? "" : ", ") + key;
    }
    switch (origin.kind) {
      case LayerKind::kFlags:
        return "give " + keys + " together with --gateway";
      case LayerKind::kEnvironment:
        return "set " + keys + " together with PUSHRUN_GATEWAY";
      case LayerKind::kJobTable:
        return "set " + keys + " in the job's gateway table, [jobs." + origin.job +
               "] gateway = { url = \"...\", ... }";
      case LayerKind::kFile:
        return "set " + keys + " in [gateway]";
      case LayerKind::kOther:
        break;
    }
    return "set " + keys + " in the layer that sets the gateway URL";
  }

 private:
  const std::vector<const Layer*>& layers_;
  const std::vector<LayerOrigin>& origins_;
};

// Headers that carry credentials: the names `pushrun check` shows as "<set>", except
// Proxy-Authorization, which belongs to the proxy (not bound to a gateway URL either).
bool IsCredentialHeader(std::string_view name) {
  const std::string lower = Lower(name);
  return lower == "authorization" || lower == "cookie" ||
         lower.find("token") != std::string::npos || lower.find("key") != std::string::npos ||
         lower.find("secret") != std::string::npos;
}

// Leaves out of `merged` the gateway credentials that were not set for `url`, one of the
// winning gateways (see Resolve in settings.h), and returns the warning, or "" when nothing
// was left out.
std::string UnbindCredentials(const Layers& layers, const std::string& url, Layer& merged) {
  const std::optional<std::size_t> url_layer = layers.UrlAt(0);
  if (!url_layer) return {};
  const std::string key = UrlKey(url);
  // Whether what layer `i` set is meant for other gateways; sets `*bound_to` to its URL layer.
  auto foreign = [&](std::size_t i, std::size_t* bound_to) {
    const std::optional<std::size_t> bound = layers.UrlAt(i);
    if (!bound || *bound == *url_layer) return false;  // unbound, or bound to this very list
    *bound_to = *bound;
    return !layers.Lists(*bound, key);
  };

  std::vector<std::string> left_out;  // "the bearer token (set in [gateway] for URL)"
  std::vector<const Credential*> advice;
  auto note = [&](const std::string& what, std::size_t set_in, std::size_t bound_to) {
    left_out.push_back(what + " (set in " + layers.Name(set_in) + " for " +
                       layers.UrlsText(bound_to) + ")");
  };
  for (const Credential& credential : Credentials()) {
    for (const auto& sets : credential.parts) {
      const std::optional<std::size_t> set_in = layers.FirstSetting(sets);
      std::size_t bound_to = 0;
      if (!set_in || !foreign(*set_in, &bound_to)) continue;
      note(std::string("the ") + credential.what, *set_in, bound_to);
      advice.push_back(&credential);
      credential.drop(merged);
      break;
    }
  }
  for (auto it = merged.headers.begin(); it != merged.headers.end();) {
    const std::string& name = it->first;
    std::size_t bound_to = 0;
    const std::optional<std::size_t> set_in =
        layers.FirstSetting([&name](const Layer& l) { return l.headers.contains(name); });
    if (!IsCredentialHeader(name) || !set_in || !foreign(*set_in, &bound_to)) {
      ++it;
      continue;
    }
    note("the " + name + " header", *set_in, bound_to);
    it = merged.headers.erase(it);
  }
  if (left_out.empty()) return {};

  std::string list;
  for (std::size_t i = 0; i < left_out.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == left_out.size() ? " and " : ", ") + left_out[i];
  }
  std::string warning = "the gateway URL " + PrintableUrl(url) + " comes from " +
                        layers.Name(*url_layer) + ", so " + list +
                        (left_out.size() == 1 ? " is" : " are") +
                        " not sent: credentials only go to the gateway they were set for. To "
                        "authenticate to " +
                        PrintableUrl(url) + ", ";
  warning += advice.empty() ? "set the header together with the gateway URL"
                            : layers.Advice(*url_layer, advice);
  warning += "; or use the same gateway URL";
  return warning;
}

// With receivers but no gateway, gateway credentials given as flags or environment variables
// go nowhere; someone who typed `--remote-write URL --bearer-token-file F` expects them at the
// receiver. Says so (never the secret), or returns "". (In the config file a job may well turn
// the gateway off, `gateway = []`, under a [gateway] with credentials: no warning for that.)
std::string UnusedCredentials(const Layers& layers, std::size_t count) {
  std::vector<std::string> given;
  for (std::size_t i = 0; i < count; ++i) {
    const LayerKind kind = layers.Origin(i).kind;
    if (kind != LayerKind::kFlags && kind != LayerKind::kEnvironment) continue;
    for (const Credential& credential : Credentials()) {
      const bool sets = std::any_of(credential.parts.begin(), credential.parts.end(),
                                    [&](const auto& part) { return part(layers.At(i)); });
      if (sets) {
        given.push_back(kind == LayerKind::kFlags ? credential.flags : credential.environment);
      }
    }
    for (const auto& [name, value] : layers.At(i).headers) {
      if (IsCredentialHeader(name)) {
        given.push_back(kind == LayerKind::kFlags ? "--header " + name : "header " + name);
      }
    }
  }
  if (given.empty()) return {};
  std::string list;
  for (const std::string& what : given) list += (list.empty() ? "" : ", ") + what;
  return "gateway credentials are set (" + list +
         ") but there is no gateway, so they are not sent anywhere: a remote-write receiver "
         "only gets the credentials of its own [[remote_write]] table in the config file (url, "
         "bearer_token_file or username and password_file, headers, tls)";
}

// A target's credentials and TLS files, from a gateway layer or a [[remote_write]] table (the
// same keys in both).
template <typename Source>
void TakeCredentials(const Source& from, PushSettings& options) {
  if (from.username) {
    options.basic_auth = metrics::BasicAuth{*from.username, from.password.value_or("")};
  }
  Take(from.bearer_token, options.bearer_token);
  Take(from.ca_file, options.tls.ca_file);
  Take(from.cert_file, options.tls.cert_file);
  Take(from.key_file, options.tls.key_file);
  Take(from.insecure_skip_verify, options.tls.insecure_skip_verify);
}

// The client settings of one gateway from the merged push layer, after UnbindCredentials.
PushSettings GatewayClient(const Layer& push, Duration deadline) {
  PushSettings options;
  Take(push.push_timeout, options.timeout);
  Take(push.connect_timeout, options.connect_timeout);
  Take(push.retries, options.retry.max_retries);
  options.retry.deadline = deadline;
  for (const auto& [name, value] : push.headers) options.headers.emplace_back(name, value);
  if (push.password && !push.username) {
    throw ConfigError({}, "password", "a password is set but no username",
                      "set username together with password_file or password_env");
  }
  if (push.username && !push.password) {
    // Sending "user:" with an empty password is never what was meant.
    throw ConfigError({}, "username", "a username is set but no password",
                      "set password_file or password_env together with username");
  }
  if (push.username && push.bearer_token) {
    throw ConfigError({}, "bearer_token",
                      "both basic auth (username) and a bearer token are set; both would use "
                      "the Authorization header",
                      "one of username + password, bearer_token_file / bearer_token_env");
  }
  TakeCredentials(push, options);
  Take(push.proxy, options.proxy);
  Take(push.gzip, options.gzip);
  return options;
}

// The client settings of one receiver: the run's timeouts, retries, deadline and proxy, and
// nothing else of the gateway's; its own headers, credentials and TLS (checked by CheckLayer).
PushSettings ReceiverClient(const Layer& push, Duration deadline, const RemoteWriteLayer& entry) {
  PushSettings options;
  Take(push.push_timeout, options.timeout);
  Take(push.connect_timeout, options.connect_timeout);
  Take(push.retries, options.retry.max_retries);
  options.retry.deadline = deadline;
  Take(push.proxy, options.proxy);
  for (const auto& [name, value] : entry.headers) options.headers.emplace_back(name, value);
  TakeCredentials(entry, options);
  return options;
}

}  // namespace

Settings Resolve(const std::vector<const Layer*>& layers_by_precedence,
                 const std::vector<LayerOrigin>& origins) {
  Settings settings;
  Layer push;  // the push-client part of all layers, and the target lists, merged
  for (auto it = layers_by_precedence.rbegin(); it != layers_by_precedence.rend(); ++it) {
    if (*it == nullptr) throw std::invalid_argument("Resolve: null layer");
    Apply(**it, settings, push);
  }

  // Built-in default of the job name: the command's base name ("backup" for /usr/bin/backup).
  if (settings.job.empty() && !settings.command.empty()) {
    settings.job = BaseName(settings.command.front());
    settings.job_from_command = true;
  }

  const Layers layers(layers_by_precedence, origins);
  const std::vector<std::string> gateways = push.gateways.value_or(std::vector<std::string>{});
  for (const std::string& url : gateways) {
    Layer bound = push;
    // Before GatewayClient's checks: credentials left out here must not count as "both set".
    if (std::string warning = UnbindCredentials(layers, url, bound); !warning.empty()) {
      settings.warnings.push_back(std::move(warning));
    }
    settings.targets.push_back(
        {TargetKind::kPushgateway, url, GatewayClient(bound, settings.push_deadline)});
  }
  // Its checks (a password without a username...) hold even when no gateway is given.
  if (gateways.empty()) (void)GatewayClient(push, settings.push_deadline);
  for (const RemoteWriteLayer& entry :
       push.remote_write.value_or(std::vector<RemoteWriteLayer>{})) {
    settings.targets.push_back(
        {TargetKind::kRemoteWrite, entry.url, ReceiverClient(push, settings.push_deadline, entry)});
  }

  if (gateways.empty() && !settings.targets.empty()) {
    if (std::string warning = UnusedCredentials(layers, layers_by_precedence.size());
        !warning.empty()) {
      settings.warnings.push_back(std::move(warning));
    }
  }
  if (settings.delete_on_success && gateways.empty() && !settings.targets.empty()) {
    const std::optional<std::size_t> set_in =
        layers.FirstSetting([](const Layer& l) { return l.delete_on_success.has_value(); });
    std::string where;  // how the user set it, to find it again
    switch (set_in ? layers.Origin(*set_in).kind : LayerKind::kOther) {
      case LayerKind::kFlags:
        where = " (by --delete-on-success)";
        break;
      case LayerKind::kEnvironment:
        where = " (by PUSHRUN_DELETE_ON_SUCCESS)";
        break;
      case LayerKind::kJobTable:
        where = " (in [jobs." + layers.Origin(*set_in).job + "])";
        break;
      case LayerKind::kFile:
        where = " (in [defaults])";
        break;
      case LayerKind::kOther:
        break;
    }
    throw ConfigError({}, "delete_on_success",
                      "delete on success is set" + where +
                          " but every target is a remote-write receiver: a receiver keeps the "
                          "samples it was sent, and only a Pushgateway has a group to delete",
                      "add a Pushgateway (--gateway, PUSHRUN_GATEWAY or the gateway's url) to "
                      "delete its group, or leave delete_on_success out");
  }
  return settings;
}

}  // namespace pushrun::config
