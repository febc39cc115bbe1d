// The TOML fleet file. The only file that includes toml++; everything it reads becomes a
// Layer, and every mistake a ConfigError at the offending key or value.

#include "pushrun/config/loader.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <span>
#include <stdexcept>

#include "pushrun/config/check.h"
#include "pushrun/config/duration.h"
#include "pushrun/config/read_file.h"
#include "pushrun/config/signal_name.h"
#include "pushrun/config/suggest.h"
#include "pushrun/config/values.h"
#include "pushrun/metrics/http_header.h"
#include "pushrun/metrics/names.h"
#include "toml_patched.h"  // toml++ with a fix for non-ASCII input

namespace pushrun::config {

namespace {

// Enough to fix a file in one go; a file with more is likely not a pushrun config at all.
constexpr std::size_t kMaxErrors = 20;
struct TooManyErrors {};

constexpr std::string_view kJobNameSyntax = "letters, digits, '_', '.' and '-'";

std::string TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::date:
    case toml::node_type::time:
    case toml::node_type::date_time:
      return "a date/time";
    default:
      return "nothing";
  }
}

bool IsJobName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower;
}

// "; did you mean \"url\"?" when `name` is a likely typo of one of `names`, else "".
std::string DidYouMean(std::string_view name, std::span<const std::string_view> names) {
  const std::string_view best = Closest(name, names, std::max<std::size_t>(2, name.size() / 3));
  return best.empty() ? std::string() : "; did you mean \"" + std::string(best) + "\"?";
}

class Reader {
 public:
  Reader(std::string path, const GetEnv& getenv, std::vector<std::string>* warnings)
      : path_(std::move(path)), getenv_(getenv), warnings_(warnings) {
    const std::size_t slash = path_.rfind('/');
    if (slash != std::string::npos) directory_ = path_.substr(0, slash + 1);
    BuildKeys();
  }

  void Read(const toml::table& root, FleetConfig& fleet) {
    bool too_many = false;
    try {
      // Named references, not structured bindings: clang 14 (the fuzz build) cannot capture
      // those in a lambda.
      for (const auto& entry : root) {
        const toml::key& key = entry.first;
        const toml::node& node = entry.second;
        Collect([&] { ReadTop(key, node, fleet); });
      }
    } catch (const TooManyErrors&) {
      too_many = true;
    }
    // toml++ keeps a table's keys sorted by name: put the mistakes back in file order.
    std::stable_sort(errors_.begin(), errors_.end(),
                     [](const ConfigError& a, const ConfigError& b) {
                       return std::pair(a.line(), a.column()) < std::pair(b.line(), b.column());
                     });
    if (too_many) {
      errors_.push_back(ConfigError(
          {path_}, "",
          "more errors not shown (the first " + std::to_string(kMaxErrors) + " are above)"));
    }
    if (!errors_.empty()) throw ConfigError::Several(errors_);
  }

  void ReadTop(const toml::key& key, const toml::node& node, FleetConfig& fleet) {
    const std::string name(key.str());
    if (name == "gateway") {
      ReadTable(Table(node, "gateway"), "gateway", gateway_keys_, fleet.gateway_and_defaults);
    } else if (name == "defaults") {
      ReadTable(Table(node, "defaults"), "defaults", defaults_keys_, fleet.gateway_and_defaults);
    } else if (name == "remote_write") {
      ReadRemoteWrite(node, "remote_write", fleet.gateway_and_defaults);
    } else if (name == "jobs") {
      for (auto&& [job_key, job_node] : Table(node, "jobs")) {
        Collect(
            [&, &job_key = job_key, &job_node = job_node] { ReadJob(job_key, job_node, fleet); });
      }
    } else {
      const std::vector<std::string_view> tables = {"gateway", "remote_write", "defaults", "jobs"};
      Fail(key.source(), name, "unknown table \"" + name + "\"" + DidYouMean(name, tables),
           "gateway, remote_write, defaults, jobs");
    }
  }

  void ReadJob(const toml::key& job_key, const toml::node& job_node, FleetConfig& fleet) const {
    const std::string job_name(job_key.str());
    const std::string job_path = "jobs." + job_name;
    if (!IsJobName(job_name)) {
      Fail(job_key.source(), job_path, "bad job name \"" + job_name + "\"", kJobNameSyntax);
    }
    JobConfig job{job_name, {}, {}, Where(job_node.source())};
    ReadTable(Table(job_node, job_path), job_path, job_keys_, job.layer);
    job.implicit.job = job_name;
    fleet.jobs.emplace(job_name, std::move(job));
  }

 private:
  using Handler = std::function<void(const toml::node&, const std::string& key_path, Layer&)>;
  struct Key {
    std::string_view name;
    Handler handler;
    bool allowed = true;  // false: known only to be refused with a better message
  };

  SourceLocation Where(const toml::source_region& region) const {
    return {path_, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
  }

  [[noreturn]] void Fail(const toml::source_region& region, const std::string& key_path,
                         const std::string& message, std::string_view allowed = {}) const {
    throw ConfigError(Where(region), key_path, message, std::string(allowed));
  }

  [[noreturn]] void WrongType(const toml::node& node, const std::string& key_path,
                              std::string_view expected, std::string_view allowed = {}) const {
    Fail(node.source(), key_path, "expected " + std::string(expected) + ", got " + TypeName(node),
         allowed);
  }

  const toml::table& Table(const toml::node& node, const std::string& key_path) const {
    if (const toml::table* table = node.as_table()) return *table;
    WrongType(node, key_path, "a table");
  }

  const std::string& String(const toml::node& node, const std::string& key_path,
                            std::string_view allowed = {}) const {
    if (const auto* value = node.as_string()) return value->get();
    WrongType(node, key_path, "a string", allowed);
  }

  std::string Path(const toml::node& node, const std::string& key_path) const {
    const std::string& path = String(node, key_path, "a file or directory path");
    if (path.empty()) Fail(node.source(), key_path, "empty path", "a file or directory path");
    if (path.front() == '/' || directory_.empty()) return path;
    return directory_ + path;
  }

  bool Bool(const toml::node& node, const std::string& key_path) const {
    if (const auto* value = node.as_boolean()) return value->get();
    WrongType(node, key_path, "a boolean", "true, false");
  }

  long long Integer(const toml::node& node, const std::string& key_path, long long min,
                    long long max) const {
    const std::string allowed =
        "a whole number from " + std::to_string(min) +
        (max == std::numeric_limits<long long>::max() ? " up" : " to " + std::to_string(max));
    const auto* value = node.as_integer();
    if (!value) WrongType(node, key_path, "an integer", allowed);
    if (value->get() < min || value->get() > max) {
      Fail(node.source(), key_path, std::to_string(value->get()) + " is out of range", allowed);
    }
    return value->get();
  }

  Duration DurationValue(const toml::node& node, const std::string& key_path) const {
    const std::string& text = String(node, key_path, kDurationSyntax);
    std::string error;
    const auto duration = ParseDuration(text, &error);
    if (!duration) Fail(node.source(), key_path, error, kDurationSyntax);
    return *duration;
  }

  // Runs `read`; a ConfigError it throws is kept, and reading goes on with the next key.
  template <typename Read>
  void Collect(Read read) const {
    try {
      read();
    } catch (const ConfigError& error) {
      if (errors_.size() >= kMaxErrors) throw TooManyErrors{};
      errors_.push_back(error);
    }
  }

  void ReadTable(const toml::table& table, const std::string& table_path, std::span<const Key> keys,
                 Layer& layer) const {
    for (const auto& entry : table) {
      const toml::key& key = entry.first;
      const toml::node& node = entry.second;
      Collect([&] { ReadKey(key, node, table_path, keys, layer); });
    }
  }

  void ReadKey(const toml::key& key, const toml::node& node, const std::string& table_path,
               std::span<const Key> keys, Layer& layer) const {
    const std::string name(key.str());
    const std::string key_path = table_path + "." + name;
    const Key* found = nullptr;
    for (const Key& candidate : keys) {
      if (candidate.name == name) found = &candidate;
    }
    if (!found) {
      std::string allowed;
      std::vector<std::string_view> names;
      for (const Key& candidate : keys) {
        if (!candidate.allowed) continue;
        allowed += (allowed.empty() ? "" : ", ") + std::string(candidate.name);
        names.push_back(candidate.name);
      }
      Fail(key.source(), key_path, "unknown key \"" + name + "\"" + DidYouMean(name, names),
           allowed);
    }
    // Into a copy: a key that fails leaves the layer as it was, so that the keys after it are
    // checked (and reported) for themselves.
    Layer read = layer;
    found->handler(node, key_path, read);
    CheckLayer(
        read, [&key_path](std::string_view) { return key_path; }, Where(node.source()));
    layer = std::move(read);
  }

  // Handlers: each turns one key's value into one Layer field.
  template <typename Field>
  Key StringKey(std::string_view name, Field field) const {
    return {name, [this, field](const toml::node& node, const std::string& key_path, Layer& layer) {
              layer.*field = String(node, key_path);
            }};
  }
  template <typename Field>
  Key PathKey(std::string_view name, Field field) const {
    return {name, [this, field](const toml::node& node, const std::string& key_path, Layer& layer) {
              layer.*field = Path(node, key_path);
            }};
  }
  template <typename Field>
  Key BoolKey(std::string_view name, Field field) const {
    return {name, [this, field](const toml::node& node, const std::string& key_path, Layer& layer) {
              layer.*field = Bool(node, key_path);
            }};
  }
  template <typename Field>
  Key DurationKey(std::string_view name, Field field) const {
    return {name, [this, field](const toml::node& node, const std::string& key_path, Layer& layer) {
              layer.*field = DurationValue(node, key_path);
            }};
  }
  template <typename Field>
  Key SizeKey(std::string_view name, Field field) const {
    return {name, [this, field](const toml::node& node, const std::string& key_path, Layer& layer) {
              layer.*field = static_cast<std::size_t>(
                  Integer(node, key_path, 1, std::numeric_limits<long long>::max()));
            }};
  }

  // password_file / password_env / bearer_token_file / bearer_token_env: one source each.
  Key SecretKey(std::string_view name, std::optional<std::string> Layer::*field,
                bool from_file) const {
    return {name, [this, field, from_file](const toml::node& node, const std::string& key_path,
                                           Layer& layer) {
              if (layer.*field) {
                Fail(node.source(), key_path, "this secret is already set by another key",
                     "one of *_file or *_env");
              }
              if (from_file) {
                layer.*field =
                    ReadSecretFile(Path(node, key_path), Where(node.source()), key_path, warnings_);
              } else {
                const std::string& variable =
                    String(node, key_path, "an environment variable name");
                layer.*field = ReadSecretEnv(variable, getenv_, Where(node.source()), key_path);
                layer.credential_env.push_back(variable);
              }
            }};
  }

  Key InlineSecretKey(std::string_view name) const {
    return {name,
            [this, name](const toml::node& node, const std::string& key_path, Layer&) {
              // A secret written into the config file ends up in backups, version control
              // and world-readable /etc; refuse it rather than warn.
              Fail(node.source(), key_path, "secrets are not accepted inline",
                   std::string(name) + "_file (a path) or " + std::string(name) +
                       "_env (an environment variable name)");
            },
            false};
  }

  void ReadGrouping(const toml::node& node, const std::string& key_path, Layer& layer) const {
    for (auto&& [key, value] : Table(node, key_path)) {
      const std::string name(key.str());
      const std::string label_path = key_path + "." + name;
      if (name == "job") {
        Fail(key.source(), label_path,
             "\"job\" cannot be a grouping label; set the job name with job = \"...\"",
             kLabelNameSyntax);
      }
      if (!IsValidGroupingName(name)) {
        Fail(key.source(), label_path, "bad grouping label name \"" + name + "\"",
             kLabelNameSyntax);
      }
      layer.grouping[name] = String(value, label_path, "a string value");
    }
  }

  void ReadHeaders(const toml::node& node, const std::string& key_path, Layer& layer) const {
    for (auto&& [key, value] : Table(node, key_path)) {
      const std::string name(key.str());
      const std::string header_path = key_path + "." + name;
      if (Lower(name) == "authorization") {
        Fail(key.source(), header_path, "credentials are not accepted inline",
             "bearer_token_file, bearer_token_env, username with password_file or "
             "password_env");
      }
      const std::string& text = String(value, header_path, "a string value");
      if (std::string problem = metrics::CheckHeader(name, text); !problem.empty()) {
        Fail(key.source(), header_path, problem);
      }
      layer.headers[name] = text;
    }
  }

  std::string Url(const toml::node& node, const std::string& key_path) const {
    const std::string& text = String(node, key_path, kUrlSyntax);
    std::string error;
    if (!CheckGatewayUrl(text, &error)) Fail(node.source(), key_path, error, kUrlSyntax);
    return text;
  }

  // A gateway's url: one URL, or an array of them (each checked at its own place); an empty
  // array means no gateway.
  void ReadUrls(const toml::node& node, const std::string& key_path, Layer& layer) const {
    std::vector<std::string> urls;
    if (const toml::array* array = node.as_array()) {
      for (std::size_t i = 0; i < array->size(); ++i) {
        urls.push_back(Url((*array)[i], key_path + "[" + std::to_string(i) + "]"));
      }
    } else {
      if (!node.is_string()) {
        WrongType(node, key_path, "a URL string or an array of them",
                  "\"http://host:9091\" or [\"http://a:9091\", \"http://b:9091\"]");
      }
      urls.push_back(Url(node, key_path));
    }
    layer.gateways = std::move(urls);
  }

  // [[remote_write]] tables (at the top, or [[jobs.<name>.remote_write]]): each one receiver
  // with its own url, credentials, headers and tls table, read by the gateway's key handlers
  // into a scratch layer. An empty array (remote_write = []) means no receiver.
  void ReadRemoteWrite(const toml::node& node, const std::string& key_path, Layer& layer) const {
    constexpr std::string_view kAllowed =
        "[[remote_write]] tables, each with url = \"http://host:9090/api/v1/write\"";
    const toml::array* array = node.as_array();
    if (!array) WrongType(node, key_path, "an array of tables", kAllowed);
    std::vector<RemoteWriteLayer> receivers;
    for (std::size_t i = 0; i < array->size(); ++i) {
      // Each table for itself: a mistake in one does not hide those of the next.
      Collect([&] {
        const toml::node& element = (*array)[i];
        const std::string path = key_path + "[" + std::to_string(i) + "]";
        const std::size_t errors_before = errors_.size();
        Layer read;
        ReadTable(Table(element, path), path, remote_write_keys_, read);
        if (errors_.size() != errors_before) return;  // a half-read receiver says nothing more
        RemoteWriteLayer receiver{
            .url = read.gateways ? read.gateways->front() : std::string(),
            .headers = std::move(read.headers),
            .username = std::move(read.username),
            .password = std::move(read.password),
            .bearer_token = std::move(read.bearer_token),
            .ca_file = std::move(read.ca_file),
            .cert_file = std::move(read.cert_file),
            .key_file = std::move(read.key_file),
            .insecure_skip_verify = read.insecure_skip_verify,
        };
        // What only the whole table can tell (a url at all, username with password) and a
        // receiver listed twice, at its header.
        Layer check;
        check.remote_write = receivers;  // these passed; only the new one can fail
        check.remote_write->push_back(receiver);
        CheckLayer(
            check,
            [&path](std::string_view key) {
              const std::size_t dot = key.find('.');
              return path + std::string(dot == std::string_view::npos ? "" : key.substr(dot));
            },
            Where(element.source()));
        layer.credential_env.insert(layer.credential_env.end(), read.credential_env.begin(),
                                    read.credential_env.end());
        receivers.push_back(std::move(receiver));
      });
    }
    layer.remote_write = std::move(receivers);
  }

  void BuildKeys() {
    gateway_keys_ = {
        {"url", [this](const toml::node& n, const std::string& p, Layer& l) { ReadUrls(n, p, l); }},
        DurationKey("timeout", &Layer::push_timeout),
        DurationKey("connect_timeout", &Layer::connect_timeout),
        DurationKey("deadline", &Layer::push_deadline),
        {"retries", [this](const toml::node& n, const std::string& p,
                           Layer& l) { l.retries = static_cast<int>(Integer(n, p, 0, 100)); }},
        {"headers",
         [this](const toml::node& n, const std::string& p, Layer& l) { ReadHeaders(n, p, l); }},
        StringKey("username", &Layer::username),
        SecretKey("password_file", &Layer::password, true),
        SecretKey("password_env", &Layer::password, false),
        SecretKey("bearer_token_file", &Layer::bearer_token, true),
        SecretKey("bearer_token_env", &Layer::bearer_token, false),
        InlineSecretKey("password"),
        InlineSecretKey("bearer_token"),
        PathKey("ca_file", &Layer::ca_file),
        PathKey("cert_file", &Layer::cert_file),
        PathKey("key_file", &Layer::key_file),
        BoolKey("insecure_skip_verify", &Layer::insecure_skip_verify),
        {"proxy",
         [this](const toml::node& n, const std::string& p, Layer& l) {
           const std::string& text = String(n, p, kUrlSyntax);
           std::string error;
           if (!CheckGatewayUrl(text, &error)) Fail(n.source(), p, error, kUrlSyntax);
           l.proxy = text;
         }},
        BoolKey("gzip", &Layer::gzip),
    };
    // A receiver's keys are the gateway's own handlers (one reader per key), less what is the
    // run's (timeouts, retries, proxy) or the gateway's alone (gzip); TLS in a tls table.
    auto gateway_key = [this](std::string_view name) {
      for (const Key& key : gateway_keys_) {
        if (key.name == name) return key;
      }
      throw std::logic_error("no gateway key " + std::string(name));
    };
    for (std::string_view name : {"ca_file", "cert_file", "key_file", "insecure_skip_verify"}) {
      tls_keys_.push_back(gateway_key(name));
    }
    remote_write_keys_ = {
        {"url", [this](const toml::node& n, const std::string& p,
                       Layer& l) { l.gateways = std::vector<std::string>{Url(n, p)}; }},
        {"tls", [this](const toml::node& n, const std::string& p,
                       Layer& l) { ReadTable(Table(n, p), p, tls_keys_, l); }},
    };
    for (std::string_view name :
         {"headers", "username", "password_file", "password_env", "bearer_token_file",
          "bearer_token_env", "password", "bearer_token"}) {
      remote_write_keys_.push_back(gateway_key(name));
    }
    for (std::string_view name : {"ca_file", "cert_file", "key_file", "insecure_skip_verify"}) {
      remote_write_keys_.push_back(
          {name,
           [this, name](const toml::node& n, const std::string& p, Layer&) {
             Fail(n.source(), p, "a receiver's TLS settings go in its tls table",
                  "tls = { " + std::string(name) + " = ... }");
           },
           false});
    }
    for (std::string_view name : {"timeout", "connect_timeout", "deadline", "retries", "proxy"}) {
      remote_write_keys_.push_back(
          {name,
           [this](const toml::node& n, const std::string& p, Layer&) {
             Fail(n.source(), p,
                  "timeouts, retries, the deadline and the proxy are the run's, for every target",
                  "set it in [gateway] (it applies to remote write too) or with its flag");
           },
           false});
    }
    defaults_keys_ = {
        {"job",
         [this](const toml::node& n, const std::string& p, Layer& l) {
           const std::string& job = String(n, p, "a non-empty string");
           if (job.empty()) Fail(n.source(), p, "empty job name", "a non-empty string");
           l.job = job;
         }},
        {"grouping",
         [this](const toml::node& n, const std::string& p, Layer& l) { ReadGrouping(n, p, l); }},
        {"method",
         [this](const toml::node& n, const std::string& p, Layer& l) {
           const std::string& text = String(n, p, kMethodSyntax);
           std::string error;
           const auto method = ParseMethod(text, &error);
           if (!method) Fail(n.source(), p, error, kMethodSyntax);
           l.method = *method;
         }},
        BoolKey("delete_on_success", &Layer::delete_on_success),
        BoolKey("push_start", &Layer::push_start),
        DurationKey("heartbeat", &Layer::heartbeat),
        DurationKey("timeout", &Layer::timeout),
        DurationKey("kill_after", &Layer::kill_after),
        {"timeout_signal",
         [this](const toml::node& n, const std::string& p, Layer& l) {
           std::string text;
           if (const auto* number = n.as_integer()) {
             text = std::to_string(number->get());
           } else {
             text = String(n, p, kSignalSyntax);
           }
           std::string error;
           const auto signal = ParseSignal(text, &error);
           if (!signal) Fail(n.source(), p, error, kSignalSyntax);
           l.timeout_signal = *signal;
         }},
        PathKey("sidecar", &Layer::sidecar),
        SizeKey("sidecar_max_bytes", &Layer::sidecar_max_bytes),
        SizeKey("max_series", &Layer::max_series),
        PathKey("textfile_dir", &Layer::textfile_dir),
        BoolKey("fail_on_push_error", &Layer::fail_on_push_error),
        {"prefix",
         [this](const toml::node& n, const std::string& p, Layer& l) {
           const std::string& prefix = String(n, p, "a metric name prefix");
           if (!prefix.empty() && !metrics::IsValidMetricName(prefix)) {
             Fail(n.source(), p, "bad metric name prefix \"" + prefix + "\"",
                  "[a-zA-Z_:][a-zA-Z0-9_:]*");
           }
           l.prefix = prefix;
         }},
        PathKey("spool_dir", &Layer::spool_dir),
        PathKey("lock_file", &Layer::lock_file),
        BoolKey("keep_env", &Layer::keep_env),
    };
    job_keys_ = defaults_keys_;
    job_keys_.push_back({"command", [this](const toml::node& n, const std::string& p, Layer& l) {
                           ReadCommand(n, p, l);
                         }});
    job_keys_.push_back({"gateway", [this](const toml::node& n, const std::string& p, Layer& l) {
                           // `gateway = "https://..."`, a list of URLs, or a table with
                           // [gateway]'s keys.
                           if (n.is_string() || n.is_array()) {
                             ReadUrls(n, p, l);
                           } else if (n.is_table()) {
                             ReadTable(*n.as_table(), p, gateway_keys_, l);
                           } else {
                             WrongType(n, p, "a URL string, an array of them or a table",
                                       "gateway = \"http://host:9091\", gateway = "
                                       "[\"http://a:9091\", \"http://b:9091\"] or a table "
                                       "with the keys of [gateway]");
                           }
                         }});
    job_keys_.push_back({"remote_write", [this](const toml::node& n, const std::string& p,
                                                Layer& l) { ReadRemoteWrite(n, p, l); }});
  }

  void ReadCommand(const toml::node& node, const std::string& key_path, Layer& layer) const {
    constexpr std::string_view kAllowed =
        "a non-empty array of strings, e.g. [\"/usr/local/bin/backup\", \"--full\"]; use "
        "[\"sh\", \"-c\", \"...\"] for a shell";
    const toml::array* array = node.as_array();
    if (!array) WrongType(node, key_path, "an array of strings", kAllowed);
    if (array->empty()) Fail(node.source(), key_path, "empty command", kAllowed);
    std::vector<std::string> command;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string element_path = key_path + "[" + std::to_string(i) + "]";
      command.push_back(String((*array)[i], element_path, kAllowed));
    }
    if (command.front().empty()) Fail(node.source(), key_path, "empty program name", kAllowed);
    layer.command = std::move(command);
  }

  std::string path_;
  std::string directory_;  // of the config file, with a trailing '/'; empty for the cwd
  const GetEnv& getenv_;
  std::vector<std::string>* warnings_;
  std::vector<Key> gateway_keys_;
  std::vector<Key> tls_keys_;
  std::vector<Key> remote_write_keys_;
  std::vector<Key> defaults_keys_;
  std::vector<Key> job_keys_;
  // Semantic mistakes found so far; reading goes on after each, up to kMaxErrors.
  mutable std::vector<ConfigError> errors_;
};

}  // namespace

FleetConfig ParseConfig(std::string_view text, const std::string& path, const GetEnv& getenv) {
  if (text.size() > kMaxConfigBytes) {
    throw ConfigError({path}, "", "larger than " + std::to_string(kMaxConfigBytes) + " bytes");
  }
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& error) {
    const toml::source_position begin = error.source().begin;
    throw ConfigError({path, static_cast<int>(begin.line), static_cast<int>(begin.column)}, "",
                      std::string(error.description()));
  }
  FleetConfig fleet;
  fleet.path = path;
  Reader(path, getenv, &fleet.warnings).Read(root, fleet);
  return fleet;
}

FleetConfig LoadConfig(const std::string& path, const GetEnv& getenv) {
  std::string text;
  // Through symbolic links: Kubernetes mounts ConfigMaps as links.
  const FileRead read = ReadRegularFile(path, kMaxConfigBytes, /*follow_symlinks=*/true, &text);
  if (!read.ok()) throw ConfigError({path}, "", DescribeFileProblem(read, kMaxConfigBytes));
  return ParseConfig(text, path, getenv);
}

}  // namespace pushrun::config
