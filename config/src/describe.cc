#include "pushrun/config/describe.h"

#include <sstream>
#include <string_view>
#include <vector>

#include "pushrun/config/duration.h"
#include "pushrun/config/signal_name.h"
#include "pushrun/config/values.h"
#include "pushrun/metrics/pushgateway.h"

namespace pushrun::config {

namespace {

// TOML-style quoting, so the dump reads like the config file.
std::string Quote(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        quoted += "\\\"";
        break;
      case '\\':
        quoted += "\\\\";
        break;
      case '\n':
        quoted += "\\n";
        break;
      case '\t':
        quoted += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          quoted += "\\u00";
          quoted += kHex[(c >> 4) & 0xf];
          quoted += kHex[c & 0xf];
        } else {
          quoted += c;
        }
    }
  }
  return quoted + "\"";
}

std::string Bool(bool value) { return value ? "true" : "false"; }

// Headers whose value is a credential in common use.
bool IsSecretHeader(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return lower == "authorization" || lower == "proxy-authorization" || lower == "cookie" ||
         lower.find("token") != std::string::npos || lower.find("key") != std::string::npos ||
         lower.find("secret") != std::string::npos;
}

std::string Inline(const std::map<std::string, std::string>& map, bool redact_secrets) {
  std::string text = "{";
  bool first = true;
  for (const auto& [name, value] : map) {
    text += first ? " " : ", ";
    first = false;
    text += Quote(name) + " = " +
            (redact_secrets && IsSecretHeader(name) ? std::string("\"<set>\"") : Quote(value));
  }
  return text + (first ? "}" : " }");
}

std::string Url(std::string_view url) { return Quote(metrics::RedactUrl(url)); }

// One target as an inline table: its kind and URL, then only what is set of its own
// headers, credentials (as "<set>") and TLS, so that who gets which credential shows.
std::string DescribeTarget(const Target& target) {
  const PushSettings& push = target.push;
  std::string text = "{ kind = ";
  text += target.kind == TargetKind::kPushgateway ? "\"pushgateway\"" : "\"remote_write\"";
  text += ", url = " + Url(target.url);
  if (!push.headers.empty()) {
    text +=
        ", headers = " +
        Inline(std::map<std::string, std::string>(push.headers.begin(), push.headers.end()), true);
  }
  if (push.basic_auth) {
    text += ", username = " + Quote(push.basic_auth->username) + ", password = \"<set>\"";
  }
  if (!push.bearer_token.empty()) text += ", bearer_token = \"<set>\"";
  if (!push.tls.ca_file.empty()) text += ", ca_file = " + Quote(push.tls.ca_file);
  if (!push.tls.cert_file.empty()) text += ", cert_file = " + Quote(push.tls.cert_file);
  if (!push.tls.key_file.empty()) text += ", key_file = " + Quote(push.tls.key_file);
  if (push.tls.insecure_skip_verify) text += ", insecure_skip_verify = true";
  return text + " }";
}

}  // namespace

std::string DescribeSettings(const Settings& s) {
  std::ostringstream out;
  // The gateway.* lines: the first gateway's client settings. Without a gateway, the run's
  // timeouts, retries and proxy as a receiver has them, and no credentials (the `targets`
  // block at the end shows what each target gets).
  PushSettings push;
  const auto gateway = std::find_if(s.targets.begin(), s.targets.end(), [](const Target& t) {
    return t.kind == TargetKind::kPushgateway;
  });
  if (gateway != s.targets.end()) {
    push = gateway->push;
  } else if (!s.targets.empty()) {
    const PushSettings& receiver = s.targets.front().push;
    push.timeout = receiver.timeout;
    push.connect_timeout = receiver.connect_timeout;
    push.retry = receiver.retry;
    push.proxy = receiver.proxy;
  }
  auto line = [&](std::string_view key, const std::string& value) {
    out << key << " = " << value << '\n';
  };
  auto secret = [](bool set) { return set ? std::string("\"<set>\"") : std::string("\"\""); };

  // One gateway as the config file would write it, several as a list; the gateway.* lines
  // below are the first one's settings, `targets` at the end is what each target gets.
  std::vector<std::string> gateways;
  for (const Target& target : s.targets) {
    if (target.kind == TargetKind::kPushgateway) gateways.push_back(Url(target.url));
  }
  if (gateways.size() == 1) {
    line("gateway.url", gateways.front());
  } else {
    std::string list;
    for (const std::string& url : gateways) list += (list.empty() ? "" : ", ") + url;
    line("gateway.url", gateways.empty() ? "\"\"" : "[" + list + "]");
  }
  line("job", Quote(s.job));
  line("grouping", Inline(s.grouping, false));
  line("method", Quote(MethodName(s.method)));
  line("delete_on_success", Bool(s.delete_on_success));
  line("push_start", Bool(s.push_start));
  line("heartbeat", Quote(FormatDuration(s.heartbeat)));
  line("timeout", Quote(FormatDuration(s.timeout)));
  line("kill_after", Quote(FormatDuration(s.kill_after)));
  line("timeout_signal", Quote(SignalName(s.timeout_signal)));
  line("sidecar", Quote(s.sidecar));
  line("sidecar_max_bytes", std::to_string(s.sidecar_max_bytes));
  line("max_series", std::to_string(s.max_series));
  line("textfile_dir", Quote(s.textfile_dir));
  line("fail_on_push_error", Bool(s.fail_on_push_error));
  line("prefix", Quote(s.prefix));
  line("spool_dir", Quote(s.spool_dir));
  line("lock_file", Quote(s.lock_file));
  line("keep_env", Bool(s.keep_env));
  std::string command = "[";
  for (std::size_t i = 0; i < s.command.size(); ++i) {
    command += (i ? ", " : "") + Quote(s.command[i]);
  }
  line("command", command + "]");
  line("gateway.timeout", Quote(FormatDuration(push.timeout)));
  line("gateway.connect_timeout", Quote(FormatDuration(push.connect_timeout)));
  line("gateway.deadline", Quote(FormatDuration(s.push_deadline)));
  line("gateway.retries", std::to_string(push.retry.max_retries));
  std::map<std::string, std::string> headers(push.headers.begin(), push.headers.end());
  line("gateway.headers", Inline(headers, true));
  line("gateway.username",
       push.basic_auth ? Quote(push.basic_auth->username) : std::string("\"\""));
  line("gateway.password", secret(push.basic_auth && !push.basic_auth->password.empty()));
  line("gateway.bearer_token", secret(!push.bearer_token.empty()));
  line("gateway.ca_file", Quote(push.tls.ca_file));
  line("gateway.cert_file", Quote(push.tls.cert_file));
  line("gateway.key_file", Quote(push.tls.key_file));
  line("gateway.insecure_skip_verify", Bool(push.tls.insecure_skip_verify));
  line("gateway.proxy",
       push.proxy.empty() ? std::string("\"\"") : Quote(metrics::RedactUrl(push.proxy)));
  line("gateway.gzip", Bool(push.gzip));
  if (s.targets.empty()) {
    line("targets", "[]");
  } else {
    out << "targets = [\n";
    for (const Target& target : s.targets) out << "  " << DescribeTarget(target) << ",\n";
    out << "]\n";
  }
  return out.str();
}

std::string DescribeFleet(const FleetConfig& fleet, const Layer& flags, const Layer& environment) {
  std::string text;
  if (fleet.jobs.empty()) {
    text += "# no [jobs.<name>] tables; defaults:\n";
    text += DescribeSettings(Resolve(LayersFor(flags, environment, &fleet, nullptr)));
  }
  for (const auto& [name, job] : fleet.jobs) {
    if (!text.empty()) text += "\n";
    text += "[jobs." + name + "]\n";
    if (!job.layer.command) {
      text += "# no command: usable as --job " + name + " -- COMMAND, not with run\n";
    }
    text += DescribeSettings(ResolveJob(flags, environment, fleet, job));
  }
  return text;
}

}  // namespace pushrun::config
