// The one place that decides precedence: flags > environment > the job's table > [defaults]
// > built-in defaults (the initial values of Settings). Scalars: the most important layer
// that sets one wins. Groupings and headers: merged key by key in the same order.

#include <string_view>

#include "pushrun/config/error.h"
#include "pushrun/config/settings.h"

namespace pushrun::config {

namespace {

template <typename T>
void Take(const std::optional<T>& from, T& to) {
  if (from) to = *from;
}

// Applies one layer over what the less important layers already set.
void Apply(const Layer& layer, Settings& settings, Layer& merged) {
  Take(layer.gateway_url, settings.gateway_url);
  Take(layer.job, settings.job);
  for (const auto& [name, value] : layer.grouping) settings.grouping[name] = value;
  Take(layer.method, settings.method);
  Take(layer.delete_on_success, settings.delete_on_success);
  Take(layer.push_start, settings.push_start);
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
  Take(layer.push_deadline, settings.push_deadline);
  // Push client settings are collected first and turned into PushOptions once.
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

}  // namespace

Settings Resolve(const std::vector<const Layer*>& layers_by_precedence) {
  Settings settings;
  Layer push;  // the push-client part of all layers, merged
  for (auto it = layers_by_precedence.rbegin(); it != layers_by_precedence.rend(); ++it) {
    if (*it == nullptr) throw std::invalid_argument("Resolve: null layer");
    Apply(**it, settings, push);
  }

  // Built-in default of the job name: the command's base name ("backup" for /usr/bin/backup).
  if (settings.job.empty() && !settings.command.empty()) {
    settings.job = BaseName(settings.command.front());
  }

  metrics::PushOptions& options = settings.push;
  Take(push.push_timeout, options.timeout);
  Take(push.connect_timeout, options.connect_timeout);
  Take(push.retries, options.retry.max_retries);
  options.retry.deadline = settings.push_deadline;
  for (const auto& [name, value] : push.headers) options.headers.emplace_back(name, value);
  if (push.password && !push.username) {
    throw ConfigError({}, "password", "a password is set but no username",
                      "set username together with password_file or password_env");
  }
  if (push.username && push.bearer_token) {
    throw ConfigError({}, "bearer_token",
                      "both basic auth (username) and a bearer token are set; both would use "
                      "the Authorization header",
                      "one of username + password, bearer_token_file / bearer_token_env");
  }
  if (push.username) {
    options.basic_auth = metrics::BasicAuth{*push.username, push.password.value_or("")};
  }
  Take(push.bearer_token, options.bearer_token);
  Take(push.ca_file, options.tls.ca_file);
  Take(push.cert_file, options.tls.cert_file);
  Take(push.key_file, options.tls.key_file);
  Take(push.insecure_skip_verify, options.tls.insecure_skip_verify);
  Take(push.proxy, options.proxy);
  Take(push.gzip, options.gzip);
  return settings;
}

}  // namespace pushrun::config
