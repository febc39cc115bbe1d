#pragma once
// pushrun's command line: one static table of options is the single source of the CLI11 app
// that parses the words and writes --help. Parsing only sorts the words (which option, which
// verb, which values, the command after --); what a value means (a duration, a URL) is checked
// afterwards by config's one checker, the same one the environment and the config file go
// through.
//
// CLI11 is an implementation detail of command_line.cc: nothing here mentions it, so no other
// file of the project compiles it. Around it, this file keeps what CLI11 2.1.2 does not do:
// the split at the first "--", "did you mean", our own messages, and one error type (exit 125).
// Thread-safety: the table is immutable; a CommandLine is a plain value.

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pushrun::runner {

// Every option pushrun takes; OptionTable()[i] describes Option(i).
enum class Option {
  // General
  kConfig,
  kHelp,
  kVersion,
  // Run
  kLock,
  kTimeout,
  kKillAfter,
  kTimeoutSignal,
  kKeepEnv,
  // Report
  kGateway,
  kRemoteWrite,
  kJob,
  kGrouping,
  kMethod,
  kDeleteOnSuccess,
  kPushStart,
  kHeartbeat,
  kPrefix,
  kSidecar,
  kSidecarMaxBytes,
  kMaxSeries,
  kTextfileDir,
  // Push
  kFailOnPushError,
  kPushTimeout,
  kConnectTimeout,
  kPushDeadline,
  kSpoolDir,
  kRetries,
  kHeader,
  kBearerTokenFile,
  kUsername,
  kPasswordFile,
  kCaFile,
  kCertFile,
  kKeyFile,
  kInsecureSkipVerify,
  kProxy,
  kGzip,
  // Output
  kDryRun,
  kVerbose,
  kLogFormat,
};
inline constexpr std::size_t kOptionCount = static_cast<std::size_t>(Option::kLogFormat) + 1;

enum class OptionKind {
  kFlag,             // --dry-run
  kCountedFlag,      // -v, -vv, -v -v
  kValue,            // --job NAME or --job=NAME; given again, the last one wins
  kRepeatableValue,  // -g K=V -g K2=V2: every value, in order
};

// The headings of --help, in the order they are printed.
enum class OptionGroup { kRun, kReport, kPush, kOutput, kGeneral };

struct OptionSpec {
  Option option;
  std::string_view long_name;   // without the leading "--"
  std::string_view alias;       // a second long name, "" if none
  char short_name;              // '\0' if none
  std::string_view value_name;  // "" for flags
  OptionGroup group;
  OptionKind kind;
  std::string_view help;
};

std::span<const OptionSpec> OptionTable();
const OptionSpec& SpecOf(Option option);
std::string_view GroupName(OptionGroup group);  // "Run", "Report", ...

// The verbs; the top-level options are allowed before and after them.
enum class Verb { kNone, kDelete, kLint, kRun, kFlush, kJobs, kCheck };

struct VerbSpec {
  Verb verb;
  std::string_view name;
  std::size_t min_operands;  // lint: 1 (FILE...), run: 1 (JOB), others 0
  std::size_t max_operands;  // lint: unbounded, run: 1, others 0
  std::string_view operand_name;
  std::string_view help;
};

std::span<const VerbSpec> VerbTable();
std::string_view VerbName(Verb verb);  // "" for kNone

// What the words said; it owns its values.
class CommandLine {
 public:
  // How many times the option was given (a counted flag's count, a flag's 0 or more).
  int Count(Option option) const { return counts_[Index(option)]; }
  bool Given(Option option) const { return Count(option) > 0; }
  // The last value given, "" when none was.
  std::string_view Value(Option option) const;
  // Every value given to a repeatable option, in order.
  const std::vector<std::string>& Values(Option option) const { return values_[Index(option)]; }

  Verb verb() const { return verb_; }
  // The verb's words: lint's FILEs, run's JOB.
  const std::vector<std::string>& operands() const { return operands_; }
  // Everything after the first "--", untouched.
  const std::vector<std::string>& command() const { return command_; }
  std::vector<std::string>& command() { return command_; }

 private:
  friend struct CommandLineAccess;
  static std::size_t Index(Option option) { return static_cast<std::size_t>(option); }

  std::array<int, kOptionCount> counts_{};
  // Per option: one slot for kValue (the last), every value for kRepeatableValue.
  std::array<std::vector<std::string>, kOptionCount> values_{};
  Verb verb_ = Verb::kNone;
  std::vector<std::string> operands_;
  std::vector<std::string> command_;
};

struct CommandLineResult {
  CommandLine line;
  // "" when the words were good, else what is wrong, naming the word and what is allowed
  // (for "pushrun: error: <error>").
  std::string error;
  bool ok() const { return error.empty(); }
};

// Parses the arguments after the program name. --help and --version win over any other
// mistake before "--", so `pushrun lint --help` shows the help.
CommandLineResult ParseCommandLine(std::span<const char* const> args);

// The whole --help text, written by CLI11: usage, the options by group, the verbs, the footer.
// Ends in "\n".
std::string HelpText();

}  // namespace pushrun::runner
