#include "pushrun/runner/command_line.h"

#include <algorithm>
#include <array>
#include <limits>
#include <memory>

#include "cli11.h"
#include "pushrun/config/suggest.h"

namespace pushrun::runner {
namespace {

using G = OptionGroup;
using K = OptionKind;

// The single source of pushrun's options: parsing and --help both read it.
constexpr OptionSpec kOptions[] = {
    {Option::kConfig, "config", "", 'c', "FILE", G::kGeneral, K::kValue,
     "Config file (TOML: [gateway], [[remote_write]], [defaults], [jobs.NAME]); also "
     "PUSHRUN_CONFIG. With --job NAME, the table [jobs.NAME] applies to the command"},
    {Option::kHelp, "help", "", 'h', "", G::kGeneral, K::kFlag, "Print this help message and exit"},
    {Option::kVersion, "version", "", '\0', "", G::kGeneral, K::kFlag,
     "Display program version information and exit"},

    {Option::kLock, "lock", "", '\0', "FILE", G::kRun, K::kValue,
     "Take a non-blocking lock on FILE; when another run holds it, do not start the command, "
     "push <prefix>_skipped 1 and exit 75"},
    {Option::kTimeout, "timeout", "", '\0', "DURATION", G::kRun, K::kValue,
     "Stop the command after DURATION, e.g. 30s, 2h"},
    {Option::kKillAfter, "kill-after", "", '\0', "DURATION", G::kRun, K::kValue,
     "SIGKILL the group this long after the timeout signal (default: 10s)"},
    {Option::kTimeoutSignal, "timeout-signal", "", '\0', "SIGNAL", G::kRun, K::kValue,
     "Signal sent on timeout (default: TERM)"},
    {Option::kKeepEnv, "keep-env", "", '\0', "", G::kRun, K::kFlag,
     "Pass the command every variable pushrun got, PUSHRUN_* and credential ones included"},

    {Option::kGateway, "gateway", "", '\0', "URL", G::kReport, K::kRepeatableValue,
     "Pushgateway base URL, http(s)://host:port[/prefix]; repeatable: the report goes to each"},
    {Option::kRemoteWrite, "remote-write", "", '\0', "URL", G::kReport, K::kRepeatableValue,
     "Prometheus remote-write receiver, e.g. http://host:9090/api/v1/write; repeatable. Its "
     "credentials, headers and TLS only from a [[remote_write]] table of the config file"},
    {Option::kJob, "job", "", '\0', "NAME", G::kReport, K::kValue,
     "Job name (default: the command's base name)"},
    {Option::kGrouping, "grouping", "", 'g', "KEY=VALUE", G::kReport, K::kRepeatableValue,
     "Grouping label, repeatable"},
    {Option::kMethod, "method", "", '\0', "post|put", G::kReport, K::kValue,
     "post (default: replace the families sent) or put (replace the whole group)"},
    {Option::kDeleteOnSuccess, "delete-on-success", "", '\0', "", G::kReport, K::kFlag,
     "Delete the group instead of pushing after a successful run"},
    {Option::kPushStart, "push-start", "", '\0', "", G::kReport, K::kFlag,
     "Also push a \"running\" report once the command has started"},
    {Option::kHeartbeat, "heartbeat", "", '\0', "DURATION", G::kReport, K::kValue,
     "While the command runs, push a running report (progress from the sidecar, live CPU and "
     "memory) every DURATION, at least 100ms (default: 0, off)"},
    {Option::kPrefix, "prefix", "", '\0', "PREFIX", G::kReport, K::kValue,
     "Metric name prefix (default: pushrun)"},
    {Option::kSidecar, "sidecar", "", '\0', "PATH", G::kReport, K::kValue,
     "Read extra metrics from PATH instead of a private PUSHRUN_METRICS_FILE (neither created "
     "nor removed)"},
    {Option::kSidecarMaxBytes, "sidecar-max-bytes", "", '\0', "N", G::kReport, K::kValue,
     "Largest sidecar accepted (default: 16 MiB)"},
    {Option::kMaxSeries, "max-series", "", '\0', "N", G::kReport, K::kValue,
     "Most sidecar series accepted (default: 100000)"},
    {Option::kTextfileDir, "textfile-dir", "", '\0', "DIR", G::kReport, K::kValue,
     "Without --gateway or --remote-write: write DIR/<job>.prom atomically for node_exporter"},

    {Option::kFailOnPushError, "fail-on-push-error", "", '\0', "", G::kPush, K::kFlag,
     "Exit 125 when the report could not be delivered and the command succeeded"},
    {Option::kPushTimeout, "push-timeout", "", '\0', "DURATION", G::kPush, K::kValue,
     "Time limit of one request (default: 10s)"},
    {Option::kConnectTimeout, "connect-timeout", "", '\0', "DURATION", G::kPush, K::kValue,
     "Time limit to connect (default: 3s)"},
    {Option::kPushDeadline, "push-deadline", "", '\0', "DURATION", G::kPush, K::kValue,
     "Time limit of all attempts of one delivery, retries included (default: 10s)"},
    {Option::kSpoolDir, "spool-dir", "", '\0', "DIR", G::kPush, K::kValue,
     "Keep reports the gateway could not take in DIR; `pushrun flush` or the group's next run "
     "delivers them"},
    {Option::kRetries, "retries", "", '\0', "N", G::kPush, K::kValue,
     "Extra attempts on transport errors, 408, 429, 5xx"},
    {Option::kHeader, "header", "", '\0', "'NAME: VALUE'", G::kPush, K::kRepeatableValue,
     "Extra request header, repeatable"},
    {Option::kBearerTokenFile, "bearer-token-file", "", '\0', "FILE", G::kPush, K::kValue,
     "Send the token in FILE as bearer"},
    {Option::kUsername, "username", "basic-auth-user", '\0', "USER", G::kPush, K::kValue,
     "Basic auth user name"},
    {Option::kPasswordFile, "password-file", "basic-auth-password-file", '\0', "FILE", G::kPush,
     K::kValue, "Basic auth password, read from FILE"},
    {Option::kCaFile, "ca-file", "", '\0', "FILE", G::kPush, K::kValue,
     "CA bundle to verify the gateway"},
    {Option::kCertFile, "cert-file", "", '\0', "FILE", G::kPush, K::kValue,
     "TLS client certificate (PEM)"},
    {Option::kKeyFile, "key-file", "", '\0', "FILE", G::kPush, K::kValue, "TLS client key (PEM)"},
    {Option::kInsecureSkipVerify, "insecure-skip-verify", "", '\0', "", G::kPush, K::kFlag,
     "Do not verify the gateway's certificate"},
    {Option::kProxy, "proxy", "", '\0', "URL", G::kPush, K::kValue,
     "HTTP proxy (default: http_proxy/https_proxy)"},
    {Option::kGzip, "gzip", "", '\0', "", G::kPush, K::kFlag,
     "Gzip request bodies (Pushgateway >= 1.5)"},

    {Option::kDryRun, "dry-run", "", '\0', "", G::kOutput, K::kFlag,
     "Run the command but print what would be sent (on stdout) instead of sending"},
    {Option::kVerbose, "verbose", "", 'v', "", G::kOutput, K::kCountedFlag,
     "Push diagnostics on stderr (-vv: more)"},
    {Option::kLogFormat, "log-format", "", '\0', "text|json", G::kOutput, K::kValue,
     "pushrun's own messages as text or json"},
};

constexpr bool TableIsInEnumOrder() {
  for (std::size_t i = 0; i < std::size(kOptions); ++i) {
    if (static_cast<std::size_t>(kOptions[i].option) != i) return false;
  }
  return std::size(kOptions) == kOptionCount;
}
static_assert(TableIsInEnumOrder(), "kOptions must list every Option, in enum order");

constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();

constexpr VerbSpec kVerbs[] = {
    {Verb::kDelete, "delete", 0, 0, "", "Delete the group given by --job and -g from the gateway"},
    {Verb::kLint, "lint", 1, kUnbounded, "FILE",
     "Check metric files as sidecars are checked (like promtool check metrics); exit 0 if good, "
     "1 if not"},
    {Verb::kRun, "run", 1, 1, "JOB",
     "Run the command of [jobs.JOB] in the config file; words after -- are appended to it"},
    {Verb::kFlush, "flush", 0, 0, "",
     "Deliver the reports kept in --spool-dir to --gateway; a report the gateway refuses for "
     "good is moved to <spool-dir>/rejected/; exit 0 when nothing deliverable is left, 1 when "
     "some remain"},
    {Verb::kJobs, "jobs", 0, 0, "", "List the jobs of the config file"},
    {Verb::kCheck, "check", 0, 0, "",
     "Validate the config file and print every job's settings (secrets as <set>); exit 0 if "
     "good, 125 if not"},
};

constexpr std::string_view kUsage =
    "Usage: pushrun [OPTIONS] -- COMMAND [ARGS...]\n"
    "       pushrun [OPTIONS] delete | lint FILE... | flush\n"
    "       pushrun -c FILE [OPTIONS] run JOB [-- ARGS...] | jobs | check\n"
    "Run a command, measure it, and push the report to Prometheus Pushgateways or\n"
    "remote-write receivers.\n";

constexpr std::string_view kFooter =
    R"(Everything after -- is the command and its arguments, even words that look like
pushrun's own flags. pushrun passes stdin, stdout, stderr, every other inherited file
descriptor and the environment through, less PUSHRUN_* variables and the variables it read
credentials from (unless --keep-env), plus PUSHRUN_METRICS_FILE: a private file the command
may write extra metrics to (text format 0.0.4); they are checked strictly and pushed with
the report. Signals pushrun inherited ignored (nohup's HUP) stay ignored for the command.

Reports go to every --gateway (POST by default; PUT with --method put; DELETE with
--delete-on-success after a success) and every --remote-write receiver; with neither, to
--textfile-dir/<job>.prom, else to stderr. PUSHRUN_GATEWAY and PUSHRUN_REMOTE_WRITE take
several URLs separated by spaces.
--dry-run prints "METHOD URL", a blank line and the body on stdout instead of sending.

Exit status: the command's; 128+N if it died of signal N; 124 on --timeout; 126 command
not executable; 127 command not found; 125 pushrun's own failure (usage, configuration;
a failed push only with --fail-on-push-error, and only when the command succeeded);
75 the --lock file was held by another run (the command was not started).

Settings flags also have PUSHRUN_* environment variables (flags win), e.g. PUSHRUN_GATEWAY.
)";

bool TakesValue(const OptionSpec& spec) {
  return spec.kind == K::kValue || spec.kind == K::kRepeatableValue;
}

std::string SuggestOption(std::string_view name) {
  std::vector<std::string_view> names;
  for (const OptionSpec& spec : kOptions) {
    names.push_back(spec.long_name);
    if (!spec.alias.empty()) names.push_back(spec.alias);
  }
  const std::string_view best =
      config::Closest(name, names, std::max<std::size_t>(2, name.size() / 3));
  return best.empty() ? std::string() : " (did you mean --" + std::string(best) + "?)";
}

std::string Quoted(std::string_view word) { return "\"" + std::string(word) + "\""; }

const VerbSpec* FindVerb(std::string_view name) {
  for (const VerbSpec& verb : kVerbs) {
    if (verb.name == name) return &verb;
  }
  return nullptr;
}

const VerbSpec& SpecOf(Verb verb) {
  for (const VerbSpec& spec : kVerbs) {
    if (spec.verb == verb) return spec;
  }
  return kVerbs[0];  // not reached: every Verb but kNone is in kVerbs
}

constexpr std::size_t kHelpColumn = 30;
constexpr std::size_t kHelpWidth = 80;

// CLI11 2.1.2 does not wrap help texts; it indents after each '\n'. So the texts are wrapped
// here, at word boundaries, to the right column.
std::string Wrapped(std::string_view text) {
  const std::size_t width = kHelpWidth - kHelpColumn;
  std::string out;
  while (text.size() > width) {
    std::size_t cut = text.rfind(' ', width);
    if (cut == std::string_view::npos || cut == 0) cut = text.find(' ', width);
    if (cut == std::string_view::npos) break;
    out += text.substr(0, cut);
    out += '\n';
    text.remove_prefix(cut + 1);
  }
  out += text;
  return out;
}

// CLI11 stores what a value option received; a value option that received nothing (`--job`
// at the end, or followed by another option) gets this instead, so that we can name it.
// CLI11 cannot tell "--job=" from "--job" either: ParseCommandLine rewrites "--job=" as
// "--job=" kEmptyValue. Neither can come from a real argument (a C string has no NUL).
constexpr std::string_view kNoValue{"\0no value", 9};
constexpr std::string_view kEmptyValue{"\0empty", 6};

// Our usage lines instead of CLI11's "Usage: pushrun [OPTIONS] [SUBCOMMAND]", and each value
// option's value name alone (CLI11 would add its "=default" and " ...").
class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string) const override {
    return std::string(kUsage);
  }
  std::string make_option_opts(const CLI::Option* option) const override {
    const std::string& text = option->get_option_text();
    return text.empty() ? std::string() : " " + text;
  }
};

// The CLI11 app of the table: every option on the top level, each verb a subcommand through
// which the options fall, so they go before and after it.
class App {
 public:
  App() : app_("", "pushrun") {
    app_.set_help_flag();  // ours is a plain flag: --help wins over any other mistake
    app_.allow_extras();   // unknown words are kept, in order, for our own messages
    app_.require_subcommand(0, 1);
    app_.formatter(std::make_shared<HelpFormatter>());
    app_.get_formatter()->column_width(kHelpColumn);
    app_.footer(std::string(kFooter));
    for (OptionGroup group : {G::kRun, G::kReport, G::kPush, G::kOutput, G::kGeneral}) {
      for (const OptionSpec& spec : kOptions) {
        if (spec.group == group) Add(spec);
      }
    }
    for (const VerbSpec& verb : kVerbs) {
      CLI::App* sub = app_.add_subcommand(std::string(verb.name), Wrapped(verb.help));
      sub->fallthrough();
      sub->allow_extras();
      sub->set_help_flag();
      if (verb.max_operands > 0) {
        CLI::Option* operand = sub->add_option(std::string(verb.operand_name));
        // A required operand is taken even when it is named like a verb (`run check`).
        operand->required();
        if (verb.max_operands > 1) operand->expected(1, CLI::detail::expected_max_vector_size);
        if (verb.max_operands > 1) operand->allow_extra_args();
      }
      verbs_[static_cast<std::size_t>(verb.verb)] = sub;
    }
  }

  CLI::App& app() { return app_; }
  CLI::Option* option(Option option) { return options_[static_cast<std::size_t>(option)]; }
  CLI::App* verb(Verb verb) { return verbs_[static_cast<std::size_t>(verb)]; }

 private:
  void Add(const OptionSpec& spec) {
    std::string names;
    if (spec.short_name != '\0') names += std::string("-") + spec.short_name + ",";
    names += "--" + std::string(spec.long_name);
    if (!spec.alias.empty()) names += ",--" + std::string(spec.alias);
    const std::string help = Wrapped(spec.help);
    CLI::Option* option = nullptr;
    if (TakesValue(spec)) {
      option = app_.add_option(names, help);
      // At most one word each time; none when the next word is an option, so that
      // `--job --gateway URL` is a missing value, not a job named "--gateway".
      option->expected(0, 1);
      option->default_str(std::string(kNoValue));
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      option->option_text(std::string(spec.value_name));
    } else {
      option = app_.add_flag(names, help);
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    }
    option->group(std::string(GroupName(spec.group)));
    options_[static_cast<std::size_t>(spec.option)] = option;
  }

  CLI::App app_;
  std::array<CLI::Option*, kOptionCount> options_{};
  std::array<CLI::App*, 7> verbs_{};
};

// The word that gave `spec` no value: "--job", "-g" or a bundle ending in the short name,
// followed by an option or nothing. Only looked for once the parse has failed.
std::string MissingValueMessage(const OptionSpec& spec, std::span<const std::string> words) {
  std::string shown = "--" + std::string(spec.long_name);
  std::string next;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    const bool is_long = word == "--" + std::string(spec.long_name) ||
                         (!spec.alias.empty() && word == "--" + std::string(spec.alias));
    const bool is_short = spec.short_name != '\0' && word.size() >= 2 && word[0] == '-' &&
                          word[1] != '-' && word.back() == spec.short_name;
    if (!is_long && !is_short) continue;
    if (i + 1 < words.size() && !(words[i + 1].size() > 1 && words[i + 1][0] == '-')) continue;
    shown = is_long ? word : std::string("-") + spec.short_name;
    if (i + 1 < words.size()) next = words[i + 1];
    break;
  }
  std::string message = shown + " needs a value: " + shown + " " + std::string(spec.value_name);
  if (!next.empty()) {
    message += " (" + Quoted(next) + " looks like an option; if it is the value, write --" +
               std::string(spec.long_name) + "=" + next + ")";
  }
  return message;
}

// The first word CLI11 did not take, explained.
std::string UnexpectedWordMessage(std::string_view word, const CommandLine& line) {
  if (word.starts_with("--")) {
    const std::string_view name =
        word.substr(2, word.find('=') - std::min<std::size_t>(word.find('='), 2));
    return "unknown option --" + std::string(name) + SuggestOption(name);
  }
  if (word.size() > 1 && word[0] == '-') {
    if (word[1] == '=') return "a short flag takes no value (given " + Quoted(word.substr(2)) + ")";
    return "unknown option " + std::string(word);
  }
  if (line.verb() == Verb::kNone) {
    std::vector<std::string_view> names;
    for (const VerbSpec& verb : kVerbs) names.push_back(verb.name);
    // Stricter than for options: "rm" is a forgotten --, not a misspelt "run".
    const std::string_view best = config::Closest(word, names, word.size() / 3);
    return "unexpected argument " + Quoted(word) +
           (best.empty() ? std::string() : " (did you mean the verb " + std::string(best) + "?)") +
           "; the command goes after --: pushrun [OPTIONS] -- COMMAND [ARGS...]";
  }
  const VerbSpec& verb = SpecOf(line.verb());
  if (FindVerb(word) != nullptr) {
    return "only one verb at a time: " + std::string(verb.name) + " and " + std::string(word);
  }
  if (verb.max_operands == 0) {
    return std::string(verb.name) + " takes no arguments (given " + Quoted(word) +
           "); a command goes after --";
  }
  return std::string(verb.name) + " takes one " + std::string(verb.operand_name) + " (given " +
         Quoted(line.operands().empty() ? std::string_view() : line.operands().front()) + " and " +
         Quoted(word) + ")";
}

std::string MissingOperandMessage(Verb which) {
  const VerbSpec& verb = SpecOf(which);
  if (verb.verb == Verb::kLint) {
    return "lint needs at least one FILE (\"-\" for stdin): pushrun lint FILE...";
  }
  return std::string(verb.name) + " needs a " + std::string(verb.operand_name) + ": pushrun " +
         std::string(verb.name) + " " + std::string(verb.operand_name);
}

}  // namespace

std::span<const OptionSpec> OptionTable() { return kOptions; }

const OptionSpec& SpecOf(Option option) { return kOptions[static_cast<std::size_t>(option)]; }

std::string_view GroupName(OptionGroup group) {
  switch (group) {
    case G::kRun:
      return "Run";
    case G::kReport:
      return "Report";
    case G::kPush:
      return "Push";
    case G::kOutput:
      return "Output";
    case G::kGeneral:
      return "General";
  }
  return "General";
}

std::span<const VerbSpec> VerbTable() { return kVerbs; }

std::string_view VerbName(Verb verb) { return verb == Verb::kNone ? "" : SpecOf(verb).name; }

std::string_view CommandLine::Value(Option option) const {
  const std::vector<std::string>& values = values_[Index(option)];
  return values.empty() ? std::string_view() : std::string_view(values.back());
}

// Copies what CLI11 collected into a CommandLine and explains the first mistake.
struct CommandLineAccess {
  static CommandLineResult Parse(std::span<const char* const> args) {
    CommandLineResult result;
    CommandLine& line = result.line;
    // CLI11 would read a "--" itself and give the words after it to the verb's operand: the
    // command is split off first, untouched.
    std::size_t end = 0;
    while (end < args.size() && std::string_view(args[end]) != "--") ++end;
    if (end < args.size()) line.command_.assign(args.begin() + end + 1, args.end());
    std::vector<std::string> words(args.begin(), args.begin() + end);

    // CLI11 takes the words in reverse order; "--job=" keeps its empty value (see kEmptyValue).
    std::vector<std::string> reversed;
    reversed.reserve(words.size());
    for (auto it = words.rbegin(); it != words.rend(); ++it) {
      const bool empty_value = it->size() > 3 && it->starts_with("--") && it->back() == '=';
      reversed.push_back(empty_value ? *it + std::string(kEmptyValue) : *it);
    }

    App app;
    std::string error;
    try {
      app.app().parse(reversed);
    } catch (const CLI::RequiredError&) {
      error = "operand";  // a verb without its operand; the message is made below
    } catch (const CLI::ParseError& failure) {
      error = failure.what();
    }

    for (const VerbSpec& verb : kVerbs) {
      if (app.verb(verb.verb)->parsed()) line.verb_ = verb.verb;
    }
    if (line.verb_ != Verb::kNone && SpecOf(line.verb_).max_operands > 0) {
      for (const std::string& operand :
           app.verb(line.verb_)
               ->get_option(std::string(SpecOf(line.verb_).operand_name))
               ->results()) {
        line.operands_.push_back(operand);
      }
    }
    std::string first_mistake;
    for (const OptionSpec& spec : kOptions) {
      CLI::Option* option = app.option(spec.option);
      const std::size_t i = static_cast<std::size_t>(spec.option);
      if (!TakesValue(spec)) {
        line.counts_[i] = static_cast<int>(option->count());
        for (const std::string& value : option->results()) {
          // CLI11 accepts "--dry-run=yes"; a flag takes no value.
          if (value != "true" && first_mistake.empty()) {
            first_mistake = "--" + std::string(spec.long_name) + " takes no value (given " +
                            Quoted(value) + ")";
          }
        }
        continue;
      }
      for (const std::string& value : option->results()) {
        if (value == kNoValue) {
          if (first_mistake.empty()) first_mistake = MissingValueMessage(spec, words);
          continue;
        }
        line.values_[i].push_back(value == kEmptyValue ? std::string() : value);
        if (spec.kind == K::kValue)
          line.values_[i].erase(line.values_[i].begin(), line.values_[i].end() - 1);
      }
      line.counts_[i] = static_cast<int>(option->results().size());
    }
    if (line.Given(Option::kHelp) || line.Given(Option::kVersion)) return result;

    const std::vector<std::string> unexpected = app.app().remaining(true);
    if (!unexpected.empty()) {
      result.error = UnexpectedWordMessage(unexpected.front(), line);
    } else if (!first_mistake.empty()) {
      result.error = first_mistake;
    } else if (error == "operand" || (line.verb_ != Verb::kNone &&
                                      line.operands_.size() < SpecOf(line.verb_).min_operands)) {
      result.error = MissingOperandMessage(line.verb_);
    } else if (!error.empty()) {
      result.error = error;
    }
    return result;
  }
};

CommandLineResult ParseCommandLine(std::span<const char* const> args) {
  return CommandLineAccess::Parse(args);
}

std::string HelpText() {
  App app;
  return app.app().help();
}

}  // namespace pushrun::runner
