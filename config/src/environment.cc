#include "pushrun/config/environment.h"

#include <array>
#include <limits>

#include "pushrun/config/check.h"
#include "pushrun/config/duration.h"
#include "pushrun/config/error.h"
#include "pushrun/config/signal_name.h"
#include "pushrun/config/values.h"

namespace pushrun::config {

namespace {

struct Context {
  std::string_view variable;
  const GetEnv* getenv;
  std::vector<std::string>* warnings;
};

[[noreturn]] void Fail(const Context& context, const std::string& message,
                       std::string_view allowed = {}) {
  throw ConfigError({}, std::string(context.variable), message, std::string(allowed));
}

// How one variable's value lands in the layer.
using Apply = void (*)(std::string_view value, const Context& context, Layer& layer);

struct Entry {
  EnvironmentVariable doc;
  Apply apply;
};

template <std::optional<std::string> Layer::*field>
void SetString(std::string_view value, const Context&, Layer& layer) {
  layer.*field = std::string(value);
}

template <std::optional<Duration> Layer::*field>
void SetDuration(std::string_view value, const Context& context, Layer& layer) {
  std::string error;
  const auto duration = ParseDuration(value, &error);
  if (!duration) Fail(context, error, kDurationSyntax);
  layer.*field = *duration;
}

template <std::optional<bool> Layer::*field>
void SetBool(std::string_view value, const Context& context, Layer& layer) {
  std::string error;
  const auto flag = ParseBool(value, &error);
  if (!flag) Fail(context, error, kBoolSyntax);
  layer.*field = *flag;
}

template <std::optional<std::size_t> Layer::*field>
void SetSize(std::string_view value, const Context& context, Layer& layer) {
  std::string error;
  const auto count = ParseCount(value, 1, std::numeric_limits<long long>::max(), &error);
  if (!count) Fail(context, error, kCountSyntax);
  layer.*field = static_cast<std::size_t>(*count);
}

// Several URLs separated by blanks (see ParseUrlList); one is the common case.
std::vector<std::string> UrlList(std::string_view value, const Context& context) {
  std::string error;
  std::optional<std::vector<std::string>> urls = ParseUrlList(value, &error);
  if (!urls) Fail(context, error, kUrlListSyntax);
  return std::move(*urls);
}

// Only blanks say nothing, as an empty variable does.
void SetGateways(std::string_view value, const Context& context, Layer& layer) {
  std::vector<std::string> urls = UrlList(value, context);
  if (!urls.empty()) layer.gateways = std::move(urls);
}

// URLs only: a receiver's credentials, headers and TLS have no variables (the gateway's do not
// apply to it); a receiver that needs them is configured in a [[remote_write]] table.
void SetRemoteWrite(std::string_view value, const Context& context, Layer& layer) {
  std::vector<RemoteWriteLayer> receivers;
  for (std::string& url : UrlList(value, context)) receivers.push_back({.url = std::move(url)});
  if (!receivers.empty()) layer.remote_write = std::move(receivers);
}

void SetGrouping(std::string_view value, const Context& context, Layer& layer) {
  std::string error;
  const auto grouping = ParseGrouping(value, &error);
  if (!grouping) Fail(context, error, kGroupingSyntax);
  layer.grouping = *grouping;
}

void SetMethod(std::string_view value, const Context& context, Layer& layer) {
  std::string error;
  const auto method = ParseMethod(value, &error);
  if (!method) Fail(context, error, kMethodSyntax);
  layer.method = *method;
}

void SetSignal(std::string_view value, const Context& context, Layer& layer) {
  std::string error;
  const auto signal = ParseSignal(value, &error);
  if (!signal) Fail(context, error, kSignalSyntax);
  layer.timeout_signal = *signal;
}

void SetRetries(std::string_view value, const Context& context, Layer& layer) {
  std::string error;
  const auto count = ParseCount(value, 0, 100, &error);
  if (!count) Fail(context, error, "a whole number 0-100");
  layer.retries = static_cast<int>(*count);
}

void SetPasswordFile(std::string_view value, const Context& context, Layer& layer) {
  layer.password =
      ReadSecretFile(std::string(value), {}, std::string(context.variable), context.warnings);
}

void SetBearerTokenFile(std::string_view value, const Context& context, Layer& layer) {
  layer.bearer_token =
      ReadSecretFile(std::string(value), {}, std::string(context.variable), context.warnings);
}

void SetPasswordEnv(std::string_view value, const Context& context, Layer& layer) {
  layer.password =
      ReadSecretEnv(std::string(value), *context.getenv, {}, std::string(context.variable));
  layer.credential_env.emplace_back(value);
}

void SetBearerTokenEnv(std::string_view value, const Context& context, Layer& layer) {
  layer.bearer_token =
      ReadSecretEnv(std::string(value), *context.getenv, {}, std::string(context.variable));
  layer.credential_env.emplace_back(value);
}

void Ignore(std::string_view, const Context&, Layer&) {}

// One line per variable. Keep in step with the README's configuration reference.
const std::array kEntries = {
    Entry{{"PUSHRUN_CONFIG", "", "-c, --config", "the config file to read"}, Ignore},
    Entry{{"PUSHRUN_GATEWAY", "gateway.url", "--gateway",
           "Pushgateway base URL; several separated by spaces"},
          SetGateways},
    Entry{{"PUSHRUN_REMOTE_WRITE", "remote_write.url", "--remote-write",
           "remote-write receiver URL (no credentials); several separated by spaces"},
          SetRemoteWrite},
    Entry{{"PUSHRUN_JOB", "job", "--job", "job name pushed to the gateway"},
          SetString<&Layer::job>},
    Entry{{"PUSHRUN_GROUPING", "grouping", "-g, --grouping",
           "grouping labels, \"k=v,k2=v2\" (merged key by key)"},
          SetGrouping},
    Entry{{"PUSHRUN_METHOD", "method", "--method", "post or put"}, SetMethod},
    Entry{{"PUSHRUN_DELETE_ON_SUCCESS", "delete_on_success", "--delete-on-success",
           "delete the group after a successful run"},
          SetBool<&Layer::delete_on_success>},
    Entry{{"PUSHRUN_PUSH_START", "push_start", "--push-start",
           "push a \"running\" report before the command starts"},
          SetBool<&Layer::push_start>},
    Entry{{"PUSHRUN_HEARTBEAT", "heartbeat", "--heartbeat",
           "push a running report this often while the command runs, e.g. \"30s\" (0: off)"},
          SetDuration<&Layer::heartbeat>},
    Entry{{"PUSHRUN_TIMEOUT", "timeout", "--timeout", "the command's time limit, e.g. \"2h\""},
          SetDuration<&Layer::timeout>},
    Entry{{"PUSHRUN_KILL_AFTER", "kill_after", "--kill-after",
           "SIGKILL this long after the timeout signal"},
          SetDuration<&Layer::kill_after>},
    Entry{{"PUSHRUN_TIMEOUT_SIGNAL", "timeout_signal", "--timeout-signal",
           "signal sent when the timeout fires"},
          SetSignal},
    Entry{{"PUSHRUN_SIDECAR", "sidecar", "--sidecar", "path of the sidecar metrics file"},
          SetString<&Layer::sidecar>},
    Entry{{"PUSHRUN_SIDECAR_MAX_BYTES", "sidecar_max_bytes", "--sidecar-max-bytes",
           "largest sidecar file accepted"},
          SetSize<&Layer::sidecar_max_bytes>},
    Entry{{"PUSHRUN_MAX_SERIES", "max_series", "--max-series",
           "most series accepted from the sidecar"},
          SetSize<&Layer::max_series>},
    Entry{{"PUSHRUN_TEXTFILE_DIR", "textfile_dir", "--textfile-dir",
           "node_exporter textfile collector directory"},
          SetString<&Layer::textfile_dir>},
    Entry{{"PUSHRUN_FAIL_ON_PUSH_ERROR", "fail_on_push_error", "--fail-on-push-error",
           "exit non-zero when the push fails"},
          SetBool<&Layer::fail_on_push_error>},
    Entry{{"PUSHRUN_PREFIX", "prefix", "--prefix", "metric name prefix"},
          SetString<&Layer::prefix>},
    Entry{{"PUSHRUN_SPOOL_DIR", "spool_dir", "--spool-dir",
           "where reports wait when the gateway is down"},
          SetString<&Layer::spool_dir>},
    Entry{{"PUSHRUN_LOCK_FILE", "lock_file", "--lock", "skip the run while another holds it"},
          SetString<&Layer::lock_file>},
    Entry{{"PUSHRUN_KEEP_ENV", "keep_env", "--keep-env",
           "pass PUSHRUN_* and credential variables to the command too"},
          SetBool<&Layer::keep_env>},
    Entry{{"PUSHRUN_PUSH_TIMEOUT", "gateway.timeout", "--push-timeout",
           "time limit of one push request"},
          SetDuration<&Layer::push_timeout>},
    Entry{{"PUSHRUN_CONNECT_TIMEOUT", "gateway.connect_timeout", "--connect-timeout",
           "time limit to connect to the gateway"},
          SetDuration<&Layer::connect_timeout>},
    Entry{{"PUSHRUN_PUSH_DEADLINE", "gateway.deadline", "--push-deadline",
           "time limit of all push attempts of a run"},
          SetDuration<&Layer::push_deadline>},
    Entry{
        {"PUSHRUN_RETRIES", "gateway.retries", "--retries", "extra push attempts after a failure"},
        SetRetries},
    Entry{{"PUSHRUN_USERNAME", "gateway.username", "--username", "basic auth user name"},
          SetString<&Layer::username>},
    Entry{{"PUSHRUN_PASSWORD_FILE", "gateway.password_file", "--password-file",
           "file holding the basic auth password"},
          SetPasswordFile},
    Entry{{"PUSHRUN_PASSWORD_ENV", "gateway.password_env", "",
           "name of a variable holding the basic auth password"},
          SetPasswordEnv},
    Entry{{"PUSHRUN_BEARER_TOKEN_FILE", "gateway.bearer_token_file", "--bearer-token-file",
           "file holding the bearer token"},
          SetBearerTokenFile},
    Entry{{"PUSHRUN_BEARER_TOKEN_ENV", "gateway.bearer_token_env", "",
           "name of a variable holding the bearer token"},
          SetBearerTokenEnv},
    Entry{{"PUSHRUN_CA_FILE", "gateway.ca_file", "--ca-file", "CA bundle to verify the gateway"},
          SetString<&Layer::ca_file>},
    Entry{{"PUSHRUN_CERT_FILE", "gateway.cert_file", "--cert-file", "TLS client certificate"},
          SetString<&Layer::cert_file>},
    Entry{{"PUSHRUN_KEY_FILE", "gateway.key_file", "--key-file", "TLS client key"},
          SetString<&Layer::key_file>},
    Entry{{"PUSHRUN_INSECURE_SKIP_VERIFY", "gateway.insecure_skip_verify", "--insecure-skip-verify",
           "do not verify the gateway's certificate"},
          SetBool<&Layer::insecure_skip_verify>},
    Entry{{"PUSHRUN_PROXY", "gateway.proxy", "--proxy",
           "HTTP proxy for pushes (default: http_proxy/https_proxy)"},
          SetString<&Layer::proxy>},
    Entry{{"PUSHRUN_GZIP", "gateway.gzip", "--gzip", "gzip request bodies"}, SetBool<&Layer::gzip>},
};

const std::array<EnvironmentVariable, kEntries.size()> kDocs = [] {
  std::array<EnvironmentVariable, kEntries.size()> docs{};
  for (std::size_t i = 0; i < kEntries.size(); ++i) docs[i] = kEntries[i].doc;
  return docs;
}();

}  // namespace

std::span<const EnvironmentVariable> EnvironmentVariables() { return kDocs; }

EnvironmentSettings EnvironmentLayer(const GetEnv& getenv) {
  if (!getenv) throw std::invalid_argument("EnvironmentLayer: null getenv");
  EnvironmentSettings result;
  for (const Entry& entry : kEntries) {
    const std::string name(entry.doc.name);
    const char* value = getenv(name.c_str());
    if (value == nullptr || *value == '\0') continue;
    if (entry.doc.name == "PUSHRUN_CONFIG") {
      result.config_path = value;
      continue;
    }
    const Context context{entry.doc.name, &getenv, &result.warnings};
    entry.apply(value, context, result.layer);
    // What the variables set so far passed; only this one can fail.
    CheckLayer(result.layer, [&entry](std::string_view) { return std::string(entry.doc.name); });
  }
  return result;
}

}  // namespace pushrun::config
