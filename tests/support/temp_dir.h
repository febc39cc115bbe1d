#pragma once
// A fresh private directory for one test, removed with everything in it afterwards, and a
// whole-file reader: the two file helpers most tests need.

#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pushrun::testing {

struct TempDir {
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "pushrun_test.XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `content` to `name` in the directory, then gives it `mode` if one is given (secret
  // files are checked for who may read them); returns the full path.
  std::string File(const std::string& name, const std::string& content,
                   std::optional<mode_t> mode = std::nullopt) const {
    const std::string file = path + "/" + name;
    {
      std::ofstream out(file, std::ios::binary | std::ios::trunc);
      out << content;
      if (!out) throw std::runtime_error("cannot write " + file);
    }
    if (mode && ::chmod(file.c_str(), *mode) != 0) throw std::runtime_error("cannot chmod " + file);
    return file;
  }

  std::string path;
};

// /proc/PID/status text with the "SigIgn" mask's bits for signals 32 and 33 cleared: glibc keeps
// those for itself and refuses to change their dispositions, so a test suite started with them
// ignored hands them on to every program whatever pushrun does, as a shell would.
inline std::string WithoutLibcSignals(std::string status) {
  const std::string key = "SigIgn:\t";
  const std::size_t at = status.find(key);
  if (at == std::string::npos) return status;
  const std::size_t begin = at + key.size();
  const std::size_t end = status.find('\n', begin);
  const std::string hex = status.substr(begin, end - begin);
  unsigned long long mask = std::stoull(hex, nullptr, 16) & ~0x180000000ULL;
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", mask);
  return status.substr(0, begin) + buffer + status.substr(end);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace pushrun::testing
