#pragma once
// The spool: reports that could not be delivered, one file per group, kept until the gateway
// accepts them. Files are written atomically and guarded by a lock on the directory, so
// concurrent runs and `pushrun flush` never lose or mix up reports.
//
// The ordering rule, per (target, group) in one spool directory on one host: whoever sends a
// report of the group (a run, its flush of the group's spooled report, `pushrun flush`) holds
// the group's turn, an flock on "<dir>/.group-<hash>.lock", for the whole delivery, so two
// senders never overtake each other and a spooled entry is sent by one process at most. The
// lock file also records when the last report delivered for the group ended; a report that
// ended before that is never sent after it: it is moved to "<dir>/superseded/".

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pushrun/metrics/encoded_request.h"
#include "pushrun/metrics/family.h"
#include "pushrun/metrics/pushgateway.h"

namespace pushrun::runner {

struct SpooledReport {
  // The target it goes to (Spool's `target`); "" for the first gateway, as in every file
  // written before targets.
  std::string target;
  std::string method;  // "POST", "PUT" or "DELETE" (a --delete-on-success delete: no body)
  metrics::PushParams params;
  std::string body;  // text format 0.0.4; empty for a DELETE
  // Families the report removes from the group: series that only the run's heartbeats pushed.
  // Text cannot say "no samples", so they are kept apart and sent as empty families in
  // protobuf (a POST of an empty MetricFamily removes its series, and leaves the rest).
  // Each with the family's type, which the gateway keeps with the emptied family.
  std::map<std::string, metrics::MetricType> deletions;
  std::string path;  // the spool file it was read from (empty before storing)
  // When the run it reports on ended (Unix seconds): orders the reports of a group. 0 for a
  // file spooled by a pushrun that did not record it: sent, never judged superseded.
  double ended = 0;
  // A request kept as it will be sent (Spool::Enqueue; a remote-write target's), without
  // credentials: sent as it is, never parsed or built again. `body` and `deletions` are unused.
  std::optional<metrics::EncodedRequest> request{};
};

// The right to deliver the reports of one (target, group), held from Spool::TakeTurn to
// destruction; also the record of the last report delivered for it.
class GroupTurn {
 public:
  GroupTurn(GroupTurn&& other) noexcept;
  GroupTurn& operator=(GroupTurn&&) = delete;
  ~GroupTurn();

  // When the last report delivered for the group ended; 0 when none is recorded.
  double last_delivered() const;
  // Records that a report which ended at `ended` was delivered (kept if an even later one was).
  void RecordDelivered(double ended);

 private:
  friend class Spool;
  explicit GroupTurn(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// What a Spool::Sender made of one report.
struct SendOutcome {
  std::string error;     // "" when the gateway took the report
  bool refused = false;  // the gateway refused the report itself: resending cannot help
};

class Spool {
 public:
  // `last_success_family` is kept from an older report when a newer one lacks it, so a failed
  // run spooled after a successful one does not lose the success timestamp.
  // `target` names where the spooled reports go, so that each target of a report has its own
  // entries, turns and records; "" is the one Pushgateway (file names as before targets).
  Spool(std::string dir, std::string last_success_family, std::string target = {});

  // "" when the directory may be trusted (or does not exist yet), as ssh's StrictModes checks:
  // owned by this user or root, and not writable by anyone unless sticky (root-owned, group-
  // writable and setgid, as Kubernetes' fsGroup makes volumes, is fine); otherwise why not.
  // Files in it are trusted only when owned by this user or root and not writable by anyone:
  // others are reported (List, Flush) and never sent. Store, List, TakeTurn and Flush refuse a
  // directory that fails.
  std::string CheckPermissions() const;

  // Waits (polling) until the group's turn is free, at most until `until`; nothing when the
  // time ran out (`*busy` set) or the lock cannot be taken; `*error` says which. Creates the
  // directory.
  using Clock = std::chrono::steady_clock;
  std::optional<GroupTurn> TakeTurn(const metrics::PushParams& group, Clock::time_point until,
                                    std::string* error, bool* busy = nullptr) const;

  // Stores the report, merged with any report already spooled for its group so that sending
  // the one stored gives the gateway the state of sending both in order: a DELETE replaces
  // the older report; a POST or PUT after a DELETE is stored as a PUT of itself; a POST
  // after a PUT stays a PUT, of the older families under the newer ones; otherwise the newer
  // report, with the older last-success family when it has none. Creates the directory
  // (0700) if needed. Returns "" or what failed. Throws std::invalid_argument for a DELETE
  // with a body.
  std::string Store(const SpooledReport& report) const;

  // Appends a request kept as it will be sent (`entry.request`, with its group and ended) to
  // the queue of its (target, group): a remote-write receiver needs every report's samples, in
  // the order they were taken, so nothing is merged. Flush sends the queue first in, first out
  // and sets a request the target refuses for good aside in rejected_dir() with the answer.
  // Creates the directory (0700) if needed. Returns "" or what failed.
  std::string Enqueue(const SpooledReport& entry) const;

  struct Listing {
    std::vector<SpooledReport> reports;
    std::vector<std::string> problems;  // corrupt or foreign files: reported, never deleted
  };
  Listing List() const;

  // Removes the lock files (and so the records) of groups that have delivered nothing for
  // `age` and have nothing spooled, so per-run groups do not leave one file each forever.
  // Returns how many. A report of such a group that ended before its pruned record is no
  // longer recognised as superseded.
  std::size_t PruneRecords(std::chrono::seconds age) const;

  // Delivers spooled reports through `send`, each while holding its group's turn; a group
  // whose turn another process (or thread) holds is left to it and listed in `busy`. A report
  // is removed only after `send` succeeded. A report `send` says was refused is moved into
  // rejected_dir() (kept, never sent again), so it cannot block the spool forever; one older
  // than the group's last delivered report goes to superseded_dir(). With `only`, just that
  // group's report.
  using Sender = std::function<SendOutcome(const SpooledReport&)>;
  struct FlushResult {
    std::vector<std::string> errors;      // one line per report kept or file skipped
    std::vector<std::string> set_aside;   // one line per refused report moved: why and where
    std::vector<std::string> superseded;  // one line per stale report moved: why and where
    std::vector<std::string> busy;        // one line per report left to the turn's holder
  };
  FlushResult Flush(const Sender& send, const metrics::PushParams* only = nullptr) const;
  // The group's spooled report, if any, through `send`, by the holder of the group's `turn`.
  FlushResult FlushGroup(const Sender& send, const metrics::PushParams& group,
                         GroupTurn& turn) const;

  // Moves a report of the group whose turn is held, older than its last delivered one, into
  // superseded_dir() instead of sending it. Sets `*moved_to`; "" or what failed.
  std::string Supersede(const SpooledReport& report, std::string* moved_to) const;

  const std::string& dir() const { return dir_; }
  // "<dir>/rejected": reports the gateway refused, under a name with the time they were moved.
  std::string rejected_dir() const { return dir_ + "/rejected"; }
  // "<dir>/superseded": reports older than what their group had delivered, never sent.
  std::string superseded_dir() const { return dir_ + "/superseded"; }

 private:
  // Moves `refused.path` into rejected_dir() if it still holds exactly `refused`; sets
  // `*moved_to` to the new path (left empty when a newer report replaced it meanwhile).
  // "" or what failed.
  std::string SetAside(const SpooledReport& refused, std::string* moved_to) const;
  // Moves the file `from` into `folder` under a name with the time; "" or what failed.
  std::string MoveInto(const std::string& from, const std::string& folder,
                       std::string* moved_to) const;
  // Sends `report` (read from its file under `turn`) and files the outcome in `result`.
  void DeliverHeld(const SpooledReport& report, GroupTurn& turn, const Sender& send,
                   FlushResult& result) const;
  std::string FileName(const metrics::PushParams& group) const;

  // Sends a queue's entries in order (see Enqueue) and files the outcome in `result`.
  void DeliverQueue(const std::vector<SpooledReport>& entries, GroupTurn& turn, const Sender& send,
                    FlushResult& result) const;
  // Writes `entry` with the target's `answer` into rejected_dir(); "" or what failed.
  std::string Reject(const SpooledReport& entry, std::string_view answer,
                     std::string* moved_to) const;
  // Removes the first `count` entries of `sent` from their queue file, if it still starts with
  // them; "" or what failed.
  std::string DropFront(const std::vector<SpooledReport>& sent, std::size_t count) const;

  // Removes `delivered.path` if it still holds exactly `delivered` (not a newer report that
  // was stored while it was being sent). "" or what failed.
  std::string RemoveDelivered(const SpooledReport& delivered) const;

  std::string dir_;
  std::string last_success_family_;
  std::string target_;
};

}  // namespace pushrun::runner
