#include "pushrun/runner/log.h"

#include <chrono>
#include <cstdio>
#include <ctime>

#include "pushrun/metrics/names.h"

namespace pushrun::runner {
namespace {

// Bytes that are not UTF-8 (a file name or a gateway reply can hold any byte) become U+FFFD,
// one per byte: JSON text must be UTF-8, and log pipelines drop or reject lines that are not.
void AppendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      const std::size_t length = metrics::Utf8SequenceLength(text.substr(i));
      if (length == 0) {
        out += "\\ufffd";
      } else {
        out.append(text.substr(i, length));
        i += length - 1;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// RFC 3339 UTC with milliseconds; log pipelines sort and join on it.
std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "error";
}

std::string FormatLogLine(LogStyle style, LogLevel level, std::string_view message) {
  std::string line;
  if (style == LogStyle::kJson) {
    line += "{\"time\":";
    AppendJsonString(line, NowRfc3339());
    line += ",\"level\":";
    AppendJsonString(line, LevelName(level));
    line += ",\"logger\":\"pushrun\",\"msg\":";
    AppendJsonString(line, message);
    line += '}';
    return line;
  }
  line += "pushrun: ";
  line += LevelName(level);
  line += ": ";
  line += message;
  return line;
}

Logger::Logger(std::ostream& out, LogStyle style, int verbosity)
    : out_(&out), style_(style), verbosity_(verbosity) {}

Logger::Logger(StreamSource source, LogStyle style, int verbosity)
    : out_(nullptr), source_(source), style_(style), verbosity_(verbosity) {}

bool Logger::Enabled(LogLevel level) const {
  switch (level) {
    case LogLevel::kError:
    case LogLevel::kWarning:
      return true;
    case LogLevel::kInfo:
      return verbosity_ >= 1;
    case LogLevel::kDebug:
      return verbosity_ >= 2;
  }
  return true;
}

void Logger::Log(LogLevel level, std::string_view message) {
  if (!Enabled(level)) return;
  std::string line = FormatLogLine(style_, level, message);
  line += '\n';
  // One write per message so lines from concurrent pushes never interleave.
  std::lock_guard lock(mutex_);
  if (out_ == nullptr) out_ = &source_();
  out_->write(line.data(), static_cast<std::streamsize>(line.size()));
  out_->flush();
}

}  // namespace pushrun::runner
