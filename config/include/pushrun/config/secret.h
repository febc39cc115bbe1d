#pragma once
// Reading secrets (passwords, bearer tokens) from files and environment variables. A secret
// never appears in an error or warning; only the file or variable name does.

#include <functional>
#include <string>
#include <vector>

#include "pushrun/config/error.h"

namespace pushrun::config {

// getenv-like: the variable's value or null. Tests pass a fake; main passes ::getenv.
using GetEnv = std::function<const char*(const char*)>;
GetEnv ProcessEnvironment();

inline constexpr std::size_t kMaxSecretBytes = 64 * 1024;

// The file's content without trailing newlines (CR/LF). Throws ConfigError (at `where`,
// naming `key_path`) when the file cannot be read, is empty or larger than kMaxSecretBytes.
// Appends a warning to `warnings` when group or others may read the file.
std::string ReadSecretFile(const std::string& path, const SourceLocation& where,
                           const std::string& key_path, std::vector<std::string>* warnings);

// The value of environment variable `variable`. Throws ConfigError when it is unset or empty.
std::string ReadSecretEnv(const std::string& variable, const GetEnv& getenv,
                          const SourceLocation& where, const std::string& key_path);

}  // namespace pushrun::config
