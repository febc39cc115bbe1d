#pragma once
// A fresh private directory for one test, removed with everything in it afterwards, and a
// whole-file reader: the two file helpers most tests need.

#include <stdlib.h>
#include <sys/stat.h>

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

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace pushrun::testing
