#pragma once
// The spool: reports that could not be delivered, one file per group, kept until the gateway
// accepts them. Files are written atomically and guarded by a lock on the directory, so
// concurrent runs and `pushrun flush` never lose or mix up reports.

#include <functional>
#include <string>
#include <vector>

#include "pushrun/metrics/pushgateway.h"

namespace pushrun::runner {

struct SpooledReport {
  std::string method;  // "POST", "PUT" or "DELETE" (a --delete-on-success delete: no body)
  metrics::PushParams params;
  std::string body;  // text format 0.0.4; empty for a DELETE
  std::string path;  // the spool file it was read from (empty before storing)
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
  Spool(std::string dir, std::string last_success_family);

  // Stores the report, merged with any report already spooled for its group so that sending
  // the one stored gives the gateway the state of sending both in order: a DELETE replaces
  // the older report; a POST or PUT after a DELETE is stored as a PUT of itself; a POST
  // after a PUT stays a PUT, of the older families under the newer ones; otherwise the newer
  // report, with the older last-success family when it has none. Creates the directory
  // (0700) if needed. Returns "" or what failed. Throws std::invalid_argument for a DELETE
  // with a body.
  std::string Store(const SpooledReport& report) const;

  struct Listing {
    std::vector<SpooledReport> reports;
    std::vector<std::string> problems;  // corrupt or foreign files: reported, never deleted
  };
  Listing List() const;

  // Delivers spooled reports through `send`; a report is removed only after `send` succeeded.
  // A report `send` says was refused is moved into rejected_dir() (kept, never sent again),
  // so it cannot block the spool forever. With `only`, just that group's report.
  using Sender = std::function<SendOutcome(const SpooledReport&)>;
  struct FlushResult {
    std::vector<std::string> errors;     // one line per report kept or file skipped
    std::vector<std::string> set_aside;  // one line per refused report moved: why and where
  };
  FlushResult Flush(const Sender& send, const metrics::PushParams* only = nullptr) const;

  const std::string& dir() const { return dir_; }
  // "<dir>/rejected": reports the gateway refused, under a name with the time they were moved.
  std::string rejected_dir() const { return dir_ + "/rejected"; }

 private:
  // Moves `refused.path` into rejected_dir() if it still holds exactly `refused`; sets
  // `*moved_to` to the new path (left empty when a newer report replaced it meanwhile).
  // "" or what failed.
  std::string SetAside(const SpooledReport& refused, std::string* moved_to) const;

  // Removes `delivered.path` if it still holds exactly `delivered` (not a newer report that
  // was stored while it was being sent). "" or what failed.
  std::string RemoveDelivered(const SpooledReport& delivered) const;

  std::string dir_;
  std::string last_success_family_;
};

}  // namespace pushrun::runner
