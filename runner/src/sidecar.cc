#include "pushrun/runner/sidecar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "pushrun/metrics/parser.h"
#include "pushrun/metrics/protobuf.h"
#include "pushrun/runner/bounded_read.h"
#include "pushrun/runner/report.h"

namespace pushrun::runner {
namespace {

using metrics::MetricFamily;
using metrics::Sample;

struct Line {
  std::size_t number;  // 1-based
  std::string_view text;
};

std::vector<Line> SplitLines(std::string_view text) {
  std::vector<Line> lines;
  std::size_t number = 1;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.push_back({number++, text.substr(0, end)});
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::string_view TrimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

std::string Located(std::string_view source, std::size_t line, std::size_t column,
                    std::string_view message) {
  return metrics::ParseError{.line = line, .column = column, .message = std::string(message)}
      .Format(source);
}

// The parser reports samples without positions; refusals of parsed content are located again
// by re-parsing single lines, which only happens once something is wrong.
class Locator {
 public:
  explicit Locator(std::string_view text) : lines_(SplitLines(text)) {}

  // The first sample line holding exactly this series.
  const Line* FindSample(const Sample& sample) const {
    for (const Line& line : lines_) {
      const std::string_view body = TrimLeft(line.text);
      if (body.empty() || body.front() == '#') continue;
      if (body.substr(0, sample.name.size()) != sample.name) continue;
      std::string one(line.text);
      one += '\n';
      const metrics::ParseResult parsed = metrics::ParseText(one);
      if (!parsed.ok()) continue;
      for (const MetricFamily& family : parsed.families) {
        for (const Sample& s : family.samples) {
          if (s.name == sample.name && s.labels == sample.labels) return &line;
        }
      }
    }
    return nullptr;
  }

  // The first "# HELP name" / "# TYPE name" line, or the first sample line of the family.
  std::pair<const Line*, std::size_t> FindFamily(const MetricFamily& family) const {
    for (const Line& line : lines_) {
      std::string_view body = TrimLeft(line.text);
      if (body.empty()) continue;
      if (body.front() == '#') {
        body = TrimLeft(body.substr(1));
        if (body.substr(0, 4) != "HELP" && body.substr(0, 4) != "TYPE") continue;
        body = TrimLeft(body.substr(4));
        if (body.substr(0, family.name.size()) == family.name &&
            (body.size() == family.name.size() || body[family.name.size()] == ' ' ||
             body[family.name.size()] == '\t')) {
          return {&line, static_cast<std::size_t>(body.data() - line.text.data()) + 1};
        }
        continue;
      }
      // Every sample of a family is named "<family>" or "<family>_<suffix>".
      if (body.substr(0, family.name.size()) == family.name) return {&line, NameColumn(line)};
    }
    return {nullptr, 0};
  }

  static std::size_t NameColumn(const Line& line) {
    return static_cast<std::size_t>(TrimLeft(line.text).data() - line.text.data()) + 1;
  }

  // The column of the last token (the timestamp of a sample line).
  static std::size_t LastTokenColumn(const Line& line) {
    std::string_view s = line.text;
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
      s.remove_suffix(1);
    }
    const std::size_t space = s.find_last_of(" \t");
    return space == std::string_view::npos ? 1 : space + 2;
  }

  // The column of label `name` inside the braces of a sample line.
  static std::size_t LabelColumn(const Line& line, std::string_view name) {
    const std::string_view s = line.text;
    const std::size_t open = s.find('{');
    if (open == std::string_view::npos) return NameColumn(line);
    for (std::size_t pos = s.find(name, open + 1); pos != std::string_view::npos;
         pos = s.find(name, pos + 1)) {
      const char before = s[pos - 1];
      if (before != '{' && before != ',' && before != ' ' && before != '\t') continue;
      const std::string_view rest = TrimLeft(s.substr(pos + name.size()));
      if (!rest.empty() && rest.front() == '=') return pos + 1;
    }
    return open + 2;
  }

 private:
  std::vector<Line> lines_;
};

// Checks one parsed family against the rules; `series` counts across families. The text is
// only searched (to locate the refusal) once something is wrong.
std::optional<std::string> CheckFamily(const MetricFamily& family, std::string_view text,
                                       std::string_view source, const SidecarRules& rules,
                                       std::size_t* series) {
  auto at_sample = [&](const Sample& sample, auto column_of, std::string_view message) {
    const Locator locator(text);
    if (const Line* line = locator.FindSample(sample)) {
      return Located(source, line->number, column_of(*line), message);
    }
    return std::string(source) + ": " + std::string(message);
  };

  if (IsReservedName(family.name, rules.prefix)) {
    const std::string message = "metric name \"" + family.name +
                                "\" is reserved (pushrun's own \"" + rules.prefix +
                                "_*\" metrics and the Pushgateway's push_*_seconds)";
    const Locator locator(text);
    const auto [line, column] = locator.FindFamily(family);
    if (line) return Located(source, line->number, column, message);
    return std::string(source) + ": " + message;
  }
  for (const Sample& sample : family.samples) {
    if (++*series > rules.max_series) {
      return at_sample(sample, &Locator::NameColumn,
                       "too many series (limit " + std::to_string(rules.max_series) + ")");
    }
    if (IsReservedName(sample.name, rules.prefix)) {
      return at_sample(sample, &Locator::NameColumn,
                       "metric name \"" + sample.name + "\" is reserved (pushrun's own \"" +
                           rules.prefix + "_*\" metrics and the Pushgateway's push_*_seconds)");
    }
    if (sample.timestamp_ms) {
      return at_sample(sample, &Locator::LastTokenColumn,
                       "timestamps are not allowed (the Pushgateway refuses them)");
    }
    for (const metrics::Label& label : sample.labels) {
      if (std::find(rules.reserved_labels.begin(), rules.reserved_labels.end(), label.name) ==
          rules.reserved_labels.end()) {
        continue;
      }
      return at_sample(
          sample, [&](const Line& line) { return Locator::LabelColumn(line, label.name); },
          "label \"" + label.name +
              "\" is reserved (the job and grouping labels come from pushrun's command line)");
    }
  }
  return std::nullopt;
}

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// Whether the checked text says nothing beyond `families`: every family named by a HELP or
// TYPE line has samples (the parser leaves the others out, and as is they would reach the
// gateway). A comment that merely looks like one gives a name outside `families`: a false
// "no", which only costs the serialization.
bool SendableAsIs(std::string_view text, const std::vector<MetricFamily>& families) {
  std::unordered_set<std::string_view> names;
  for (const MetricFamily& family : families) names.insert(family.name);
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = TrimLeft(text.substr(0, end));
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (line.empty() || line.front() != '#') continue;
    line = TrimLeft(line.substr(1));
    if (line.substr(0, 4) != "HELP" && line.substr(0, 4) != "TYPE") continue;
    line = TrimLeft(line.substr(4));
    const std::string_view name = line.substr(0, line.find_first_of(" \t"));
    if (names.count(name) == 0) return false;
  }
  return true;
}

// Where the private directory goes: $TMPDIR when set; otherwise a tmpfs ($XDG_RUNTIME_DIR, then
// /dev/shm), where creating and removing it costs no journal commit; /tmp last.
std::vector<std::string> PrivateDirectoryBases() {
  auto absolute = [](const char* name) -> std::string {
    const char* value = std::getenv(name);
    if (value == nullptr || value[0] != '/') return {};
    std::string base = value;
    while (base.size() > 1 && base.back() == '/') base.pop_back();
    return base;
  };
  if (std::string tmpdir = absolute("TMPDIR"); !tmpdir.empty()) return {tmpdir};
  std::vector<std::string> bases;
  if (std::string runtime = absolute("XDG_RUNTIME_DIR"); !runtime.empty()) {
    bases.push_back(runtime);
  }
  bases.push_back("/dev/shm");
  bases.push_back("/tmp");
  return bases;
}

}  // namespace

SidecarResult CheckSidecarText(std::string_view text, std::string_view source,
                               const SidecarRules& rules, std::string* protobuf) {
  SidecarResult result;
  if (text.size() > rules.max_bytes) {
    result.error = std::string(source) + ": file too large (more than " +
                   std::to_string(rules.max_bytes) + " bytes)";
    return result;
  }
  // Most commands write nothing: an empty file is valid without waking the parser.
  if (text.empty()) return result;
  // Each family is checked as soon as it is parsed; validate_only then frees its samples.
  std::size_t series = 0;
  std::optional<std::string> refusal;
  metrics::ParseOptions options{.max_bytes = rules.max_bytes, .max_series = rules.max_series};
  options.on_family = [&](const MetricFamily& family) {
    refusal = CheckFamily(family, text, source, rules, &series);
    if (!refusal && protobuf != nullptr) metrics::AppendProtobuf(*protobuf, family);
    return !refusal;
  };
  options.keep_samples = !rules.validate_only;
  metrics::ParseResult parsed = metrics::ParseText(text, options);
  if (refusal) {
    result.error = std::move(refusal);
    return result;
  }
  if (!parsed.ok()) {
    result.error = parsed.error->Format(source);
    return result;
  }
  result.families = std::move(parsed.families);
  return result;
}

std::string ReadSidecarBytes(const std::string& path, const SidecarRules& rules,
                             std::string* text) {
  text->clear();
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return {};  // the command wrote nothing (or removed the file)
  }
  return ReadFileBounded(path, rules.max_bytes, text);
}

SidecarResult CheckSidecarBytes(std::string_view text, const std::string& path,
                                const SidecarRules& rules, bool* as_is, std::string* protobuf) {
  *as_is = false;
  SidecarResult result = CheckSidecarText(text, path, rules, protobuf);
  if (!result.ok() || result.families.empty()) return result;
  *as_is = SendableAsIs(text, result.families);
  if (!*as_is && rules.validate_only) {
    // Rare: the text cannot go as is, so its families are needed after all.
    SidecarRules keeping = rules;
    keeping.validate_only = false;
    result = CheckSidecarText(text, path, keeping);
  }
  return result;
}

SidecarResult ReadSidecarFile(const std::string& path, const SidecarRules& rules) {
  std::string text;
  if (std::string error = ReadSidecarBytes(path, rules, &text); !error.empty()) {
    SidecarResult refused;
    refused.error = std::move(error);
    return refused;
  }
  bool as_is = false;
  SidecarResult result = CheckSidecarBytes(text, path, rules, &as_is);
  if (as_is) result.text = std::move(text);
  return result;
}

std::optional<SidecarFile> SidecarFile::CreatePrivate(std::string* error) {
  const std::vector<std::string> bases = PrivateDirectoryBases();
  std::string templ;
  for (const std::string& base : bases) {
    templ = base + "/pushrun.XXXXXX";
    // mkdtemp creates the directory 0700: nobody else can replace the file inside it.
    if (::mkdtemp(templ.data()) != nullptr) break;
    if (&base == &bases.back()) {
      if (error) *error = "cannot create a private directory in " + base + ": " + ErrnoText(errno);
      return std::nullopt;
    }
  }
  std::string path = templ + "/metrics.prom";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error) *error = "cannot create " + path + ": " + ErrnoText(errno);
    ::rmdir(templ.c_str());
    return std::nullopt;
  }
  ::close(fd);
  return SidecarFile(std::move(path), std::move(templ));
}

SidecarFile SidecarFile::UseExisting(std::string path) { return SidecarFile(std::move(path), {}); }

SidecarFile::SidecarFile(SidecarFile&& other) noexcept
    : path_(std::move(other.path_)), directory_(std::exchange(other.directory_, {})) {}

SidecarFile& SidecarFile::operator=(SidecarFile&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    directory_ = std::exchange(other.directory_, {});
  }
  return *this;
}

SidecarFile::~SidecarFile() { Remove(); }

void SidecarFile::Remove() {
  if (directory_.empty()) return;
  // Usually the directory holds just the file: two system calls. The command may have left
  // other files there (a temp file it renamed, say); then remove_all, which removes symlinks
  // themselves, never what they point to.
  ::unlink(path_.c_str());
  if (::rmdir(directory_.c_str()) != 0 && errno != ENOENT) {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }
  directory_.clear();
}

std::string SidecarFile::EnvironmentEntry() const {
  return std::string(kSidecarEnvironmentVariable) + "=" + path_;
}

}  // namespace pushrun::runner
