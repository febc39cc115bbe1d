#include "pushrun/config/error.h"

#include <utility>

namespace pushrun::config {

namespace {

std::string Format(const SourceLocation& location, const std::string& key_path,
                   const std::string& message, const std::string& allowed) {
  std::string text = LocationPrefix(location);
  if (!key_path.empty()) text += key_path + ": ";
  text += message;
  if (!allowed.empty()) text += " (allowed: " + allowed + ")";
  return text;
}

}  // namespace

std::string LocationPrefix(const SourceLocation& location) {
  if (location.file.empty()) return {};
  std::string text = location.file;
  if (location.line > 0) {
    text += ":" + std::to_string(location.line);
    if (location.column > 0) text += ":" + std::to_string(location.column);
  }
  return text + ": ";
}

ConfigError::ConfigError(SourceLocation location, std::string key_path, std::string message,
                         std::string allowed)
    : std::runtime_error(Format(location, key_path, message, allowed)),
      location_(std::move(location)),
      key_path_(std::move(key_path)),
      message_(std::move(message)),
      allowed_(std::move(allowed)) {}

ConfigError ConfigError::Several(const std::vector<ConfigError>& errors) {
  if (errors.empty()) throw std::invalid_argument("ConfigError::Several: no errors");
  const ConfigError& first = errors.front();
  if (errors.size() == 1) return first;
  ConfigError combined = first;
  std::string text;
  for (const ConfigError& error : errors)
    text += (text.empty() ? "" : "\n") + std::string(error.what());
  static_cast<std::runtime_error&>(combined) = std::runtime_error(text);
  combined.count_ = errors.size();
  return combined;
}

}  // namespace pushrun::config
