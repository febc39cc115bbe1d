#include "pushrun/config/secret.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "pushrun/config/read_file.h"

namespace pushrun::config {

namespace {

// Readable by others, or by a group this process is not in. A group-readable file of one of our
// own groups is how Kubernetes mounts a Secret for a non-root pod (fsGroup, mode 0440): that is
// the intended sharing, not a leak, and warning on every run would teach people to ignore it.
bool ReadableByOthers(const struct stat& info) {
  if ((info.st_mode & S_IROTH) != 0) return true;
  if ((info.st_mode & S_IRGRP) == 0) return false;
  if (info.st_gid == ::getegid()) return false;
  gid_t groups[256];
  const int count = ::getgroups(256, groups);
  for (int i = 0; i < count; ++i) {
    if (groups[i] == info.st_gid) return false;
  }
  return true;
}

}  // namespace

GetEnv ProcessEnvironment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

std::string ReadSecretFile(const std::string& path, const SourceLocation& where,
                           const std::string& key_path, std::vector<std::string>* warnings) {
  auto fail = [&](const std::string& message) {
    throw ConfigError(where, key_path, "secret file \"" + path + "\": " + message);
  };
  std::string content;
  // Through symbolic links: Kubernetes mounts Secrets as links.
  const FileRead read = ReadRegularFile(path, kMaxSecretBytes, /*follow_symlinks=*/true, &content);
  if (!read.ok()) fail(DescribeFileProblem(read, kMaxSecretBytes));
  while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
    content.pop_back();
  }
  if (content.empty()) fail("empty");
  if (warnings && ReadableByOthers(read.info)) {
    warnings->push_back(LocationPrefix(where) + key_path + ": secret file \"" + path +
                        "\" is readable by group or others (chmod 600 it)");
  }
  return content;
}

std::string ReadSecretEnv(const std::string& variable, const GetEnv& getenv,
                          const SourceLocation& where, const std::string& key_path) {
  const char* value = getenv ? getenv(variable.c_str()) : nullptr;
  if (value == nullptr || *value == '\0') {
    throw ConfigError(where, key_path,
                      "environment variable " + variable + " is " + (value ? "empty" : "unset"));
  }
  return value;
}

}  // namespace pushrun::config
