#include "pushrun/config/signal_name.h"

#include <array>
#include <charconv>
#include <csignal>

namespace pushrun::config {

namespace {

struct NamedSignal {
  std::string_view name;
  int number;
};

constexpr std::array<NamedSignal, 31> kSignals = {{
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT}, {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"BUS", SIGBUS},   {"FPE", SIGFPE},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV}, {"USR2", SIGUSR2},
    {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT},
    {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},
    {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},   {"XCPU", SIGXCPU},
    {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
    {"IO", SIGIO},     {"PWR", SIGPWR},       {"SYS", SIGSYS},
}};

// Real-time signals go up to 64 on Linux; NSIG is 65.
constexpr int kMaxSignal = NSIG - 1;

char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

std::optional<int> ParseSignal(std::string_view text, std::string* error) {
  auto fail = [&](std::string message) -> std::optional<int> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  if (text.empty()) return fail("empty signal");
  if (text.front() >= '0' && text.front() <= '9') {
    int number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || end != text.data() + text.size() || number < 1 ||
        number > kMaxSignal) {
      return fail("no signal number \"" + std::string(text) + "\"");
    }
    return number;
  }
  std::string upper;
  for (char c : text) upper += ToUpper(c);
  std::string_view name = upper;
  if (name.starts_with("SIG")) name.remove_prefix(3);
  for (const NamedSignal& signal : kSignals) {
    if (signal.name == name) return signal.number;
  }
  return fail("unknown signal \"" + std::string(text) + "\"");
}

std::string SignalName(int signal) {
  for (const NamedSignal& named : kSignals) {
    if (named.number == signal) return std::string(named.name);
  }
  return std::to_string(signal);
}

}  // namespace pushrun::config
