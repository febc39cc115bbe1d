// pushrun's command line: parses the words (runner/command_line.h), turns the options into a
// config::Layer, resolves it over the environment and hands the settings to the library.
// Every verb gets the same resolved settings.
//
// Nothing here builds an iostream before the command starts: stdout and stderr are
// runner::StandardOutput()/StandardError(), built on first use (see fd_stream.h).

#include <algorithm>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "process_exit.h"
#include "pushrun/config/check.h"
#include "pushrun/config/describe.h"
#include "pushrun/config/duration.h"
#include "pushrun/config/environment.h"
#include "pushrun/config/error.h"
#include "pushrun/config/fleet.h"
#include "pushrun/config/loader.h"
#include "pushrun/config/secret.h"
#include "pushrun/config/settings.h"
#include "pushrun/config/signal_name.h"
#include "pushrun/config/values.h"
#include "pushrun/metrics/http_header.h"
#include "pushrun/runner/app.h"
#include "pushrun/runner/command_line.h"
#include "pushrun/runner/fd_stream.h"
#include "pushrun/runner/log.h"
#include "pushrun/runner/process_signals.h"

#ifndef PUSHRUN_VERSION
#define PUSHRUN_VERSION "unknown"
#endif

namespace {

using pushrun::config::ConfigError;
using pushrun::config::Layer;
using pushrun::runner::CommandLine;
using pushrun::runner::Option;
using pushrun::runner::Verb;

// One write, so the two lines stay together.
void PrintUsageError(std::string_view error) {
  std::string text = "pushrun: error: ";
  text += error;
  text += "\nRun 'pushrun --help' for usage.\n";
  pushrun::runner::StandardError() << text;
}

[[noreturn]] void Bad(const std::string& flag, const std::string& message,
                      std::string_view allowed = {}) {
  throw ConfigError({}, flag, message, std::string(allowed));
}

pushrun::config::Duration Duration(const std::string& flag, const std::string& text) {
  std::string error;
  auto value = pushrun::config::ParseDuration(text, &error);
  if (!value) Bad(flag, error, pushrun::config::kDurationSyntax);
  return *value;
}

std::size_t Count(const std::string& flag, const std::string& text, long long min, long long max) {
  std::string error;
  auto value = pushrun::config::ParseCount(text, min, max, &error);
  if (!value) Bad(flag, error, pushrun::config::kCountSyntax);
  return static_cast<std::size_t>(*value);
}

// The flag of a setting, by its config file key ("gateway.timeout" -> "--push-timeout").
std::string FlagName(std::string_view key) {
  if (key == "gateway.headers") return "--header";
  for (const auto& variable : pushrun::config::EnvironmentVariables()) {
    if (variable.config_key != key || variable.flag.empty()) continue;
    const std::size_t comma = variable.flag.rfind(", ");  // "-g, --grouping": the long one
    return std::string(comma == std::string_view::npos ? variable.flag
                                                       : variable.flag.substr(comma + 2));
  }
  return std::string(key);
}

// Flags given on the command line, as the most important config layer. Every value is checked
// by the same functions the environment and config file use.
Layer ToLayer(const CommandLine& line, std::vector<std::string>* warnings) {
  namespace config = pushrun::config;
  Layer layer;
  auto given = [&](Option option) { return line.Given(option); };
  auto value = [&](Option option) { return std::string(line.Value(option)); };
  std::string error;
  // URLs are checked by CheckLayer below, with the environment's and the config file's.
  if (given(Option::kGateway)) layer.gateways = line.Values(Option::kGateway);
  if (given(Option::kRemoteWrite)) {
    // A URL only: the gateway's credential flags never apply to a receiver.
    std::vector<config::RemoteWriteLayer> receivers;
    for (const std::string& url : line.Values(Option::kRemoteWrite)) {
      receivers.push_back({.url = url});
    }
    layer.remote_write = std::move(receivers);
  }
  if (given(Option::kJob)) layer.job = value(Option::kJob);
  for (std::string_view pair : line.Values(Option::kGrouping)) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      Bad("--grouping", "\"" + std::string(pair) + "\" has no '='", "KEY=VALUE");
    }
    const std::string name(pair.substr(0, eq));
    if (!config::IsValidGroupingName(name)) {
      Bad("--grouping", "label name \"" + name + "\" is not allowed", config::kLabelNameSyntax);
    }
    if (layer.grouping.contains(name)) {
      Bad("--grouping", "label \"" + name + "\" is given twice", "each label name once");
    }
    layer.grouping[name] = std::string(pair.substr(eq + 1));
  }
  if (given(Option::kMethod)) {
    auto method = config::ParseMethod(value(Option::kMethod), &error);
    if (!method) Bad("--method", error, config::kMethodSyntax);
    layer.method = *method;
  }
  if (given(Option::kDeleteOnSuccess)) layer.delete_on_success = true;
  if (given(Option::kPushStart)) layer.push_start = true;
  if (given(Option::kFailOnPushError)) layer.fail_on_push_error = true;
  if (given(Option::kInsecureSkipVerify)) layer.insecure_skip_verify = true;
  if (given(Option::kGzip)) layer.gzip = true;
  if (given(Option::kTimeout)) layer.timeout = Duration("--timeout", value(Option::kTimeout));
  if (given(Option::kHeartbeat)) {
    layer.heartbeat = Duration("--heartbeat", value(Option::kHeartbeat));
  }
  if (given(Option::kKillAfter)) {
    layer.kill_after = Duration("--kill-after", value(Option::kKillAfter));
  }
  if (given(Option::kTimeoutSignal)) {
    auto signal = config::ParseSignal(value(Option::kTimeoutSignal), &error);
    if (!signal) Bad("--timeout-signal", error, config::kSignalSyntax);
    layer.timeout_signal = *signal;
  }
  if (given(Option::kSidecar)) layer.sidecar = value(Option::kSidecar);
  if (given(Option::kSidecarMaxBytes)) {
    layer.sidecar_max_bytes =
        Count("--sidecar-max-bytes", value(Option::kSidecarMaxBytes), 0, 1LL << 40);
  }
  if (given(Option::kMaxSeries)) {
    layer.max_series = Count("--max-series", value(Option::kMaxSeries), 0, 1LL << 40);
  }
  if (given(Option::kTextfileDir)) layer.textfile_dir = value(Option::kTextfileDir);
  if (given(Option::kPrefix)) layer.prefix = value(Option::kPrefix);
  if (given(Option::kPushTimeout)) {
    layer.push_timeout = Duration("--push-timeout", value(Option::kPushTimeout));
  }
  if (given(Option::kConnectTimeout)) {
    layer.connect_timeout = Duration("--connect-timeout", value(Option::kConnectTimeout));
  }
  if (given(Option::kPushDeadline)) {
    layer.push_deadline = Duration("--push-deadline", value(Option::kPushDeadline));
  }
  if (given(Option::kRetries)) {
    layer.retries = static_cast<int>(Count("--retries", value(Option::kRetries), 0, 100));
  }
  for (std::string_view header : line.Values(Option::kHeader)) {
    std::string name, header_value;
    if (!pushrun::metrics::ParseHeaderLine(header, &name, &header_value, &error)) {
      Bad("--header", error, "'NAME: VALUE'");
    }
    layer.headers[name] = header_value;
  }
  if (given(Option::kBearerTokenFile)) {
    layer.bearer_token = config::ReadSecretFile(value(Option::kBearerTokenFile), {},
                                                "--bearer-token-file", warnings);
  }
  if (given(Option::kUsername)) layer.username = value(Option::kUsername);
  if (given(Option::kPasswordFile)) {
    layer.password =
        config::ReadSecretFile(value(Option::kPasswordFile), {}, "--password-file", warnings);
  }
  if (given(Option::kCaFile)) layer.ca_file = value(Option::kCaFile);
  if (given(Option::kCertFile)) layer.cert_file = value(Option::kCertFile);
  if (given(Option::kKeyFile)) layer.key_file = value(Option::kKeyFile);
  if (given(Option::kProxy)) layer.proxy = value(Option::kProxy);
  if (given(Option::kSpoolDir)) layer.spool_dir = value(Option::kSpoolDir);
  if (given(Option::kLock)) layer.lock_file = value(Option::kLock);
  if (given(Option::kKeepEnv)) layer.keep_env = true;
  config::CheckLayer(layer, FlagName);
  return layer;
}

// The streams a verb prints to. For the wrapped run they are built now only when the run will
// print (a dry run, or a report with nowhere else to go): building one initialises the locale,
// which would otherwise delay the command.
pushrun::runner::RunIo IoFor(Verb verb, const pushrun::config::Settings& settings, bool dry_run) {
  namespace runner = pushrun::runner;
  runner::RunIo io{.dry_run = dry_run};
  const bool wrapped = verb == Verb::kNone || verb == Verb::kRun;
  if (!wrapped || dry_run) io.out = &runner::StandardOutput();
  if (!wrapped || (settings.targets.empty() && settings.textfile_dir.empty())) {
    io.err = &runner::StandardError();
  }
  return io;
}

int Main(int argc, char** argv) {
  namespace config = pushrun::config;
  namespace runner = pushrun::runner;

  runner::CommandLineResult parsed = runner::ParseCommandLine(
      std::span<const char* const>(argv + 1, static_cast<std::size_t>(argc > 0 ? argc - 1 : 0)));
  if (!parsed.ok()) {
    PrintUsageError(parsed.error);
    return runner::kExitPushrunError;
  }
  CommandLine& line = parsed.line;
  if (line.Given(Option::kHelp)) {
    runner::StandardOutput() << runner::HelpText() << std::flush;
    return runner::kExitOk;
  }
  if (line.Given(Option::kVersion)) {
    runner::StandardOutput() << "pushrun " PUSHRUN_VERSION "\n" << std::flush;
    return runner::kExitOk;
  }

  const std::string_view log_format =
      line.Given(Option::kLogFormat) ? line.Value(Option::kLogFormat) : "text";
  const auto style = log_format == "json" ? runner::LogStyle::kJson : runner::LogStyle::kText;
  runner::Logger log(&runner::StandardError, style, line.Count(Option::kVerbose));
  if (log_format != "text" && log_format != "json") {
    log.Error("--log-format: \"" + std::string(log_format) +
              "\" is not a log format (allowed: text, json)");
    return runner::kExitPushrunError;
  }

  const Verb verb = line.verb();
  const std::vector<std::string>& command = line.command();
  config::Settings settings;
  try {
    std::vector<std::string> warnings;
    Layer flag_layer = ToLayer(line, &warnings);
    config::EnvironmentSettings env = config::EnvironmentLayer(config::ProcessEnvironment());
    warnings.insert(warnings.end(), env.warnings.begin(), env.warnings.end());
    std::optional<config::FleetConfig> fleet;
    const std::string config_path = line.Given(Option::kConfig)
                                        ? std::string(line.Value(Option::kConfig))
                                        : env.config_path.value_or("");
    if (!config_path.empty()) {
      fleet = config::LoadConfig(config_path);
      warnings.insert(warnings.end(), fleet->warnings.begin(), fleet->warnings.end());
    }
    for (const std::string& warning : warnings) log.Warning(warning);
    if ((verb == Verb::kRun || verb == Verb::kJobs || verb == Verb::kCheck) && !fleet) {
      Bad(std::string(runner::VerbName(verb)), "needs a config file",
          "-c FILE, --config FILE, PUSHRUN_CONFIG");
    }
    if (verb == Verb::kJobs) {
      return runner::RunJobs(*fleet, runner::RunIo{.out = &runner::StandardOutput()});
    }
    if (verb == Verb::kCheck) {
      return runner::RunCheck(*fleet, flag_layer, env.layer,
                              runner::RunIo{.out = &runner::StandardOutput()});
    }
    if (verb == Verb::kRun) {
      const std::string job(line.operands().front());
      settings = config::ResolveRun(flag_layer, env.layer, *fleet, job, command);
    } else {
      if (!command.empty()) flag_layer.command = command;
      settings = config::ResolveAdHoc(flag_layer, env.layer, fleet ? &*fleet : nullptr);
    }
    for (const std::string& warning : settings.warnings) log.Warning(warning);
    // -vv: what the layers resolved to; secrets show as "<set>".
    if (log.Enabled(runner::LogLevel::kDebug)) {
      log.Debug("settings:\n" + config::DescribeSettings(settings));
    }
  } catch (const ConfigError& error) {
    // A config file reports all its mistakes, one per line.
    const std::string_view what = error.what();
    for (std::size_t start = 0; start < what.size();) {
      const std::size_t end = std::min(what.find('\n', start), what.size());
      log.Error(std::string(what.substr(start, end - start)));
      start = end + 1;
    }
    return runner::kExitPushrunError;
  }

  const runner::RunIo io = IoFor(verb, settings, line.Given(Option::kDryRun));
  switch (verb) {
    case Verb::kDelete:
      return runner::RunDelete(settings, log, io);
    case Verb::kFlush:
      return runner::RunFlush(settings, log, io);
    case Verb::kLint: {
      if (!command.empty()) {
        log.Error("lint takes no command after --");
        return runner::kExitPushrunError;
      }
      const std::vector<std::string> files(line.operands().begin(), line.operands().end());
      return runner::RunLint(files, settings, log, io);
    }
    default:
      return runner::RunWrapped(settings, log, io);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // First, before anything changes a disposition: what the command must inherit (nohup's HUP).
  pushrun::runner::RecordInheritedSignals();
  pushrun::runner::IgnoreBrokenPipes();
  int status = pushrun::runner::kExitPushrunError;
  try {
    status = Main(argc, argv);
  } catch (const std::exception& error) {
    pushrun::runner::StandardError() << std::string("pushrun: error: ") + error.what() + "\n";
  }
  pushrun::runner::ExitProcess(status);
}
