#pragma once
// pushrun's own messages on stderr: "pushrun: error: ..." / "pushrun: warning: ...", or one
// JSON object per line for log pipelines. The wrapped command's output never passes through
// here. Thread-safe: each message is written whole, under a mutex.

#include <mutex>
#include <ostream>
#include <string>
#include <string_view>

namespace pushrun::runner {

enum class LogLevel { kError, kWarning, kInfo, kDebug };
enum class LogStyle { kText, kJson };

// "error", "warning", "info", "debug".
std::string_view LevelName(LogLevel level);

class Logger {
 public:
  // Where the stream comes from when it is built on first use (see below).
  using StreamSource = std::ostream& (*)();

  // `verbosity` 0 shows errors and warnings, 1 (-v) adds info (push diagnostics), 2 adds debug.
  explicit Logger(std::ostream& out, LogStyle style = LogStyle::kText, int verbosity = 0);
  // Calls `source` at the first message that is written, not before: building an iostream
  // initialises the locale, which costs the wrapper ~0.1 ms before the command starts, and a
  // run with nothing to say never needs it.
  explicit Logger(StreamSource source, LogStyle style = LogStyle::kText, int verbosity = 0);

  void Error(std::string_view message) { Log(LogLevel::kError, message); }
  void Warning(std::string_view message) { Log(LogLevel::kWarning, message); }
  void Info(std::string_view message) { Log(LogLevel::kInfo, message); }
  void Debug(std::string_view message) { Log(LogLevel::kDebug, message); }
  void Log(LogLevel level, std::string_view message);

  bool Enabled(LogLevel level) const;
  int verbosity() const { return verbosity_; }

 private:
  std::mutex mutex_;
  std::ostream* out_;  // null until the first message when built from a StreamSource
  StreamSource source_ = nullptr;
  LogStyle style_;
  int verbosity_;
};

// One log line (without the trailing newline), as Logger writes it.
std::string FormatLogLine(LogStyle style, LogLevel level, std::string_view message);

}  // namespace pushrun::runner
