#pragma once
// The one error type of the config component. Everything a user can get wrong in a config
// file, an environment variable or a flag value ends up here, with where it was and what
// would have been accepted, so main can print it and exit 125.

#include <stdexcept>
#include <string>
#include <vector>

namespace pushrun::config {

// Where a value came from. An empty file means "not a file" (environment, flags); line and
// column are 1-based and 0 when unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
};

// "file:line:col: ", "file: " or "" — the prefix of a message about `location`.
std::string LocationPrefix(const SourceLocation& location);

class ConfigError : public std::runtime_error {
 public:
  // what() = "file:line:col: key.path: message (allowed: ...)"; absent parts are left out.
  ConfigError(SourceLocation location, std::string key_path, std::string message,
              std::string allowed = {});
  // The first of `errors` (its location, key path, message, allowed), with what() listing
  // every one of them, one per line: how a config file reports all its mistakes at once.
  // `errors` must not be empty.
  static ConfigError Several(const std::vector<ConfigError>& errors);

  const SourceLocation& location() const { return location_; }
  const std::string& file() const { return location_.file; }
  int line() const { return location_.line; }
  int column() const { return location_.column; }
  const std::string& key_path() const { return key_path_; }
  const std::string& message() const { return message_; }
  const std::string& allowed() const { return allowed_; }
  // How many mistakes what() lists (1 unless made by Several).
  std::size_t count() const { return count_; }

 private:
  SourceLocation location_;
  std::string key_path_;
  std::string message_;
  std::string allowed_;
  std::size_t count_ = 1;
};

}  // namespace pushrun::config
