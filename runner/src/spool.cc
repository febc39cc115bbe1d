// Spool files look like this (hex keeps any byte of a job or label value safe):
//   # pushrun spool v1
//   # target 687474703a2f2f...  (optional: the target it goes to, see Spool; none: the first
//                                gateway, as every file before targets)
//   # method POST
//   # job 6e696768746c79
//   # label 696e7374616e6365 6462
//   # ended 1764430200.25   (optional: when the run ended, orders the group's reports)
//   # delete 70726f6772657373 gauge  (optional, repeated: a family the report removes, and
//                                     its type; see SpooledReport::deletions)
//   # body
//   <the report, text format 0.0.4; nothing for "# method DELETE">

#include "pushrun/runner/spool.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

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
constexpr std::string_view kSuperseded = "superseded";

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

// A stable file name per (target, group): FNV-1a of both, so any job or label value fits in a
// name. The one Pushgateway ("" target) keeps the names spools had before targets.
std::string FileNameFor(std::string_view target, const metrics::PushParams& params) {
  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](std::string_view s) {
    for (unsigned char c : s) hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0xff) * 1099511628211ull;  // separator: ("ab","c") != ("a","bc")
  };
  if (!target.empty()) {
    mix("target");
    mix(target);
  }
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
  if (!report.target.empty()) out += "# target " + Hex(report.target) + "\n";
  out += "# method " + report.method + "\n";
  out += "# job " + Hex(report.params.job_name) + "\n";
  for (const auto& [name, value] : report.params.groupings) {
    out += "# label " + Hex(name) + " " + Hex(value) + "\n";
  }
  if (report.ended != 0) {
    char ended[64];
    std::snprintf(ended, sizeof ended, "# ended %.17g\n", report.ended);
    out += ended;
  }
  for (const auto& [name, type] : report.deletions) {
    out += "# delete " + Hex(name) + " " + std::string(metrics::TypeName(type)) + "\n";
  }
  out += "# body\n";
  out += report.body;
  return out;
}

// A finite, non-negative number of seconds written by %.17g; nothing otherwise.
std::optional<double> ParseSeconds(std::string_view text) {
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) ||
      value < 0) {
    return std::nullopt;
  }
  return value;
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
    if (line.starts_with("# target ")) {
      auto target = Unhex(line.substr(9));
      if (!target || target->empty()) {
        *problem = "bad target line";
        return std::nullopt;
      }
      report.target = *target;
    } else if (line.starts_with("# method ")) {
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
    } else if (line.starts_with("# ended ")) {
      const std::optional<double> ended = ParseSeconds(line.substr(8));
      if (!ended) {
        *problem = "bad ended line";
        return std::nullopt;
      }
      report.ended = *ended;
    } else if (line.starts_with("# delete ")) {
      std::string_view rest = line.substr(9);
      const std::size_t space = rest.find(' ');
      auto name = Unhex(rest.substr(0, space));
      std::optional<metrics::MetricType> type;
      for (metrics::MetricType known :
           {metrics::MetricType::kCounter, metrics::MetricType::kGauge,
            metrics::MetricType::kHistogram, metrics::MetricType::kSummary,
            metrics::MetricType::kUntyped}) {
        if (space != std::string_view::npos && rest.substr(space + 1) == metrics::TypeName(known)) {
          type = known;
        }
      }
      if (!name || name->empty() || !type) {
        *problem = "bad delete line";
        return std::nullopt;
      }
      report.deletions[*name] = *type;
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
    if (!text.empty() || !report.deletions.empty()) {
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

// Version 2 files keep requests as they will be sent (a remote-write target's): one file per
// (target, group) holding its requests first in, first out:
//   # pushrun spool v2
//   # target 72656d6f7465...        (optional, as in v1)
//   # job 6e696768746c79
//   # label 6462 6d61696e           (repeated)
//   # answer 343030...              (only in rejected/: why the receiver refused it)
//   # request POST 1764430200.25 1234 687474703a2f2f...   (method, ended, body bytes, URL)
//   # header 436f6e74656e742d54797065 6170706c...        (repeated: the content's headers)
//   # body
//   <exactly that many bytes>\n
//   # request ...                   (the next one)
constexpr std::string_view kQueueMagic = "# pushrun spool v2\n";

std::string SerializeQueue(const std::string& target, const metrics::PushParams& params,
                           const std::vector<SpooledReport>& entries,
                           std::string_view answer = {}) {
  std::string out(kQueueMagic);
  if (!target.empty()) out += "# target " + Hex(target) + "\n";
  out += "# job " + Hex(params.job_name) + "\n";
  for (const auto& [name, value] : params.groupings) {
    out += "# label " + Hex(name) + " " + Hex(value) + "\n";
  }
  if (!answer.empty()) out += "# answer " + Hex(answer) + "\n";
  for (const SpooledReport& entry : entries) {
    const metrics::EncodedRequest& request = *entry.request;
    char head[128];
    std::snprintf(head, sizeof head, "# request %s %.17g %zu ", request.method.c_str(), entry.ended,
                  request.body.size());
    out += head + Hex(request.url) + "\n";
    for (const auto& [name, value] : request.headers) {
      out += "# header " + Hex(name) + " " + Hex(value) + "\n";
    }
    out += "# body\n";
    out += request.body;
    out += "\n";
  }
  return out;
}

// The entries of a version 2 file, each with its target, group, ended and request; or nothing
// with `problem` set.
std::optional<std::vector<SpooledReport>> DeserializeQueue(std::string_view text,
                                                           std::string* problem) {
  auto fail = [&](std::string why) -> std::optional<std::vector<SpooledReport>> {
    *problem = std::move(why);
    return std::nullopt;
  };
  if (text.substr(0, kQueueMagic.size()) != kQueueMagic) return fail("not a pushrun spool file");
  text.remove_prefix(kQueueMagic.size());
  SpooledReport common;
  bool have_job = false;
  std::vector<SpooledReport> entries;
  SpooledReport* entry = nullptr;
  std::size_t body_size = 0;
  while (!text.empty()) {
    const std::size_t eol = text.find('\n');
    if (eol == std::string_view::npos) return fail("truncated header");
    const std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol + 1);
    if (line == "# body") {
      if (entry == nullptr || text.size() < body_size + 1 || text[body_size] != '\n') {
        return fail("truncated body");
      }
      entry->request->body = std::string(text.substr(0, body_size));
      text.remove_prefix(body_size + 1);
      entry = nullptr;
    } else if (line.starts_with("# request ")) {
      if (entry != nullptr || !have_job) return fail("bad request line");
      // METHOD ENDED SIZE URL
      std::vector<std::string_view> fields;
      std::string_view rest = line.substr(10);
      for (std::size_t space; (space = rest.find(' ')) != std::string_view::npos;) {
        fields.push_back(rest.substr(0, space));
        rest.remove_prefix(space + 1);
      }
      fields.push_back(rest);
      const std::optional<double> ended =
          fields.size() == 4 ? ParseSeconds(fields[1]) : std::nullopt;
      const std::optional<std::string> url = fields.size() == 4 ? Unhex(fields[3]) : std::nullopt;
      const auto [end, error] =
          fields.size() == 4
              ? std::from_chars(fields[2].data(), fields[2].data() + fields[2].size(), body_size)
              : std::from_chars_result{nullptr, std::errc::invalid_argument};
      if (!ended || !url || error != std::errc() || (fields[0] != "POST" && fields[0] != "PUT")) {
        return fail("bad request line");
      }
      entries.push_back(common);
      entry = &entries.back();
      entry->method = std::string(fields[0]);
      entry->ended = *ended;
      entry->request = metrics::EncodedRequest{};
      entry->request->method = entry->method;
      entry->request->url = *url;
    } else if (line.starts_with("# header ")) {
      const std::string_view rest = line.substr(9);
      const std::size_t space = rest.find(' ');
      auto name = Unhex(rest.substr(0, space));
      auto value = space == std::string_view::npos ? std::nullopt : Unhex(rest.substr(space + 1));
      if (entry == nullptr || !name || !value) return fail("bad header line");
      entry->request->headers.emplace_back(std::move(*name), std::move(*value));
    } else if (!entries.empty()) {
      return fail("unexpected line after the first request");
    } else if (line.starts_with("# target ")) {
      auto target = Unhex(line.substr(9));
      if (!target || target->empty()) return fail("bad target line");
      common.target = *target;
    } else if (line.starts_with("# job ")) {
      auto job = Unhex(line.substr(6));
      if (!job) return fail("bad job line");
      common.params.job_name = *job;
      have_job = true;
    } else if (line.starts_with("# label ")) {
      const std::string_view rest = line.substr(8);
      const std::size_t space = rest.find(' ');
      auto name = Unhex(rest.substr(0, space));
      auto value = space == std::string_view::npos ? std::nullopt : Unhex(rest.substr(space + 1));
      if (!name || !value) return fail("bad label line");
      common.params.groupings[*name] = *value;
    } else if (line.starts_with("# answer ")) {
      // Kept for people reading rejected/; never sent.
    } else {
      return fail("unexpected header line");
    }
  }
  if (entry != nullptr) return fail("truncated body");
  if (entries.empty()) return fail("no request");
  return entries;
}

// Every entry of a spool file of either version; or nothing with `problem` set.
std::optional<std::vector<SpooledReport>> DeserializeAny(std::string_view text,
                                                         std::string* problem) {
  if (text.starts_with(kQueueMagic)) return DeserializeQueue(text, problem);
  std::optional<SpooledReport> report = Deserialize(text, problem);
  if (!report) return std::nullopt;
  return std::vector<SpooledReport>{std::move(*report)};
}

bool SameRequest(const SpooledReport& a, const SpooledReport& b) {
  return a.ended == b.ended && a.request && b.request && a.request->method == b.request->method &&
         a.request->url == b.request->url && a.request->body == b.request->body;
}

std::string Octal(mode_t mode) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
  return buffer;
}

// As ssh's StrictModes: a spool file another user (other than root) owns, or anyone may write,
// may hold a report planted to be sent with our credentials. Group-writable is fine: on
// Kubernetes volumes fsGroup makes every file so.
std::string DistrustedFile(const struct stat& st) {
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0) {
    return "owned by uid " + std::to_string(st.st_uid) + ", neither this user (uid " +
           std::to_string(me) + ") nor root: refused, not sent (left in place)";
  }
  if ((st.st_mode & S_IWOTH) != 0) {
    return "writable by anyone (mode " + Octal(st.st_mode) +
           "): refused, not sent (left in place; `chmod o-w` it if its report is yours)";
  }
  return {};
}

// Reads a spool file that passes DistrustedFile; "" or what is wrong ("<path>: ...").
std::string ReadSpoolFile(const std::string& path, std::string* text) {
  struct stat st {};
  if (std::string error = ReadFileBounded(path, kMaxSpoolFile, text, &st); !error.empty()) {
    return error;
  }
  if (std::string why = DistrustedFile(st); !why.empty()) {
    text->clear();
    return path + ": " + why;
  }
  return {};
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
  // Sending both in order deletes what either deletes, except what the newer one pushes
  // (sending skips a deletion of a family the body carries).
  combined.deletions.insert(older.deletions.begin(), older.deletions.end());
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
      // The newer report's deletions remove the older one's families of those names.
      std::vector<metrics::MetricFamily> kept;
      if (metrics::ParseResult old_parsed = metrics::ParseText(older.body); old_parsed.ok()) {
        for (metrics::MetricFamily& family : old_parsed.families) {
          if (!newer.deletions.count(family.name)) {
            kept.push_back(std::move(family));
          }
        }
      }
      combined.body =
          metrics::WriteText(MergeFamilies(metrics::WriteText(kept), std::move(parsed.families),
                                           /*merge=*/true));
    }
    return combined;
  }
  combined.body = MergeBodies(older.body, newer.body, last_success_family);
  return combined;
}

// Whether the file at `path` still holds exactly `report` (nobody stored a newer one).
bool StillHolds(const std::string& path, const SpooledReport& report) {
  std::string text, problem;
  if (!ReadSpoolFile(path, &text).empty()) return false;
  auto current = Deserialize(text, &problem);
  return current && current->target == report.target && current->method == report.method &&
         current->params.job_name == report.params.job_name &&
         current->params.groupings == report.params.groupings && current->body == report.body &&
         current->deletions == report.deletions;
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

Spool::Spool(std::string dir, std::string last_success_family, std::string target)
    : dir_(std::move(dir)),
      last_success_family_(std::move(last_success_family)),
      target_(std::move(target)) {}

std::string Spool::CheckPermissions() const {
  struct stat st {};
  if (::stat(dir_.c_str(), &st) != 0) {
    return errno == ENOENT ? std::string() : dir_ + ": " + std::strerror(errno);
  }
  if (!S_ISDIR(st.st_mode)) return dir_ + ": not a directory";
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0) {
    return "spool directory " + dir_ + " is owned by uid " + std::to_string(st.st_uid) +
           ", neither this user (uid " + std::to_string(me) +
           ") nor root: its owner could plant reports that pushrun would send with its "
           "credentials; use a directory of your own";
  }
  if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
    return "spool directory " + dir_ + " is writable by anyone (mode " + Octal(st.st_mode) +
           ") without the sticky bit: anyone could plant reports that pushrun would send with "
           "its credentials; `chmod o-w` it (or `chmod +t`)";
  }
  return {};
}

std::string Spool::FileName(const metrics::PushParams& group) const {
  return FileNameFor(target_, group);
}

GroupTurn::GroupTurn(GroupTurn&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

GroupTurn::~GroupTurn() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

double GroupTurn::last_delivered() const {
  char buffer[64];
  const ssize_t n = ::pread(fd_, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return 0;
  std::string_view text(buffer, static_cast<std::size_t>(n));
  if (text.ends_with('\n')) text.remove_suffix(1);
  return ParseSeconds(text).value_or(0);  // a torn or foreign record: as if none
}

void GroupTurn::RecordDelivered(double ended) {
  if (ended <= last_delivered()) return;
  char buffer[64];
  const int n = std::snprintf(buffer, sizeof buffer, "%.17g\n", ended);
  // Best effort: a record that cannot be written only weakens the check for older reports.
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t written = ::pwrite(fd_, buffer, static_cast<std::size_t>(n), 0);
  }
}

std::optional<GroupTurn> Spool::TakeTurn(const metrics::PushParams& group, Clock::time_point until,
                                         std::string* error, bool* busy) const {
  if (busy != nullptr) *busy = false;
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    *error = "create spool directory " + dir_ + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (std::string problem = CheckPermissions(); !problem.empty()) {
    *error = std::move(problem);
    return std::nullopt;
  }
  std::string name = FileName(group);
  name.resize(name.size() - kSuffix.size());
  const std::string path = dir_ + "/." + name + ".lock";
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      *error = "open " + path + ": " + std::strerror(errno);
      return std::nullopt;
    }
    GroupTurn turn(fd);
    // Polled rather than a blocking flock, so the wait ends at `until` without a signal.
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        *error = "lock " + path + ": " + std::strerror(errno);
        return std::nullopt;
      }
      const auto now = Clock::now();
      if (now >= until) {
        *error = "another pushrun is delivering this group (it holds " + path + ")";
        if (busy != nullptr) *busy = true;
        return std::nullopt;
      }
      std::this_thread::sleep_for(
          std::min<Clock::duration>(until - now, std::chrono::milliseconds(20)));
    }
    // PruneRecords may have removed the file while this one waited for its lock: a lock on a
    // removed file excludes nobody, so take the turn on the file the path names now.
    struct stat held {};
    struct stat named {};
    if (::fstat(fd, &held) == 0 && ::lstat(path.c_str(), &named) == 0 &&
        held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
      return turn;
    }
  }
}

std::size_t Spool::PruneRecords(std::chrono::seconds age) const {
  std::error_code ec;
  fs::directory_iterator it(dir_, ec);
  if (ec) return 0;
  const std::time_t cutoff = std::time(nullptr) - age.count();
  std::size_t removed = 0;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename();
    if (!name.starts_with(".group-") || !name.ends_with(".lock")) continue;
    const std::string report =
        dir_ + "/" + name.substr(1, name.size() - 1 - 5) + std::string(kSuffix);
    const std::string path = entry.path();
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_mtime > cutoff) continue;
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) continue;
    // Only a group nobody is sending and nothing is spooled for; a waiting taker notices the
    // removal (see TakeTurn).
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::access(report.c_str(), F_OK) != 0 &&
        errno == ENOENT && ::unlink(path.c_str()) == 0) {
      ++removed;
    }
    ::close(fd);
  }
  return removed;
}

std::string Spool::Store(const SpooledReport& report) const {
  if (report.method == "DELETE" && !report.body.empty()) {
    throw std::invalid_argument("Spool::Store: a DELETE has no body");
  }
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return "create spool directory " + dir_ + ": " + std::strerror(errno);
  }
  if (std::string problem = CheckPermissions(); !problem.empty()) return problem;
  DirectoryLock lock(dir_);
  if (!lock.ok()) return "lock spool directory " + dir_ + ": " + std::strerror(errno);
  const std::string path = dir_ + "/" + FileName(report.params);
  SpooledReport merged = report;
  merged.target = target_;
  std::string text, problem;
  // A file that is not ours is never merged into our report: the rename below replaces it.
  if (ReadSpoolFile(path, &text).empty()) {
    if (auto stored = Deserialize(text, &problem);
        stored && stored->target == report.target &&
        stored->params.job_name == report.params.job_name &&
        stored->params.groupings == report.params.groupings) {
      // In the order the runs ended, whatever order they reached the spool in.
      if (report.ended != 0 && stored->ended > report.ended) {
        merged = Combine(report, *stored, last_success_family_);
      } else {
        merged = Combine(*stored, report, last_success_family_);
      }
    }
  }
  return WriteFileAtomically(path, Serialize(merged), 0600);
}

Spool::Listing Spool::List() const {
  Listing listing;
  if (std::string problem = CheckPermissions(); !problem.empty()) {
    listing.problems.push_back(problem + " (nothing in it is sent)");
    return listing;
  }
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
    if ((name == kRejected || name == kSuperseded) && entry.is_directory(type_error)) {
      continue;  // set aside for good
    }
    names.push_back(entry.path());
  }
  std::sort(names.begin(), names.end());
  for (const std::string& path : names) {
    std::string text, problem;
    std::string error = ReadSpoolFile(path, &text);
    if (!error.empty()) {
      // Gone since the directory was read: another flush or run delivered it.
      if (struct stat st{}; ::lstat(path.c_str(), &st) != 0 && errno == ENOENT) continue;
      listing.problems.push_back(error + " (skipped, left in place)");
      continue;
    }
    if (!path.ends_with(kSuffix)) {
      listing.problems.push_back(path + ": not a pushrun spool file (skipped, left in place)");
      continue;
    }
    auto entries = DeserializeAny(text, &problem);
    if (!entries) {
      listing.problems.push_back(path + ": " + problem + " (skipped, left in place)");
      continue;
    }
    for (SpooledReport& report : *entries) {
      report.path = path;
      listing.reports.push_back(std::move(report));
    }
  }
  return listing;
}

Spool::FlushResult Spool::Flush(const Sender& send, const metrics::PushParams* only) const {
  FlushResult result;
  std::vector<metrics::PushParams> groups;
  if (only != nullptr) {
    groups.push_back(*only);
  } else {
    Listing listing = List();
    result.errors = std::move(listing.problems);
    for (SpooledReport& report : listing.reports) {
      // Another target's entries are sent by that target's flush; a queue's entries all belong
      // to one group, flushed once.
      const bool seen = std::any_of(groups.begin(), groups.end(), [&](const auto& group) {
        return group.job_name == report.params.job_name &&
               group.groupings == report.params.groupings;
      });
      if (report.target == target_ && !seen) groups.push_back(std::move(report.params));
    }
  }
  for (const metrics::PushParams& group : groups) {
    // Another process (or thread) sending this group right now sends the spooled report too,
    // or keeps it: sending it here as well would send it twice, maybe after a newer report.
    std::string error;
    bool busy = false;
    std::optional<GroupTurn> turn = TakeTurn(group, Clock::now(), &error, &busy);
    if (!turn) {
      (busy ? result.busy : result.errors)
          .push_back(dir_ + "/" + FileName(group) + ": " + error + (busy ? " (left to it)" : ""));
      continue;
    }
    FlushResult one = FlushGroup(send, group, *turn);
    using List = std::vector<std::string> FlushResult::*;
    for (List list : {&FlushResult::errors, &FlushResult::set_aside, &FlushResult::superseded,
                      &FlushResult::busy}) {
      (result.*list).insert((result.*list).end(), (one.*list).begin(), (one.*list).end());
    }
  }
  return result;
}

Spool::FlushResult Spool::FlushGroup(const Sender& send, const metrics::PushParams& group,
                                     GroupTurn& turn) const {
  FlushResult result;
  // Read under the turn: what a listing saw may have been delivered by the turn's previous
  // holder, or merged with a newer report since.
  const std::string path = dir_ + "/" + FileName(group);
  std::string text, problem;
  if (struct stat st{}; ::lstat(path.c_str(), &st) != 0 && errno == ENOENT) {
    return result;  // none spooled
  }
  if (std::string error = ReadSpoolFile(path, &text); !error.empty()) {
    // Gone since the check above: another flush delivered it (nothing left to send).
    if (struct stat st{}; ::lstat(path.c_str(), &st) != 0 && errno == ENOENT) return result;
    result.errors.push_back(error + " (skipped, left in place)");
    return result;
  }
  auto entries = DeserializeAny(text, &problem);
  if (!entries) {
    result.errors.push_back(path + ": " + problem + " (skipped, left in place)");
    return result;
  }
  const SpooledReport& first = entries->front();
  if (first.target != target_ || first.params.job_name != group.job_name ||
      first.params.groupings != group.groupings) {
    return result;  // another (target, group) with the same file name hash
  }
  for (SpooledReport& entry : *entries) entry.path = path;
  if (first.request) {
    DeliverQueue(*entries, turn, send, result);
  } else {
    DeliverHeld(first, turn, send, result);
  }
  return result;
}

void Spool::DeliverQueue(const std::vector<SpooledReport>& entries, GroupTurn& turn,
                         const Sender& send, FlushResult& result) const {
  // First in, first out: a receiver refuses a sample older than one it holds, so no entry may
  // be sent after a newer one of its series. One the receiver refused for good is set aside and
  // the next is sent; one it could not take now stops the queue there.
  std::size_t handled = 0;
  for (const SpooledReport& entry : entries) {
    const SendOutcome outcome = send(entry);
    if (outcome.error.empty()) {
      turn.RecordDelivered(entry.ended);
      ++handled;
      continue;
    }
    const std::size_t left = entries.size() - handled;
    if (!outcome.refused) {
      result.errors.push_back(
          entry.path + ": " + outcome.error + " (kept for the next flush" +
          (left > 1 ? ", with the " + std::to_string(left - 1) + " requests after it)" : ")"));
      break;
    }
    std::string moved_to;
    if (std::string failure = Reject(entry, outcome.error, &moved_to); !failure.empty()) {
      result.errors.push_back(entry.path + ": refused: " + outcome.error +
                              "; could not set it aside: " + failure +
                              " (kept for the next flush)");
      break;
    }
    result.set_aside.push_back(entry.path + ": refused: " + outcome.error + "; moved to " +
                               moved_to + " with the answer, it will not be sent again");
    ++handled;
  }
  if (handled == 0) return;
  if (std::string error = DropFront(entries, handled); !error.empty()) {
    result.errors.push_back(entries.front().path + ": sent but not removed: " + error);
  }
}

std::string Spool::Reject(const SpooledReport& entry, std::string_view answer,
                          std::string* moved_to) const {
  const std::string staged = dir_ + "/." + FileName(entry.params) + ".rejected";
  if (std::string error =
          WriteFileAtomically(staged, SerializeQueue(target_, entry.params, {entry}, answer), 0600);
      !error.empty()) {
    return error;
  }
  return MoveInto(staged, rejected_dir(), moved_to);
}

std::string Spool::DropFront(const std::vector<SpooledReport>& sent, std::size_t count) const {
  const std::string& path = sent.front().path;
  DirectoryLock lock(dir_);
  if (!lock.ok()) return "lock spool directory " + dir_ + ": " + std::strerror(errno);
  // Read again under the lock: a run may have queued a newer request meanwhile.
  std::string text, problem;
  if (std::string error = ReadSpoolFile(path, &text); !error.empty()) return error;
  auto now = DeserializeQueue(text, &problem);
  if (!now) return problem;
  for (std::size_t i = 0; i < count; ++i) {
    if (i >= now->size() || !SameRequest((*now)[i], sent[i])) return {};  // replaced meanwhile
  }
  now->erase(now->begin(), now->begin() + static_cast<std::ptrdiff_t>(count));
  if (now->empty()) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return std::strerror(errno);
    return {};
  }
  return WriteFileAtomically(path, SerializeQueue(target_, now->front().params, *now), 0600);
}

std::string Spool::Enqueue(const SpooledReport& entry) const {
  if (!entry.request) throw std::invalid_argument("Spool::Enqueue: an entry without a request");
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return "create spool directory " + dir_ + ": " + std::strerror(errno);
  }
  if (std::string problem = CheckPermissions(); !problem.empty()) return problem;
  DirectoryLock lock(dir_);
  if (!lock.ok()) return "lock spool directory " + dir_ + ": " + std::strerror(errno);
  const std::string path = dir_ + "/" + FileName(entry.params);
  std::vector<SpooledReport> entries;
  std::string text, problem;
  // A file that is not ours (or not a queue of this target and group) is replaced, as by Store.
  if (ReadSpoolFile(path, &text).empty()) {
    if (auto queued = DeserializeQueue(text, &problem);
        queued && queued->front().target == target_ &&
        queued->front().params.job_name == entry.params.job_name &&
        queued->front().params.groupings == entry.params.groupings) {
      entries = std::move(*queued);
    }
  }
  entries.push_back(entry);
  entries.back().target = target_;
  return WriteFileAtomically(path, SerializeQueue(target_, entry.params, entries), 0600);
}

void Spool::DeliverHeld(const SpooledReport& report, GroupTurn& turn, const Sender& send,
                        FlushResult& result) const {
  std::vector<std::string>& errors = result.errors;
  const double last = turn.last_delivered();
  if (report.ended != 0 && report.ended < last) {
    // Sent now, it would replace newer values on the gateway with older ones.
    std::string moved_to;
    char why[160];
    std::snprintf(why, sizeof why,
                  ": the run it reports on ended at %.3f, before the group's last delivered "
                  "report (%.3f)",
                  report.ended, last);
    if (std::string failure = Supersede(report, &moved_to); !failure.empty()) {
      errors.push_back(report.path + why + "; could not set it aside: " + failure +
                       " (kept, not sent)");
    } else if (!moved_to.empty()) {
      result.superseded.push_back(report.path + why + "; moved to " + moved_to +
                                  ", it will not be sent");
    }
    return;
  }
  // The turn is held across the request: a slow gateway delays only other senders of this
  // group, each of which waits no longer than its own push deadline.
  const SendOutcome outcome = send(report);
  if (outcome.error.empty()) {
    turn.RecordDelivered(report.ended);
    if (std::string removal = RemoveDelivered(report); !removal.empty()) {
      errors.push_back(report.path + ": delivered but not removed: " + removal);
    }
    return;
  }
  if (!outcome.refused) {
    errors.push_back(report.path + ": " + outcome.error + " (kept for the next flush)");
    return;
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

std::string Spool::SetAside(const SpooledReport& refused, std::string* moved_to) const {
  DirectoryLock lock(dir_);
  if (!lock.ok()) return "lock spool directory " + dir_ + ": " + std::strerror(errno);
  if (!StillHolds(refused.path, refused)) return {};
  return MoveInto(refused.path, rejected_dir(), moved_to);
}

std::string Spool::Supersede(const SpooledReport& report, std::string* moved_to) const {
  if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
    return "create spool directory " + dir_ + ": " + std::strerror(errno);
  }
  DirectoryLock lock(dir_);
  if (!lock.ok()) return "lock spool directory " + dir_ + ": " + std::strerror(errno);
  if (!report.path.empty()) {
    if (!StillHolds(report.path, report)) return {};  // merged with a newer one meanwhile
    return MoveInto(report.path, superseded_dir(), moved_to);
  }
  // A run's own report, never spooled: written there as a spool file.
  const std::string staged = dir_ + "/." + FileName(report.params) + ".superseded";
  if (std::string error = WriteFileAtomically(staged, Serialize(report), 0600); !error.empty()) {
    return error;
  }
  return MoveInto(staged, superseded_dir(), moved_to);
}

std::string Spool::MoveInto(const std::string& from, const std::string& folder,
                            std::string* moved_to) const {
  if (::mkdir(folder.c_str(), 0700) != 0 && errno != EEXIST) {
    return "create " + folder + ": " + std::strerror(errno);
  }
  // group-<hash>-<time>[-N].report: a group moved again later does not overwrite the first.
  std::string stem = fs::path(from).filename().string();
  if (stem.starts_with('.')) stem.erase(0, 1);
  stem.resize(stem.find(kSuffix) == std::string::npos ? stem.size() : stem.find(kSuffix));
  stem += "-" + UtcStamp();
  std::string target = folder + "/" + stem + std::string(kSuffix);
  for (int n = 2; ::access(target.c_str(), F_OK) == 0; ++n) {
    target = folder + "/" + stem + "-" + std::to_string(n) + std::string(kSuffix);
  }
  if (::rename(from.c_str(), target.c_str()) != 0) {
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
