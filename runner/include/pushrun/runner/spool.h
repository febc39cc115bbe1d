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
  std::string method;  // "POST" or "PUT"
  metrics::PushParams params;
  std::string body;  // text format 0.0.4
  std::string path;  // the spool file it was read from (empty before storing)
};

class Spool {
 public:
  // `last_success_family` is kept from an older report when a newer one lacks it, so a failed
  // run spooled after a successful one does not lose the success timestamp.
  Spool(std::string dir, std::string last_success_family);

  // Stores the report, merged with any report already spooled for its group. Creates the
  // directory (0700) if needed. Returns "" or what failed.
  std::string Store(const SpooledReport& report) const;

  struct Listing {
    std::vector<SpooledReport> reports;
    std::vector<std::string> problems;  // corrupt or foreign files: reported, never deleted
  };
  Listing List() const;

  // Delivers spooled reports through `send` (returns "" on success or the error text); a
  // report is removed only after `send` succeeded. With `only`, just that group's report.
  // Returns the errors, one line per report not delivered or file skipped.
  using Sender = std::function<std::string(const SpooledReport&)>;
  std::vector<std::string> Flush(const Sender& send,
                                 const metrics::PushParams* only = nullptr) const;

  const std::string& dir() const { return dir_; }

 private:
  // Removes `delivered.path` if it still holds exactly `delivered` (not a newer report that
  // was stored while it was being sent). "" or what failed.
  std::string RemoveDelivered(const SpooledReport& delivered) const;

  std::string dir_;
  std::string last_success_family_;
};

}  // namespace pushrun::runner
