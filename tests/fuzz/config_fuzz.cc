// Fuzzes the TOML fleet loader (ParseConfig) and what `pushrun check` does with its result.
// Properties checked on every input:
// - the only exception that ever leaves the loader, Resolve or DescribeFleet is ConfigError,
//   with a message, naming the file, and a line/column (when given) inside the input;
// - every job of an accepted file resolves (or fails with a ConfigError) and can be described.
// Environment variables (*_env keys) resolve to a fixed value; *_file keys are relative to a
// directory that does not exist.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pushrun/config/describe.h"
#include "pushrun/config/error.h"
#include "pushrun/config/fleet.h"
#include "pushrun/config/loader.h"

namespace {

using pushrun::config::ConfigError;

constexpr const char* kPath = "/nonexistent/pushrun-fuzz/fleet.toml";

[[noreturn]] void Die(const char* what, std::string_view detail) {
  std::fprintf(stderr, "config_fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void CheckError(const ConfigError& error, std::string_view text) {
  if (error.message().empty()) Die("error without a message", error.what());
  if (error.file() != kPath) Die("error does not name the file", error.what());
  if (error.line() < 0 || error.column() < 0) Die("negative position", error.what());
  if (error.line() > 0) {
    std::size_t lines = 1;
    for (char c : text) lines += c == '\n';
    if (static_cast<std::size_t>(error.line()) > lines) Die("line past the input", error.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const pushrun::config::GetEnv getenv = [](const char*) -> const char* { return "fuzz-value"; };
  pushrun::config::FleetConfig fleet;
  try {
    fleet = pushrun::config::ParseConfig(text, kPath, getenv);
  } catch (const ConfigError& error) {
    CheckError(error, text);
    return 0;
  }
  const pushrun::config::Layer none;
  for (const auto& [name, job] : fleet.jobs) {
    try {
      pushrun::config::ResolveJob(none, none, fleet, job);
    } catch (const ConfigError& error) {
      if (error.message().empty()) Die("resolve error without a message", error.what());
    }
  }
  try {
    pushrun::config::DescribeFleet(fleet, none, none);
  } catch (const ConfigError& error) {
    if (error.message().empty()) Die("describe error without a message", error.what());
  }
  return 0;
}
