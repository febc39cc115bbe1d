#include "pushrun/runner/sidecar.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "pushrun/metrics/exposition.h"
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
std::optional<std::pair<const Sample*, std::string>> CheckValues(const MetricFamily& family);

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
  if (auto wrong = CheckValues(family)) {
    return at_sample(*wrong->first, &Locator::NameColumn, wrong->second);
  }
  return std::nullopt;
}

// The value of an "le" label: a float, "+Inf" included; nothing when it is not one.
std::optional<double> BucketBound(std::string_view text) {
  if (text.starts_with('+')) text.remove_prefix(1);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || std::isnan(value)) {
    return std::nullopt;
  }
  return value;
}

// The rules the exposition format sets for counter and histogram values, which the parser
// (like Prometheus's) does not check and the Pushgateway stores as it gets them (a bucket of
// -1 comes back as 1.8446744073709552e+19): counters are never negative; per series, histogram
// buckets are non-negative and cumulative (no smaller for a larger "le"), a "+Inf" bucket is
// present and equals "_count". Returns the offending sample and why.
std::optional<std::pair<const Sample*, std::string>> CheckValues(const MetricFamily& family) {
  if (family.type == metrics::MetricType::kCounter) {
    for (const Sample& sample : family.samples) {
      if (sample.value < 0) {
        return std::pair{&sample, "counter \"" + sample.name + "\" is negative (" +
                                      metrics::FormatNumber(sample.value) +
                                      "): counters only go up from 0"};
      }
    }
    return std::nullopt;
  }
  if (family.type != metrics::MetricType::kHistogram) return std::nullopt;
  struct Series {
    std::vector<std::pair<double, const Sample*>> buckets;
    const Sample* count = nullptr;
    const Sample* first = nullptr;
  };
  // By the labels other than "le", in name order.
  std::map<std::vector<std::pair<std::string, std::string>>, Series> series;
  const std::string bucket_name = family.name + "_bucket";
  for (const Sample& sample : family.samples) {
    std::vector<std::pair<std::string, std::string>> labels;
    std::optional<std::string_view> le;
    for (const metrics::Label& label : sample.labels) {
      if (label.name == "le" && sample.name == bucket_name) {
        le = label.value;
      } else {
        labels.emplace_back(label.name, label.value);
      }
    }
    std::sort(labels.begin(), labels.end());
    Series& one = series[labels];
    if (one.first == nullptr) one.first = &sample;
    if (sample.name == family.name + "_count") one.count = &sample;
    if (sample.name != bucket_name) continue;
    const std::optional<double> bound = le ? BucketBound(*le) : std::nullopt;
    if (!bound) {
      return std::pair{
          &sample, "histogram bucket of \"" + family.name + "\" without a numeric \"le\" label"};
    }
    if (!(sample.value >= 0)) {
      return std::pair{&sample, "histogram bucket of \"" + family.name + "\" is negative (" +
                                    metrics::FormatNumber(sample.value) +
                                    "): buckets count observations"};
    }
    one.buckets.emplace_back(*bound, &sample);
  }
  for (auto& [labels, one] : series) {
    std::stable_sort(one.buckets.begin(), one.buckets.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < one.buckets.size(); ++i) {
      if (one.buckets[i].second->value < one.buckets[i - 1].second->value) {
        return std::pair{one.buckets[i].second,
                         "histogram \"" + family.name + "\" is not cumulative: the bucket le=\"" +
                             metrics::FormatNumber(one.buckets[i].first) + "\" (" +
                             metrics::FormatNumber(one.buckets[i].second->value) +
                             ") is below the bucket le=\"" +
                             metrics::FormatNumber(one.buckets[i - 1].first) + "\" (" +
                             metrics::FormatNumber(one.buckets[i - 1].second->value) + ")"};
      }
    }
    if (one.buckets.empty() ||
        one.buckets.back().first != std::numeric_limits<double>::infinity()) {
      return std::pair{one.first, "histogram \"" + family.name +
                                      "\" has no le=\"+Inf\" bucket (every histogram series "
                                      "needs one, equal to its _count)"};
    }
    if (one.count != nullptr && one.count->value != one.buckets.back().second->value) {
      return std::pair{one.count, "histogram \"" + family.name + "\": _count (" +
                                      metrics::FormatNumber(one.count->value) +
                                      ") differs from the le=\"+Inf\" bucket (" +
                                      metrics::FormatNumber(one.buckets.back().second->value) +
                                      ")"};
    }
  }
  return std::nullopt;
}

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// The private sidecar's name inside its directory.
constexpr std::string_view kPrivateSidecarName = "metrics.prom";

// "" while `path` names the directory open as `fd` (or names nothing: the command removed it);
// otherwise why nothing at `path` is read.
std::string DirectoryReplaced(const std::string& path, int fd) {
  struct stat held {};
  struct stat now {};
  if (::fstat(fd, &held) != 0) return path + ": cannot stat the private directory";
  if (::lstat(path.c_str(), &now) != 0) return {};
  if (now.st_dev == held.st_dev && now.st_ino == held.st_ino) return {};
  return path + ": the private directory was replaced by " +
         (S_ISLNK(now.st_mode) ? "a symbolic link" : "something else") +
         " while the command ran; refused, nothing there is read or removed";
}

// Removes everything inside the directory open as `fd`, never following a symlink; bounded
// depth, so a deep tree left by the command cannot exhaust file descriptors.
void EmptyDirectory(int fd, int depth) {
  const int listing = ::dup(fd);
  if (listing < 0) return;
  DIR* dir = ::fdopendir(listing);
  if (dir == nullptr) {
    ::close(listing);
    return;
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  for (const std::string& name : names) {
    if (::unlinkat(fd, name.c_str(), 0) == 0 || depth >= 16) continue;
    const int child = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) continue;
    EmptyDirectory(child, depth + 1);
    ::close(child);
    ::unlinkat(fd, name.c_str(), AT_REMOVEDIR);
  }
}

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
  // Held from here on: what pushrun reads and removes is in this directory, whatever its path
  // names later.
  const int directory_fd = ::open(templ.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (directory_fd < 0) {
    if (error) *error = "cannot open " + templ + ": " + ErrnoText(errno);
    ::rmdir(templ.c_str());
    return std::nullopt;
  }
  std::string path = templ + "/" + std::string(kPrivateSidecarName);
  const int fd = ::openat(directory_fd, std::string(kPrivateSidecarName).c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (error) *error = "cannot create " + path + ": " + ErrnoText(errno);
    ::close(directory_fd);
    ::rmdir(templ.c_str());
    return std::nullopt;
  }
  ::close(fd);
  return SidecarFile(std::move(path), std::move(templ), directory_fd);
}

SidecarFile SidecarFile::UseExisting(std::string path) {
  return SidecarFile(std::move(path), {}, -1);
}

SidecarFile::SidecarFile(SidecarFile&& other) noexcept
    : path_(std::move(other.path_)),
      directory_(std::exchange(other.directory_, {})),
      directory_fd_(std::exchange(other.directory_fd_, -1)) {}

SidecarFile& SidecarFile::operator=(SidecarFile&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    directory_ = std::exchange(other.directory_, {});
    directory_fd_ = std::exchange(other.directory_fd_, -1);
  }
  return *this;
}

SidecarFile::~SidecarFile() { Remove(); }

std::string SidecarFile::ReadBytes(const SidecarRules& rules, std::string* text) const {
  text->clear();
  if (directory_fd_ < 0) return ReadSidecarBytes(path_, rules, text);
  if (std::string moved = DirectoryReplaced(directory_, directory_fd_); !moved.empty()) {
    return moved;
  }
  const std::string name(kPrivateSidecarName);
  struct stat st {};
  if (::fstatat(directory_fd_, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
    return {};  // the command wrote nothing (or removed the file)
  }
  return ReadFileBoundedAt(directory_fd_, name, path_, rules.max_bytes, text);
}

SidecarResult SidecarFile::Read(const SidecarRules& rules) const {
  std::string text;
  if (std::string error = ReadBytes(rules, &text); !error.empty()) {
    SidecarResult refused;
    refused.error = std::move(error);
    return refused;
  }
  bool as_is = false;
  SidecarResult result = CheckSidecarBytes(text, path_, rules, &as_is);
  if (as_is) result.text = std::move(text);
  return result;
}

void SidecarFile::Remove() {
  if (directory_fd_ < 0) return;
  // Usually the directory holds just the file: two system calls. The command may have left
  // other things there (a temp file it renamed, a directory); they are removed through the
  // held directory, symlinks themselves, never what they point to.
  ::unlinkat(directory_fd_, std::string(kPrivateSidecarName).c_str(), 0);
  // The path is removed only while it still names the held directory: a swapped path (a
  // symlink, another directory) is left alone.
  const bool in_place = DirectoryReplaced(directory_, directory_fd_).empty();
  if (!in_place || ::rmdir(directory_.c_str()) != 0) {
    EmptyDirectory(directory_fd_, 0);
    if (in_place) ::rmdir(directory_.c_str());
  }
  ::close(directory_fd_);
  directory_fd_ = -1;
  directory_.clear();
}

std::string SidecarFile::EnvironmentEntry() const {
  return std::string(kSidecarEnvironmentVariable) + "=" + path_;
}

}  // namespace pushrun::runner
