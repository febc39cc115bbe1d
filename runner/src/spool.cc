// Spool files look like this (hex keeps any byte of a job or label value safe):
//   # pushrun spool v1
//   # method POST
//   # job 6e696768746c79
//   # label 696e7374616e6365 6462
//   # body
//   <the report, text format 0.0.4; nothing for "# method DELETE">

#include "pushrun/runner/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/parser.h"
#include "pushrun/runner/atomic_file.h"
#include "pushrun/runner/bounded_read.h"
#include "pushrun/runner/deliver.h"

namespace pushrun::runner {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMagic = "# pushrun spool v1\n";
constexpr std::string_view kSuffix = ".report";
constexpr std::size_t kMaxSpoolFile = 64 * 1024 * 1024;
constexpr std::string_view kRejected = "rejected";

std::string Hex(std::string_view in) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(in.size() * 2);
  for (unsigned char c : in) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view in) {
  if (in.size() % 2 != 0) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < in.size(); i += 2) {
    int hi = nibble(in[i]), lo = nibble(in[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

// A stable file name per group: FNV-1a of the group, so any job or label value fits in a name.
std::string FileNameFor(const metrics::PushParams& params) {
  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](std::string_view s) {
    for (unsigned char c : s) hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0xff) * 1099511628211ull;  // separator: ("ab","c") != ("a","bc")
  };
  mix(params.job_name);
  for (const auto& [name, value] : params.groupings) {
    mix(name);
    mix(value);
  }
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(hash));
  return std::string("group-") + buffer + std::string(kSuffix);
}

std::string Serialize(const SpooledReport& report) {
  std::string out(kMagic);
  out += "# method " + report.method + "\n";
  out += "# job " + Hex(report.params.job_name) + "\n";
  for (const auto& [name, value] : report.params.groupings) {
    out += "# label " + Hex(name) + " " + Hex(value) + "\n";
  }
  out += "# body\n";
  out += report.body;
  return out;
}

// Returns the report or sets `problem`.
std::optional<SpooledReport> Deserialize(std::string_view text, std::string* problem) {
  if (text.substr(0, kMagic.size()) != kMagic) {
    *problem = "not a pushrun spool file";
    return std::nullopt;
  }
  text.remove_prefix(kMagic.size());
  SpooledReport report;
  bool have_job = false;
  for (;;) {
    std::size_t eol = text.find('\n');
    if (eol == std::string_view::npos) {
      *problem = "truncated header";
      return std::nullopt;
    }
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    if (line == "# body") break;
    if (line.starts_with("# method ")) {
      report.method = line.substr(9);
      if (report.method != "POST" && report.method != "PUT" && report.method != "DELETE") {
        *problem = "unknown method \"" + report.method + "\"";
        return std::nullopt;
      }
    } else if (line.starts_with("# job ")) {
      auto job = Unhex(line.substr(6));
      if (!job) break;
      report.params.job_name = *job;
      have_job = true;
    } else if (line.starts_with("# label ")) {
      std::string_view rest = line.substr(8);
      std::size_t space = rest.find(' ');
      auto name = Unhex(rest.substr(0, space));
      auto value = space == std::string_view::npos ? std::nullopt : Unhex(rest.substr(space + 1));
      if (!name || !value) {
        *problem = "bad label line";
        return std::nullopt;
      }
      report.params.groupings[*name] = *value;
    } else {
      *problem = "unexpected header line";
      return std::nullopt;
    }
  }
  if (!have_job || report.method.empty()) {
    *problem = "header without job or method";
    return std::nullopt;
  }
  if (report.method == "DELETE") {
    if (!text.empty()) {
      *problem = "a DELETE with a body";
      return std::nullopt;
    }
    return report;
  }
  metrics::ParseResult parsed = metrics::ParseText(text);
  if (!parsed.ok()) {
    *problem = "body: " + parsed.error->Format("report");
    return std::nullopt;
  }
  report.body = std::string(text);
  return report;
}

// Holds an exclusive flock on the spool directory's lock file for its lifetime.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) {
    fd_ = ::open((dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ >= 0) {
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// `newer` with the last-success family of `older` added when `newer` has none.
std::string MergeBodies(const std::string& older, const std::string& newer,
                        const std::string& last_success_family) {
  metrics::ParseResult old_parsed = metrics::ParseText(older);
  metrics::ParseResult new_parsed = metrics::ParseText(newer);
  if (!old_parsed.ok() || !new_parsed.ok()) return newer;
  auto named = [&](const metrics::MetricFamily& f) { return f.name == last_success_family; };
  auto& families = new_parsed.families;
  if (std::any_of(families.begin(), families.end(), named)) return newer;
  auto kept = std::find_if(old_parsed.families.begin(), old_parsed.families.end(), named);
  if (kept == old_parsed.families.end()) return newer;
  families.push_back(*kept);
  return metrics::WriteText(families);
}

// What to store when `newer` arrives for the group of `older`: one report whose sending leaves
// the gateway as sending both in order would.
SpooledReport Combine(const SpooledReport& older, const SpooledReport& newer,
                      const std::string& last_success_family) {
  // A DELETE removes whatever the older report would have pushed.
  if (newer.method == "DELETE") return newer;
  SpooledReport combined = newer;
  if (older.method == "DELETE") {
    // DELETE then POST leaves the group with only the POSTed families, which is what a PUT
    // does in one request. Nothing of the deleting run is carried over, not even its
    // last-success time: online, a failed run's POST after the delete leaves none either.
    combined.method = "PUT";
    return combined;
  }
  if (older.method == "PUT" && newer.method == "POST") {
    // PUT then POST: the older report's families, those the newer one has replaced by its
    // own. Still a PUT, so that a DELETE before the older report keeps its effect.
    metrics::ParseResult parsed = metrics::ParseText(newer.body);
    if (parsed.ok()) {
      combined.method = "PUT";
      combined.body =
          metrics::WriteText(MergeFamilies(older.body, std::move(parsed.families), /*merge=*/true));
    }
    return combined;
  }
  combined.body = MergeBodies(older.body, newer.body, last_success_family);
  return combined;
}

// Whether the file at `path` still holds exactly `report` (nobody stored a newer one).
bool StillHolds(const std::string& path, const SpooledReport& report) {
  std::string text, problem;
  if (!ReadFileBounded(path, kMaxSpoolFile, &text).empty()) return false;
  auto current = Deserialize(text, &problem);
  return current && current->method == report.method &&
         current->params.job_name == report.params.job_name &&
         current->params.groupings == report.params.groupings && current->body == report.body;
}

// "20261125T233000Z": when a report was set aside, in its new name.
std::string UtcStamp() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y%m%dT%H%M%SZ", &utc);
  return buffer;
}

}  // namespace

Spool::Spool(std::string dir, std::string last_success_family)
    : dir_(std::move(dir)), last_success_family_(std::move(last_success_family)) {}

std::string Spool::Store(const SpooledReport& report) const {
  if (report.method == "DELETE" && !report.body.empty()) {
    throw std::invalid_argument("Spool::Store: a DELETE has no body");
  }
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return "create spool directory " + dir_ + ": " + std::strerror(errno);
  }
  DirectoryLock lock(dir_);
  if (!lock.ok()) return "lock spool directory " + dir_ + ": " + std::strerror(errno);
  const std::string path = dir_ + "/" + FileNameFor(report.params);
  SpooledReport merged = report;
  std::string text, problem;
  if (ReadFileBounded(path, kMaxSpoolFile, &text).empty()) {
    if (auto older = Deserialize(text, &problem);
        older && older->params.job_name == report.params.job_name &&
        older->params.groupings == report.params.groupings) {
      merged = Combine(*older, report, last_success_family_);
    }
  }
  return WriteFileAtomically(path, Serialize(merged), 0600);
}

Spool::Listing Spool::List() const {
  Listing listing;
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) {
    if (ec != std::errc::no_such_file_or_directory) {
      listing.problems.push_back(dir_ + ": " + ec.message());
    }
    return listing;
  }
  std::vector<std::string> names;
  for (const auto& entry : it) {
    std::string name = entry.path().filename();
    if (name == ".lock" || name.starts_with(".")) continue;  // the lock, temporary files
    std::error_code type_error;
    if (name == kRejected && entry.is_directory(type_error)) continue;  // set aside for good
    names.push_back(entry.path());
  }
  std::sort(names.begin(), names.end());
  for (const std::string& path : names) {
    std::string text, problem;
    std::string error = ReadFileBounded(path, kMaxSpoolFile, &text);
    if (!error.empty()) {
      listing.problems.push_back(error + " (skipped, left in place)");
      continue;
    }
    if (!path.ends_with(kSuffix)) {
      listing.problems.push_back(path + ": not a pushrun spool file (skipped, left in place)");
      continue;
    }
    auto report = Deserialize(text, &problem);
    if (!report) {
      listing.problems.push_back(path + ": " + problem + " (skipped, left in place)");
      continue;
    }
    report->path = path;
    listing.reports.push_back(std::move(*report));
  }
  return listing;
}

Spool::FlushResult Spool::Flush(const Sender& send, const metrics::PushParams* only) const {
  FlushResult result;
  std::vector<std::string>& errors = result.errors;
  std::vector<SpooledReport> reports;
  if (only != nullptr) {
    // Just this group's file: a run that flushes its own group reads nothing else.
    const std::string path = dir_ + "/" + FileNameFor(*only);
    std::string text, problem;
    if (!ReadFileBounded(path, kMaxSpoolFile, &text).empty()) return result;  // none spooled
    auto report = Deserialize(text, &problem);
    if (!report) {
      errors.push_back(path + ": " + problem + " (skipped, left in place)");
      return result;
    }
    if (report->params.job_name != only->job_name || report->params.groupings != only->groupings) {
      return result;  // another group with the same file name hash
    }
    report->path = path;
    reports.push_back(std::move(*report));
  } else {
    Listing listing = List();
    errors = std::move(listing.problems);
    reports = std::move(listing.reports);
  }
  // No lock is held while sending: a slow gateway must not make concurrent runs wait on the
  // spool (their push deadline would pass). Files are replaced by atomic renames, so what was
  // read is a whole report; it is removed below only if nobody replaced it meanwhile.
  for (const SpooledReport& report : reports) {
    const SendOutcome outcome = send(report);
    if (outcome.error.empty()) {
      if (std::string removal = RemoveDelivered(report); !removal.empty()) {
        errors.push_back(report.path + ": delivered but not removed: " + removal);
      }
      continue;
    }
    if (!outcome.refused) {
      errors.push_back(report.path + ": " + outcome.error + " (kept for the next flush)");
      continue;
    }
    // Refused for good: kept where nothing sends it again, so the next flush can succeed.
    std::string moved_to;
    if (std::string failure = SetAside(report, &moved_to); !failure.empty()) {
      errors.push_back(report.path + ": refused by the gateway: " + outcome.error +
                       "; could not set it aside: " + failure + " (kept for the next flush)");
    } else if (moved_to.empty()) {
      errors.push_back(report.path + ": refused by the gateway: " + outcome.error +
                       "; a newer report of the group replaced it meanwhile (kept for the next "
                       "flush)");
    } else {
      result.set_aside.push_back(report.path + ": refused by the gateway: " + outcome.error +
                                 "; moved to " + moved_to + ", it will not be sent again");
    }
  }
  return result;
}

std::string Spool::SetAside(const SpooledReport& refused, std::string* moved_to) const {
  DirectoryLock lock(dir_);
  if (!lock.ok()) return "lock spool directory " + dir_ + ": " + std::strerror(errno);
  if (!StillHolds(refused.path, refused)) return {};
  const std::string rejected = rejected_dir();
  if (::mkdir(rejected.c_str(), 0700) != 0 && errno != EEXIST) {
    return "create " + rejected + ": " + std::strerror(errno);
  }
  // group-<hash>-<time>[-N].report: a group refused again later does not overwrite the first.
  std::string stem = fs::path(refused.path).filename().string();
  if (stem.ends_with(kSuffix)) stem.resize(stem.size() - kSuffix.size());
  stem += "-" + UtcStamp();
  std::string target = rejected + "/" + stem + std::string(kSuffix);
  for (int n = 2; ::access(target.c_str(), F_OK) == 0; ++n) {
    target = rejected + "/" + stem + "-" + std::to_string(n) + std::string(kSuffix);
  }
  if (::rename(refused.path.c_str(), target.c_str()) != 0) {
    return "move it to " + target + ": " + std::strerror(errno);
  }
  *moved_to = target;
  return {};
}

std::string Spool::RemoveDelivered(const SpooledReport& delivered) const {
  DirectoryLock lock(dir_);
  if (!lock.ok()) return "lock spool directory " + dir_ + ": " + std::strerror(errno);
  // Gone already, or a run stored a newer report for the group while this one was on its
  // way: that one (merged over the delivered one) stays for the next flush.
  if (!StillHolds(delivered.path, delivered)) return {};
  if (::unlink(delivered.path.c_str()) != 0 && errno != ENOENT) return std::strerror(errno);
  return {};
}

}  // namespace pushrun::runner
