#include "pushrun/runner/command_line.h"

#include <algorithm>
#include <limits>

namespace pushrun::runner {
namespace {

using G = OptionGroup;
using K = OptionKind;

// The single source of pushrun's options: parsing and --help both read it.
constexpr OptionSpec kOptions[] = {
    {Option::kConfig, "config", "", 'c', "FILE", G::kGeneral, K::kValue,
     "Config file (TOML: [gateway], [defaults], [jobs.NAME]); also PUSHRUN_CONFIG. With --job "
     "NAME, the table [jobs.NAME] applies to the command"},
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

    {Option::kGateway, "gateway", "", '\0', "URL", G::kReport, K::kValue,
     "Pushgateway base URL, http(s)://host:port[/prefix]"},
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
     "Without --gateway: write DIR/<job>.prom atomically for node_exporter"},

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
    "Run a command, measure it, and push the report to a Prometheus Pushgateway.\n";

constexpr std::string_view kFooter =
    R"(Everything after -- is the command and its arguments, even words that look like
pushrun's own flags. pushrun passes stdin, stdout, stderr, every other inherited file
descriptor and the environment through, less PUSHRUN_* variables and the variables it read
credentials from (unless --keep-env), plus PUSHRUN_METRICS_FILE: a private file the command
may write extra metrics to (text format 0.0.4); they are checked strictly and pushed with
the report. Signals pushrun inherited ignored (nohup's HUP) stay ignored for the command.

Reports go to --gateway (POST by default; PUT with --method put; DELETE with
--delete-on-success after a success), else to --textfile-dir/<job>.prom, else to stderr.
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

// Edit distance, for "did you mean"; only computed for a word that is already an error.
std::size_t Distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The known name closest to `word`, if it is within `max_distance` edits of it.
std::string_view Closest(std::string_view word, std::span<const std::string_view> names,
                         std::size_t max_distance) {
  std::string_view best;
  std::size_t best_distance = max_distance + 1;
  for (std::string_view name : names) {
    const std::size_t d = Distance(word, name);
    if (d < best_distance) {
      best = name;
      best_distance = d;
    }
  }
  return best;
}

std::string SuggestOption(std::string_view name) {
  std::vector<std::string_view> names;
  for (const OptionSpec& spec : kOptions) {
    names.push_back(spec.long_name);
    if (!spec.alias.empty()) names.push_back(spec.alias);
  }
  const std::string_view best = Closest(name, names, std::max<std::size_t>(2, name.size() / 3));
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

const OptionSpec* FindLong(std::string_view name) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.long_name == name || (!spec.alias.empty() && spec.alias == name)) return &spec;
  }
  return nullptr;
}

const OptionSpec* FindShort(char name) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.short_name != '\0' && spec.short_name == name) return &spec;
  }
  return nullptr;
}

// "-g, --grouping KEY=VALUE": the left column of --help.
std::string Tag(const OptionSpec& spec) {
  std::string tag;
  if (spec.short_name != '\0') {
    tag += '-';
    tag += spec.short_name;
    tag += ", ";
  }
  tag += "--";
  tag += spec.long_name;
  if (!spec.alias.empty()) {
    tag += ", --";
    tag += spec.alias;
  }
  if (!spec.value_name.empty()) {
    tag += ' ';
    tag += spec.value_name;
  }
  return tag;
}

constexpr std::size_t kHelpColumn = 30;
constexpr std::size_t kHelpWidth = 80;

// "  tag      text", the text wrapped at word boundaries into the right column; a tag too wide
// for the left column gets a line of its own.
void AppendEntry(std::string& out, std::string_view tag, std::string_view text) {
  out += "  ";
  out += tag;
  if (2 + tag.size() + 2 <= kHelpColumn) {
    out.append(kHelpColumn - 2 - tag.size(), ' ');
  } else {
    out += '\n';
    out.append(kHelpColumn, ' ');
  }
  const std::size_t width = kHelpWidth - kHelpColumn;
  while (text.size() > width) {
    std::size_t cut = text.rfind(' ', width);
    if (cut == std::string_view::npos || cut == 0) cut = text.find(' ', width);
    if (cut == std::string_view::npos) break;
    out += text.substr(0, cut);
    out += '\n';
    out.append(kHelpColumn, ' ');
    text.remove_prefix(cut + 1);
  }
  out += text;
  out += '\n';
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
  const std::vector<std::string_view>& values = values_[Index(option)];
  return values.empty() ? std::string_view() : values.back();
}

// Walks the words once; each step consumes one word (two for "--opt VALUE").
class CommandLineParser {
 public:
  explicit CommandLineParser(std::span<const char* const> words) : words_(words) {}

  CommandLineResult Parse() {
    std::size_t end = 0;
    while (end < words_.size() && std::string_view(words_[end]) != "--") ++end;
    if (end < words_.size()) result_.line.command_.assign(words_.begin() + end + 1, words_.end());

    for (next_ = 0; next_ < end && result_.ok();) {
      const std::string_view word = words_[next_++];
      if (word.size() > 2 && word.starts_with("--")) {
        Long(word.substr(2), end);
      } else if (word.size() > 1 && word[0] == '-') {
        Shorts(word, end);
      } else {
        Positional(word);
      }
      if (stopped_) return std::move(result_);
    }
    if (result_.ok()) CheckOperands();
    return std::move(result_);
  }

 private:
  void Fail(std::string message) {
    if (result_.ok()) result_.error = std::move(message);
  }

  // The value of an option given as a separate word. A word that looks like an option is not
  // taken: `--job --gateway URL` is a forgotten value, not a job named "--gateway".
  bool NextValue(std::string_view shown, const OptionSpec& spec, std::size_t end,
                 std::string_view* value) {
    if (next_ < end) {
      const std::string_view word = words_[next_];
      if (word.size() <= 1 || word[0] != '-') {
        ++next_;
        *value = word;
        return true;
      }
    }
    // Only a failure pays for the message.
    std::string message = std::string(shown) + " needs a value: " + std::string(shown) + " " +
                          std::string(spec.value_name);
    if (next_ < end) {
      const std::string_view word = words_[next_];
      message += " (" + Quoted(word) + " looks like an option; if it is the value, write --" +
                 std::string(spec.long_name) + "=" + std::string(word) + ")";
    }
    Fail(std::move(message));
    return false;
  }

  void Record(const OptionSpec& spec, std::string_view value) {
    const std::size_t i = static_cast<std::size_t>(spec.option);
    ++result_.line.counts_[i];
    if (spec.kind == K::kValue) {
      result_.line.values_[i].assign(1, value);
    } else if (spec.kind == K::kRepeatableValue) {
      result_.line.values_[i].push_back(value);
    }
    if (spec.option == Option::kHelp || spec.option == Option::kVersion) stopped_ = true;
  }

  void Long(std::string_view body, std::size_t end) {
    const std::size_t eq = body.find('=');
    const std::string_view name = body.substr(0, eq);
    const OptionSpec* spec = FindLong(name);
    const std::string shown = "--" + std::string(name);
    if (spec == nullptr) {
      Fail("unknown option " + shown + SuggestOption(name));
      return;
    }
    if (!TakesValue(*spec)) {
      if (eq != std::string_view::npos) {
        Fail(shown + " takes no value (given " + Quoted(body.substr(eq + 1)) + ")");
        return;
      }
      Record(*spec, {});
      return;
    }
    std::string_view value;
    if (eq != std::string_view::npos) {
      value = body.substr(eq + 1);
    } else if (!NextValue(shown, *spec, end, &value)) {
      return;
    }
    Record(*spec, value);
  }

  // "-v", "-vv", "-c FILE", "-cFILE", "-gk=v": flags may be bundled; a short option that takes
  // a value takes the rest of the word, or else the next word.
  void Shorts(std::string_view word, std::size_t end) {
    for (std::size_t i = 1; i < word.size(); ++i) {
      const std::string shown = std::string("-") + word[i];
      const OptionSpec* spec = FindShort(word[i]);
      if (spec == nullptr) {
        Fail("unknown option " + shown + (word.size() > 2 ? " (in " + Quoted(word) + ")" : ""));
        return;
      }
      if (!TakesValue(*spec)) {
        if (i + 1 < word.size() && word[i + 1] == '=') {
          Fail(shown + " takes no value (given " + Quoted(word.substr(i + 2)) + ")");
          return;
        }
        Record(*spec, {});
        if (stopped_) return;
        continue;
      }
      std::string_view value = word.substr(i + 1);
      if (value.empty() && !NextValue(shown, *spec, end, &value)) return;
      Record(*spec, value);
      return;
    }
  }

  void Positional(std::string_view word) {
    CommandLine& line = result_.line;
    if (line.verb_ == Verb::kNone) {
      if (const VerbSpec* verb = FindVerb(word)) {
        line.verb_ = verb->verb;
        return;
      }
      std::vector<std::string_view> names;
      for (const VerbSpec& verb : kVerbs) names.push_back(verb.name);
      // Stricter than for options: "rm" is a forgotten --, not a misspelt "run".
      const std::string_view best = Closest(word, names, word.size() / 3);
      Fail("unexpected argument " + Quoted(word) +
           (best.empty() ? std::string() : " (did you mean the verb " + std::string(best) + "?)") +
           "; the command goes after --: pushrun [OPTIONS] -- COMMAND [ARGS...]");
      return;
    }
    const VerbSpec& verb = SpecOf(line.verb_);
    if (line.operands_.size() < verb.max_operands) {
      line.operands_.push_back(word);
      return;
    }
    if (FindVerb(word) != nullptr) {
      Fail("only one verb at a time: " + std::string(verb.name) + " and " + std::string(word));
    } else if (verb.max_operands == 0) {
      Fail(std::string(verb.name) + " takes no arguments (given " + Quoted(word) +
           "); a command goes after --");
    } else {
      Fail(std::string(verb.name) + " takes one " + std::string(verb.operand_name) + " (given " +
           Quoted(line.operands_.front()) + " and " + Quoted(word) + ")");
    }
  }

  void CheckOperands() {
    const CommandLine& line = result_.line;
    if (line.verb_ == Verb::kNone) return;
    const VerbSpec& verb = SpecOf(line.verb_);
    if (line.operands_.size() >= verb.min_operands) return;
    if (verb.verb == Verb::kLint) {
      Fail("lint needs at least one FILE (\"-\" for stdin): pushrun lint FILE...");
    } else {
      Fail(std::string(verb.name) + " needs a " + std::string(verb.operand_name) + ": pushrun " +
           std::string(verb.name) + " " + std::string(verb.operand_name));
    }
  }

  std::span<const char* const> words_;
  std::size_t next_ = 0;
  bool stopped_ = false;
  CommandLineResult result_;
};

CommandLineResult ParseCommandLine(std::span<const char* const> args) {
  return CommandLineParser(args).Parse();
}

std::string HelpText() {
  std::string out(kUsage);
  for (OptionGroup group : {G::kRun, G::kReport, G::kPush, G::kOutput, G::kGeneral}) {
    out += '\n';
    out += GroupName(group);
    out += ":\n";
    for (const OptionSpec& spec : kOptions) {
      if (spec.group == group) AppendEntry(out, Tag(spec), spec.help);
    }
  }
  out += "\nSubcommands:\n";
  for (const VerbSpec& verb : kVerbs) AppendEntry(out, verb.name, verb.help);
  out += '\n';
  out += kFooter;
  return out;
}

}  // namespace pushrun::runner
