// pushrun's command line: parses flags (the only file that includes CLI11), turns them into a
// config::Layer, resolves it over the environment and hands the settings to the library.
// Verbs are CLI11 subcommands; each gets the same resolved settings.

#include <CLI/CLI.hpp>
#include <algorithm>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
#include "pushrun/runner/app.h"
#include "pushrun/runner/log.h"
#include "pushrun/runner/spooled_delivery.h"

#ifndef PUSHRUN_VERSION
#define PUSHRUN_VERSION "unknown"
#endif

namespace {

using pushrun::config::ConfigError;
using pushrun::config::Layer;

constexpr const char* kFooter =
    R"(Everything after -- is the command and its arguments, even words that look like
pushrun's own flags. pushrun passes stdin, stdout, stderr and the environment through,
plus PUSHRUN_METRICS_FILE: a private file the command may write extra metrics to (text
format 0.0.4); they are checked strictly and pushed with the report.

Reports go to --gateway (POST by default; PUT with --method put; DELETE with
--delete-on-success after a success), else to --textfile-dir/<job>.prom, else to stderr.
--dry-run prints "METHOD URL", a blank line and the body on stdout instead of sending.

Exit status: the command's; 128+N if it died of signal N; 124 on --timeout; 126 command
not executable; 127 command not found; 125 pushrun's own failure (usage, configuration;
a failed push only with --fail-on-push-error, and only when the command succeeded);
75 the --lock file was held by another run (the command was not started).

Settings flags also have PUSHRUN_* environment variables (flags win), e.g. PUSHRUN_GATEWAY.)";

// The raw flag values as typed; converted to a Layer after parsing so every value is checked
// by the same functions the environment and config file use.
struct Flags {
  std::string gateway, job, method, timeout, kill_after, timeout_signal, sidecar, textfile_dir;
  std::string prefix, log_format = "text", push_timeout, connect_timeout, push_deadline;
  std::string retries, sidecar_max_bytes, max_series, bearer_token_file, username;
  std::string password_file, ca_file, cert_file, key_file, proxy, spool_dir, lock_file;
  std::vector<std::string> grouping, headers;
  bool delete_on_success = false, push_start = false, fail_on_push_error = false;
  bool dry_run = false, insecure_skip_verify = false, gzip = false;
  int verbosity = 0;
};

void AddOptions(CLI::App& app, Flags& f) {
  const char* const kRun = "Run";
  const char* const kReport = "Report";
  const char* const kPush = "Push";
  const char* const kOutput = "Output";
  app.add_option("--gateway", f.gateway, "Pushgateway base URL, http(s)://host:port[/prefix]")
      ->option_text("URL")
      ->group(kReport);
  app.add_option("--job", f.job, "Job name (default: the command's base name)")
      ->option_text("NAME")
      ->group(kReport);
  app.add_option("-g,--grouping", f.grouping, "Grouping label, repeatable")
      ->option_text("KEY=VALUE")
      ->allow_extra_args(false)
      ->group(kReport);
  app.add_option("--method", f.method,
                 "post (default: replace the families sent) or put "
                 "(replace the whole group)")
      ->option_text("post|put")
      ->group(kReport);
  app.add_flag("--delete-on-success", f.delete_on_success,
               "Delete the group instead of pushing after a successful run")
      ->group(kReport);
  app.add_flag("--push-start", f.push_start,
               "Also push a \"running\" report once the command has started")
      ->group(kReport);
  app.add_option("--prefix", f.prefix, "Metric name prefix (default: pushrun)")
      ->option_text("PREFIX")
      ->group(kReport);
  app.add_option("--sidecar", f.sidecar,
                 "Read extra metrics from PATH instead of a private PUSHRUN_METRICS_FILE "
                 "(neither created nor removed)")
      ->option_text("PATH")
      ->group(kReport);
  app.add_option("--sidecar-max-bytes", f.sidecar_max_bytes,
                 "Largest sidecar accepted (default: 16 MiB)")
      ->option_text("N")
      ->group(kReport);
  app.add_option("--max-series", f.max_series, "Most sidecar series accepted (default: 100000)")
      ->option_text("N")
      ->group(kReport);
  app.add_option("--textfile-dir", f.textfile_dir,
                 "Without --gateway: write DIR/<job>.prom atomically for node_exporter")
      ->option_text("DIR")
      ->group(kReport);

  app.add_option("--lock", f.lock_file,
                 "Take a non-blocking lock on FILE; when another run holds it, do not start "
                 "the command, push <prefix>_skipped 1 and exit 75")
      ->option_text("FILE")
      ->group(kRun);
  app.add_option("--timeout", f.timeout, "Stop the command after DURATION, e.g. 30s, 2h")
      ->option_text("DURATION")
      ->group(kRun);
  app.add_option("--kill-after", f.kill_after,
                 "SIGKILL the group this long after the timeout signal (default: 10s)")
      ->option_text("DURATION")
      ->group(kRun);
  app.add_option("--timeout-signal", f.timeout_signal, "Signal sent on timeout (default: TERM)")
      ->option_text("SIGNAL")
      ->group(kRun);

  app.add_flag("--fail-on-push-error", f.fail_on_push_error,
               "Exit 125 when the report could not be delivered and the command succeeded")
      ->group(kPush);
  app.add_option("--push-timeout", f.push_timeout, "Time limit of one request (default: 10s)")
      ->option_text("DURATION")
      ->group(kPush);
  app.add_option("--connect-timeout", f.connect_timeout, "Time limit to connect (default: 3s)")
      ->option_text("DURATION")
      ->group(kPush);
  app.add_option("--push-deadline", f.push_deadline,
                 "Time limit of all attempts of one delivery, retries included (default: 10s)")
      ->option_text("DURATION")
      ->group(kPush);
  app.add_option("--spool-dir", f.spool_dir,
                 "Keep reports the gateway could not take in DIR; `pushrun flush` or the "
                 "group's next run delivers them")
      ->option_text("DIR")
      ->group(kPush);
  app.add_option("--retries", f.retries, "Extra attempts on transport errors, 408, 429, 5xx")
      ->option_text("N")
      ->group(kPush);
  app.add_option("--header", f.headers, "Extra request header, repeatable")
      ->option_text("'NAME: VALUE'")
      ->allow_extra_args(false)
      ->group(kPush);
  app.add_option("--bearer-token-file", f.bearer_token_file, "Send the token in FILE as bearer")
      ->option_text("FILE")
      ->group(kPush);
  app.add_option("--username,--basic-auth-user", f.username, "Basic auth user name")
      ->option_text("USER")
      ->group(kPush);
  app.add_option("--password-file,--basic-auth-password-file", f.password_file,
                 "Basic auth password, read from FILE")
      ->option_text("FILE")
      ->group(kPush);
  app.add_option("--ca-file", f.ca_file, "CA bundle to verify the gateway")
      ->option_text("FILE")
      ->group(kPush);
  app.add_option("--cert-file", f.cert_file, "TLS client certificate (PEM)")
      ->option_text("FILE")
      ->group(kPush);
  app.add_option("--key-file", f.key_file, "TLS client key (PEM)")
      ->option_text("FILE")
      ->group(kPush);
  app.add_flag("--insecure-skip-verify", f.insecure_skip_verify,
               "Do not verify the gateway's certificate")
      ->group(kPush);
  app.add_option("--proxy", f.proxy, "HTTP proxy (default: http_proxy/https_proxy)")
      ->option_text("URL")
      ->group(kPush);
  app.add_flag("--gzip", f.gzip, "Gzip request bodies (Pushgateway >= 1.5)")->group(kPush);

  app.add_flag("--dry-run", f.dry_run,
               "Run the command but print what would be sent (on stdout) instead of sending")
      ->group(kOutput);
  app.add_flag("-v,--verbose", f.verbosity, "Push diagnostics on stderr (-vv: more)")
      ->group(kOutput);
  app.add_option("--log-format", f.log_format, "pushrun's own messages as text or json")
      ->option_text("text|json")
      ->group(kOutput);
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

// Flags given on the command line, as the most important config layer.
Layer ToLayer(const CLI::App& app, const Flags& f, std::vector<std::string>* warnings) {
  namespace config = pushrun::config;
  Layer layer;
  auto given = [&](const char* name) { return app.count(name) > 0; };
  std::string error;
  if (given("--gateway")) {
    if (!config::CheckGatewayUrl(f.gateway, &error)) Bad("--gateway", error, config::kUrlSyntax);
    layer.gateway_url = f.gateway;
  }
  if (given("--job")) layer.job = f.job;
  for (const std::string& pair : f.grouping) {
    const std::size_t eq = pair.find('=');
    if (eq == std::string::npos) Bad("--grouping", "\"" + pair + "\" has no '='", "KEY=VALUE");
    const std::string name = pair.substr(0, eq);
    if (!config::IsValidGroupingName(name)) {
      Bad("--grouping", "label name \"" + name + "\" is not allowed", config::kLabelNameSyntax);
    }
    layer.grouping[name] = pair.substr(eq + 1);
  }
  if (given("--method")) {
    auto method = config::ParseMethod(f.method, &error);
    if (!method) Bad("--method", error, config::kMethodSyntax);
    layer.method = *method;
  }
  if (f.delete_on_success) layer.delete_on_success = true;
  if (f.push_start) layer.push_start = true;
  if (f.fail_on_push_error) layer.fail_on_push_error = true;
  if (f.insecure_skip_verify) layer.insecure_skip_verify = true;
  if (f.gzip) layer.gzip = true;
  if (given("--timeout")) layer.timeout = Duration("--timeout", f.timeout);
  if (given("--kill-after")) layer.kill_after = Duration("--kill-after", f.kill_after);
  if (given("--timeout-signal")) {
    auto signal = config::ParseSignal(f.timeout_signal, &error);
    if (!signal) Bad("--timeout-signal", error, config::kSignalSyntax);
    layer.timeout_signal = *signal;
  }
  if (given("--sidecar")) layer.sidecar = f.sidecar;
  if (given("--sidecar-max-bytes")) {
    layer.sidecar_max_bytes = Count("--sidecar-max-bytes", f.sidecar_max_bytes, 0, 1LL << 40);
  }
  if (given("--max-series")) layer.max_series = Count("--max-series", f.max_series, 0, 1LL << 40);
  if (given("--textfile-dir")) layer.textfile_dir = f.textfile_dir;
  if (given("--prefix")) layer.prefix = f.prefix;
  if (given("--push-timeout")) layer.push_timeout = Duration("--push-timeout", f.push_timeout);
  if (given("--connect-timeout")) {
    layer.connect_timeout = Duration("--connect-timeout", f.connect_timeout);
  }
  if (given("--push-deadline")) layer.push_deadline = Duration("--push-deadline", f.push_deadline);
  if (given("--retries")) layer.retries = static_cast<int>(Count("--retries", f.retries, 0, 100));
  for (const std::string& header : f.headers) {
    const std::size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      Bad("--header", "\"" + header + "\" is not NAME: VALUE", "'NAME: VALUE'");
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    layer.headers[header.substr(0, colon)] = value;
  }
  if (given("--bearer-token-file")) {
    layer.bearer_token =
        config::ReadSecretFile(f.bearer_token_file, {}, "--bearer-token-file", warnings);
  }
  if (given("--username")) layer.username = f.username;
  if (given("--password-file")) {
    layer.password = config::ReadSecretFile(f.password_file, {}, "--password-file", warnings);
  }
  if (given("--ca-file")) layer.ca_file = f.ca_file;
  if (given("--cert-file")) layer.cert_file = f.cert_file;
  if (given("--key-file")) layer.key_file = f.key_file;
  if (given("--proxy")) layer.proxy = f.proxy;
  if (given("--spool-dir")) layer.spool_dir = f.spool_dir;
  if (given("--lock")) layer.lock_file = f.lock_file;
  return layer;
}

int Main(int argc, char** argv) {
  namespace config = pushrun::config;
  namespace runner = pushrun::runner;

  // Everything after the first "--" is the command, whatever it looks like.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> command;
  if (auto dashes = std::find(args.begin(), args.end(), "--"); dashes != args.end()) {
    command.assign(dashes + 1, args.end());
    args.erase(dashes, args.end());
  }

  CLI::App app{
      "pushrun [OPTIONS] -- COMMAND [ARGS...]\n"
      "Run a command, measure it, and push the report to a Prometheus Pushgateway.",
      "pushrun"};
  app.footer(kFooter);
  app.set_version_flag("--version", "pushrun " PUSHRUN_VERSION);
  app.require_subcommand(0, 1);
  Flags flags;
  AddOptions(app, flags);
  std::string config_file;
  app.add_option("-c,--config", config_file,
                 "Config file (TOML: [gateway], [defaults], [jobs.NAME]); also PUSHRUN_CONFIG. "
                 "With --job NAME, the table [jobs.NAME] applies to the command")
      ->option_text("FILE");

  // Verbs. Options are the top-level ones (fallthrough), so `pushrun delete --job J` works.
  CLI::App* delete_verb =
      app.add_subcommand("delete", "Delete the group given by --job and -g from the gateway")
          ->fallthrough();
  std::vector<std::string> lint_files;
  CLI::App* lint_verb =
      app.add_subcommand("lint",
                         "Check metric files as sidecars are checked (like promtool "
                         "check metrics); exit 0 if good, 1 if not")
          ->fallthrough();
  lint_verb->add_option("FILE", lint_files, "Files to check, - for stdin")->required();
  std::string run_job;
  CLI::App* run_verb =
      app.add_subcommand("run",
                         "Run the command of [jobs.JOB] in the config file; words after "
                         "-- are appended to it")
          ->fallthrough();
  run_verb->add_option("JOB", run_job, "A job of the config file")->required();
  CLI::App* flush_verb =
      app.add_subcommand("flush",
                         "Deliver the reports kept in --spool-dir to --gateway; exit 0 when "
                         "none is left, 1 when some remain")
          ->fallthrough();
  CLI::App* jobs_verb =
      app.add_subcommand("jobs", "List the jobs of the config file")->fallthrough();
  CLI::App* check_verb =
      app.add_subcommand("check",
                         "Validate the config file and print every job's settings "
                         "(secrets as <set>); exit 0 if good, 125 if not")
          ->fallthrough();

  try {
    std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) return app.exit(error);  // --help, --version
    std::cerr << "pushrun: error: " << error.what() << "\n"
              << "Run 'pushrun --help' for usage.\n";
    return runner::kExitPushrunError;
  }

  const auto style = flags.log_format == "json" ? runner::LogStyle::kJson : runner::LogStyle::kText;
  runner::Logger log(std::cerr, style, flags.verbosity);
  if (flags.log_format != "text" && flags.log_format != "json") {
    log.Error("--log-format: \"" + flags.log_format +
              "\" is not a log format (allowed: text, json)");
    return runner::kExitPushrunError;
  }

  config::Settings settings;
  try {
    std::vector<std::string> warnings;
    Layer flag_layer = ToLayer(app, flags, &warnings);
    config::EnvironmentSettings env = config::EnvironmentLayer(config::ProcessEnvironment());
    warnings.insert(warnings.end(), env.warnings.begin(), env.warnings.end());
    std::optional<config::FleetConfig> fleet;
    const std::string config_path =
        app.count("--config") ? config_file : env.config_path.value_or("");
    if (!config_path.empty()) {
      fleet = config::LoadConfig(config_path);
      warnings.insert(warnings.end(), fleet->warnings.begin(), fleet->warnings.end());
    }
    for (const std::string& warning : warnings) log.Warning(warning);
    for (const CLI::App* verb : {run_verb, jobs_verb, check_verb}) {
      if (verb->parsed() && !fleet) {
        Bad(verb->get_name(), "needs a config file", "-c FILE, --config FILE, PUSHRUN_CONFIG");
      }
    }
    if (jobs_verb->parsed()) {
      for (const std::string& name : config::JobNames(*fleet)) std::cout << name << "\n";
      return runner::kExitOk;
    }
    if (check_verb->parsed()) {
      std::cout << config::DescribeFleet(*fleet, flag_layer, env.layer);
      return runner::kExitOk;
    }
    if (run_verb->parsed()) {
      settings = config::ResolveRun(flag_layer, env.layer, *fleet, run_job, command);
    } else {
      if (!command.empty()) flag_layer.command = command;
      settings = config::ResolveAdHoc(flag_layer, env.layer, fleet ? &*fleet : nullptr);
    }
    // -vv: what the layers resolved to; secrets show as "<set>".
    if (log.Enabled(runner::LogLevel::kDebug)) {
      log.Debug("settings:\n" + config::DescribeSettings(settings));
    }
  } catch (const ConfigError& error) {
    log.Error(error.what());
    return runner::kExitPushrunError;
  }

  const runner::RunIo io{.dry_run = flags.dry_run, .out = &std::cout, .err = &std::cerr};
  if (delete_verb->parsed()) return runner::RunDelete(settings, log, io);
  if (flush_verb->parsed()) return runner::RunFlush(settings, log, io);
  if (lint_verb->parsed()) {
    if (!command.empty()) {
      log.Error("lint takes no command after --");
      return runner::kExitPushrunError;
    }
    return runner::RunLint(lint_files, settings, log, io);
  }
  return runner::RunWrapped(settings, log, io);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "pushrun: error: " << error.what() << "\n";
    return pushrun::runner::kExitPushrunError;
  }
}
