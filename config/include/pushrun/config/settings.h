#pragma once
// Everything one pushrun run needs to know, and the layers it is resolved from.
// Precedence is decided in exactly one place, Resolve(): flags > environment > the job's
// table > [defaults] > built-in defaults. Groupings and headers merge key by key in that order.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pushrun/metrics/pushgateway.h"

namespace pushrun::config {

using Duration = std::chrono::milliseconds;

enum class PushMethod { kPost, kPut };
enum class LogFormat { kText, kJson };

// One Prometheus remote-write receiver as a layer names it: its write URL and its own
// credentials, headers and TLS (nothing of the gateway's, nor of another receiver's).
// (Every member has an initializer, so that `{.url = "..."}` names only what it sets.)
struct RemoteWriteLayer {
  std::string url{};
  std::map<std::string, std::string> headers{};
  std::optional<std::string> username{};
  std::optional<std::string> password{};      // the secret itself, already read from file/env
  std::optional<std::string> bearer_token{};  // likewise
  std::optional<std::string> ca_file{};
  std::optional<std::string> cert_file{};
  std::optional<std::string> key_file{};
  std::optional<bool> insecure_skip_verify{};
};

// One source of settings. Every field is optional: unset means "this layer says nothing".
struct Layer {
  // Pushgateway base URLs. A layer that sets them gives the whole list (an empty one: no
  // gateway); lists do not merge across layers. The gateway credentials, headers and TLS below
  // apply to each of these.
  std::optional<std::vector<std::string>> gateways;
  // Remote-write receivers, each with its own settings; the whole list, like `gateways`.
  std::optional<std::vector<RemoteWriteLayer>> remote_write;
  std::optional<std::string> job;
  std::map<std::string, std::string> grouping;
  std::optional<PushMethod> method;
  std::optional<bool> delete_on_success;
  std::optional<bool> push_start;
  std::optional<Duration> heartbeat;  // zero means off
  std::optional<Duration> timeout;    // the command's; zero means none
  std::optional<Duration> kill_after;
  std::optional<int> timeout_signal;
  std::optional<std::string> sidecar;
  std::optional<std::string> textfile_dir;
  std::optional<bool> fail_on_push_error;
  std::optional<std::string> prefix;
  std::optional<std::string> spool_dir;
  std::optional<std::string> lock_file;
  std::optional<std::size_t> sidecar_max_bytes;
  std::optional<std::size_t> max_series;
  std::optional<std::vector<std::string>> command;
  std::optional<bool> keep_env;  // pass the whole environment to the command, as given
  // Names of the environment variables this layer read a credential from (password_env,
  // bearer_token_env, the gateway's or a receiver's): the command does not see them unless
  // keep_env.
  std::vector<std::string> credential_env;
  // Push client settings. Timeouts, retries and the proxy apply to every target; headers,
  // credentials and TLS to the gateways only.
  std::optional<Duration> push_timeout;
  std::optional<Duration> connect_timeout;
  std::optional<Duration> push_deadline;
  std::optional<int> retries;
  std::map<std::string, std::string> headers;
  std::optional<std::string> username;
  std::optional<std::string> password;      // the secret itself, already read from file/env
  std::optional<std::string> bearer_token;  // likewise
  std::optional<std::string> ca_file;
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  std::optional<bool> insecure_skip_verify;
  std::optional<std::string> proxy;
  std::optional<bool> gzip;
};

// How the push client behaves, as the user configured it: plain data, like the rest of
// Settings. The runner turns it into metrics::PushOptions, with the transport, where it pushes.
struct PushSettings {
  Duration timeout{10'000};         // one request
  Duration connect_timeout{3'000};  //
  metrics::Headers headers{};       // extra headers sent with every request
  std::optional<metrics::BasicAuth> basic_auth{};
  std::string bearer_token{};
  metrics::TlsOptions tls{};
  std::string proxy{};  // empty: http_proxy / https_proxy / no_proxy
  bool gzip = false;
  metrics::BodyFormat format = metrics::BodyFormat::kText;
  metrics::RetryOptions retry{};  // retry.deadline: the client's own, set from push_deadline
};

// Where a report goes: a Pushgateway (base URL) or a Prometheus remote-write receiver
// (its full write URL, such as http://host:9090/api/v1/write). Plain data.
enum class TargetKind { kPushgateway, kRemoteWrite };
struct Target {
  TargetKind kind = TargetKind::kPushgateway;
  std::string url;
  // This target's client settings: its own credentials, headers and TLS, with the run's
  // timeouts and retries. A target's credentials are never sent to another target.
  PushSettings push;
};

struct Settings {
  // Every place the report goes, in the order given: gateways first, then remote-write
  // receivers. Empty: the report goes to textfile_dir, or to stderr.
  std::vector<Target> targets;
  std::string job;                // empty until defaulted from the command's base name
  bool job_from_command = false;  // `job` is the command's base name (no job was given)
  std::map<std::string, std::string> grouping;
  PushMethod method = PushMethod::kPost;
  bool delete_on_success = false;
  bool push_start = false;
  // How often a running report is pushed while the command runs; zero: no heartbeats.
  Duration heartbeat{0};
  Duration timeout{0};  // zero: no timeout
  Duration kill_after{10'000};
  int timeout_signal = 15;  // SIGTERM
  std::string sidecar;      // empty: a fresh private file
  std::string textfile_dir;
  bool fail_on_push_error = false;
  std::string prefix = "pushrun";
  std::string spool_dir;
  std::string lock_file;
  std::size_t sidecar_max_bytes = 16 * 1024 * 1024;
  std::size_t max_series = 100'000;
  std::vector<std::string> command;
  // false: the command gets the environment without PUSHRUN_* variables and without
  // credential_env; true: everything pushrun was given.
  bool keep_env = false;
  // Every variable any layer read a credential from, whether or not that credential is used.
  std::vector<std::string> credential_env;
  Duration push_deadline{10'000};  // all push attempts of a run, well under k8s' 30 s grace
  // What the user should hear about how the layers combined (never a secret), one line each,
  // for main to print once as warnings. So far: credentials left out because the gateway URL
  // was overridden by a layer that did not set them.
  std::vector<std::string> warnings;
};

// What a layer is, so that a message can say where a setting was made and where to make it.
enum class LayerKind { kOther, kFlags, kEnvironment, kJobTable, kFile };
struct LayerOrigin {
  LayerKind kind = LayerKind::kOther;
  std::string job;  // kJobTable: the <name> of [jobs.<name>]
};

// Layers from most to least important: {flags, environment, job table, [defaults]}.
// `origins` (parallel to the layers, may be shorter) only name the layers in warnings.
//
// Gateways: the list of the most important layer that sets one; remote-write receivers
// likewise. Targets: the gateways, then the receivers, in the order given.
//
// Gateway credentials (basic auth, bearer token, client certificate and key, credential
// headers) are bound to the gateway URLs in effect where they were set: the list of the same
// layer, else of the nearest less important layer that sets one. Each winning gateway that is
// not in that list (the same gateway written differently counts as in it) gets them left out,
// and Settings::warnings says so. Credentials set where no list is in effect are not bound.
// The CA file is not a secret and applies whatever the URL. A receiver gets only what its own
// entry sets, plus the run's timeouts, retries, deadline and proxy.
//
// Throws ConfigError for settings that only conflict once combined: a username without a
// password (or the other way round), basic auth together with a bearer token, and
// delete_on_success with remote-write receivers but no gateway.
Settings Resolve(const std::vector<const Layer*>& layers_by_precedence,
                 const std::vector<LayerOrigin>& origins = {});

}  // namespace pushrun::config
