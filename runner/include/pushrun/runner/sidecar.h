#pragma once
// The sidecar: a file the wrapped command may write extra metrics to (text format 0.0.4),
// named by PUSHRUN_METRICS_FILE. After the command exits pushrun reads it (bounded, regular
// files only, never through a symlink), parses it strictly and checks it against the report's
// rules. It is all or nothing: any problem refuses the whole file with one
// "file:line:col: message" error.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/metrics/family.h"

namespace pushrun::runner {

inline constexpr std::string_view kSidecarEnvironmentVariable = "PUSHRUN_METRICS_FILE";

struct SidecarRules {
  std::string prefix = "pushrun";            // "<prefix>_*" belongs to pushrun's own report
  std::vector<std::string> reserved_labels;  // "job" and the grouping label names
  std::size_t max_bytes = 16 * 1024 * 1024;
  std::size_t max_series = 100'000;
  // Check only: the families come back without samples, unless ReadSidecarFile cannot set
  // SidecarResult::text (then it parses again with them). For a report that goes to a gateway,
  // which sends the text; memory then stays that of the largest family, not the whole file.
  bool validate_only = false;
};

struct SidecarResult {
  std::vector<metrics::MetricFamily> families;  // empty when refused
  std::optional<std::string> error;             // "file:line:col: message" or "file: message"
  // ReadSidecarFile only: the file's checked bytes (the parser wants a final newline) when they can
  // go to the Pushgateway as they are, so they need not be serialized again; "" otherwise (refused,
  // empty, or HELP/TYPE lines of families without samples, which the families leave out).
  std::string text;
  bool ok() const { return !error.has_value(); }
};

// Parses and checks sidecar text (no I/O). `source` names the file in error messages. With
// `protobuf`, every family that passes is appended there as protobuf as soon as it is parsed.
SidecarResult CheckSidecarText(std::string_view text, std::string_view source,
                               const SidecarRules& rules, std::string* protobuf = nullptr);

// Reads and checks the file at `path`. A missing file is an empty, valid sidecar. Never reads
// more than rules.max_bytes + 1 bytes, never follows a symlink, refuses anything but a regular
// file, and never blocks on a FIFO.
SidecarResult ReadSidecarFile(const std::string& path, const SidecarRules& rules);

// The two halves of ReadSidecarFile, for a caller that does more with the bytes.
// ReadSidecarBytes reads them with its limits ("" and no bytes for a missing file) and returns
// "" or what is wrong; CheckSidecarBytes checks them as ReadSidecarFile does, except that
// instead of setting SidecarResult::text it says in `as_is` whether the bytes may go as they
// are. With `protobuf`, every family that passes is also appended there as protobuf
// (AppendProtobuf) as soon as it is parsed, so validate_only still drops its samples at once;
// after a refusal its content means nothing.
std::string ReadSidecarBytes(const std::string& path, const SidecarRules& rules, std::string* text);
SidecarResult CheckSidecarBytes(std::string_view text, const std::string& path,
                                const SidecarRules& rules, bool* as_is,
                                std::string* protobuf = nullptr);

// Where the command writes its sidecar. A private one is an empty 0600 file in a fresh 0700
// directory (mkdtemp under $TMPDIR, else $XDG_RUNTIME_DIR, /dev/shm or /tmp), held open from
// creation to removal: it is read and emptied through that directory (openat, unlinkat, never
// following a symlink), so a command that swaps the directory's path for a symlink to another
// one gets a refusal, and nothing outside is read or removed. Inside it, the file may be
// replaced by a rename (that is how a command replaces it atomically), but a symlink or
// anything other than a regular file is refused. A user-given path (--sidecar) is neither
// created, truncated nor removed.
class SidecarFile {
 public:
  // Returns nothing and sets `error` when the directory or file cannot be created.
  static std::optional<SidecarFile> CreatePrivate(std::string* error);
  static SidecarFile UseExisting(std::string path);

  SidecarFile(SidecarFile&& other) noexcept;
  SidecarFile& operator=(SidecarFile&& other) noexcept;
  SidecarFile(const SidecarFile&) = delete;
  SidecarFile& operator=(const SidecarFile&) = delete;
  ~SidecarFile();

  const std::string& path() const { return path_; }
  // The private directory, empty for a user-given path.
  const std::string& directory() const { return directory_; }
  // "PUSHRUN_METRICS_FILE=<path>" for the command's environment.
  std::string EnvironmentEntry() const;

  // ReadSidecarBytes for this sidecar: a private one through its held directory, refused when
  // its directory's path no longer names that directory.
  std::string ReadBytes(const SidecarRules& rules, std::string* text) const;
  // ReadSidecarFile for this sidecar, reading with ReadBytes.
  SidecarResult Read(const SidecarRules& rules) const;

 private:
  SidecarFile(std::string path, std::string directory, int directory_fd)
      : path_(std::move(path)), directory_(std::move(directory)), directory_fd_(directory_fd) {}
  void Remove();

  std::string path_;
  std::string directory_;
  int directory_fd_ = -1;  // the private directory, open from creation to removal
};

}  // namespace pushrun::runner
