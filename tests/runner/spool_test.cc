#include "pushrun/runner/spool.h"

#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "pushrun/metrics/parser.h"
#include "pushrun/runner/bounded_read.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using pushrun::runner::SendOutcome;
using pushrun::runner::Spool;
using pushrun::runner::SpooledReport;

namespace {

// A spool directory that does not exist yet (the spool makes it), inside a fresh TempDir.
struct SpoolDir {
  pushrun::testing::TempDir parent;
  fs::path path = fs::path(parent.path) / "spool";
};

SpooledReport Report(std::string job, std::string body, std::string instance = "a/b c") {
  SpooledReport r;
  r.method = "POST";
  r.params.job_name = std::move(job);
  r.params.groupings = {{"instance", std::move(instance)}};
  r.body = std::move(body);
  return r;
}

const std::string kSuccess =
    "# TYPE pushrun_exit_code gauge\npushrun_exit_code 0\n"
    "# TYPE pushrun_last_success_timestamp_seconds gauge\n"
    "pushrun_last_success_timestamp_seconds 1700000000\n";
const std::string kFailure = "# TYPE pushrun_exit_code gauge\npushrun_exit_code 3\n";

}  // namespace

TEST_CASE("Spool: a stored report comes back with its group, method and body", "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(spool.Store(Report("nightly/backup", kFailure, "")).empty());
  Spool::Listing listing = spool.List();
  REQUIRE(listing.problems.empty());
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].method == "POST");
  CHECK(listing.reports[0].params.job_name == "nightly/backup");
  CHECK(listing.reports[0].params.groupings.at("instance").empty());
  CHECK(listing.reports[0].body == kFailure);
}

TEST_CASE("Spool: a failed run's report keeps the older last-success timestamp",
          "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  REQUIRE(spool.Store(Report("j", kSuccess)).empty());
  REQUIRE(spool.Store(Report("j", kFailure)).empty());
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  const std::string& body = listing.reports[0].body;
  CHECK_THAT(body, Catch::Contains("pushrun_exit_code 3"));
  CHECK_THAT(body, Catch::Contains("pushrun_last_success_timestamp_seconds 1700000000"));
}

TEST_CASE("Spool: groups are kept apart, one file each", "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("j", kFailure, "one")).empty());
  REQUIRE(spool.Store(Report("j", kSuccess, "two")).empty());
  REQUIRE(spool.Store(Report("j", kSuccess, "one")).empty());
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 2);
}

TEST_CASE("Spool: flush removes only what was delivered and reports foreign files",
          "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("ok", kFailure)).empty());
  REQUIRE(spool.Store(Report("refused", kFailure)).empty());
  std::ofstream(dir.path / "notes.txt") << "hello\n";
  std::ofstream(dir.path / "group-0000000000000000.report") << "# pushrun spool v1\n# meth";

  std::vector<std::string> sent;
  auto errors = spool
                    .Flush([&](const SpooledReport& r) {
                      sent.push_back(r.params.job_name);
                      return SendOutcome{r.params.job_name == "refused" ? "HTTP 503" : ""};
                    })
                    .errors;
  CHECK(sent.size() == 2);
  REQUIRE(errors.size() == 3);  // two foreign/corrupt files, one undelivered report
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].params.job_name == "refused");
  CHECK(fs::exists(dir.path / "notes.txt"));
  CHECK(fs::exists(dir.path / "group-0000000000000000.report"));
}

TEST_CASE("Spool: flush of one group leaves the others", "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("a", kFailure)).empty());
  REQUIRE(spool.Store(Report("b", kFailure)).empty());
  pushrun::metrics::PushParams only{"a", {{"instance", "a/b c"}}};
  auto errors = spool.Flush([](const SpooledReport&) { return SendOutcome{}; }, &only).errors;
  CHECK(errors.empty());
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].params.job_name == "b");
}

TEST_CASE("Spool: a report the gateway refused is set aside in rejected/, not kept forever",
          "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("refused", kFailure)).empty());
  REQUIRE(spool.Store(Report("later", kFailure)).empty());
  auto send = [](const SpooledReport& r) {
    if (r.params.job_name == "refused") {
      return SendOutcome{.error = "HTTP 400: bad body", .refused = true};
    }
    return SendOutcome{.error = "HTTP 503"};
  };
  const Spool::FlushResult first = spool.Flush(send);
  REQUIRE(first.set_aside.size() == 1);
  CHECK_THAT(first.set_aside[0], Catch::Contains("refused by the gateway: HTTP 400: bad body"));
  CHECK_THAT(first.set_aside[0], Catch::Contains("moved to " + spool.rejected_dir() + "/group-"));
  REQUIRE(first.errors.size() == 1);  // the 503 stays for the next flush
  CHECK_THAT(first.errors[0], Catch::Contains("HTTP 503 (kept for the next flush)"));

  // Nothing is lost: the refused report is in rejected/, whole, where List() does not look.
  std::vector<fs::path> rejected;
  for (const auto& entry : fs::directory_iterator(spool.rejected_dir())) {
    rejected.push_back(entry.path());
  }
  REQUIRE(rejected.size() == 1);
  CHECK(rejected[0].extension() == ".report");
  std::string text;
  REQUIRE(pushrun::runner::ReadFileBounded(rejected[0], 1 << 20, &text).empty());
  CHECK_THAT(text, Catch::Contains(kFailure));
  auto listing = spool.List();
  CHECK(listing.problems.empty());
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].params.job_name == "later");

  // The next flush does not send the refused one again, and succeeds once the rest goes.
  std::vector<std::string> sent;
  const Spool::FlushResult second = spool.Flush([&](const SpooledReport& r) {
    sent.push_back(r.params.job_name);
    return SendOutcome{};
  });
  CHECK(sent == std::vector<std::string>{"later"});
  CHECK(second.errors.empty());
  CHECK(second.set_aside.empty());

  // The same group refused again later does not overwrite the first one set aside.
  REQUIRE(spool.Store(Report("refused", kSuccess)).empty());
  CHECK(spool.Flush(send).set_aside.size() == 1);
  CHECK(std::distance(fs::directory_iterator(spool.rejected_dir()), fs::directory_iterator()) == 2);
}

TEST_CASE("Spool: a refused report replaced by a newer one meanwhile stays for the next flush",
          "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("j", kFailure)).empty());
  const Spool::FlushResult result = spool.Flush([&](const SpooledReport&) {
    spool.Store(Report("j", kSuccess));  // a run spools a newer report meanwhile
    return SendOutcome{.error = "HTTP 400", .refused = true};
  });
  CHECK(result.set_aside.empty());
  REQUIRE(result.errors.size() == 1);
  CHECK_THAT(result.errors[0], Catch::Contains("a newer report of the group replaced it"));
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  CHECK_THAT(listing.reports[0].body, Catch::Contains("pushrun_last_success_timestamp_seconds"));
  CHECK_FALSE(fs::exists(spool.rejected_dir()));
}

TEST_CASE("ReadFileBounded: refuses large files, FIFOs and symlinks", "[runner][spool]") {
  pushrun::testing::TempDir temp;
  const fs::path dir = temp.path;
  std::string out;
  std::ofstream(dir / "big") << std::string(1000, 'x');
  CHECK_THAT(pushrun::runner::ReadFileBounded(dir / "big", 999, &out),
             Catch::Contains("limit of 999 bytes"));
  CHECK(pushrun::runner::ReadFileBounded(dir / "big", 1000, &out).empty());
  CHECK(out.size() == 1000);
  fs::create_symlink(dir / "big", dir / "link");
  CHECK_FALSE(pushrun::runner::ReadFileBounded(dir / "link", 5000, &out).empty());
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  CHECK_THAT(pushrun::runner::ReadFileBounded(dir / "fifo", 5000, &out),
             Catch::Contains("not a regular file"));
}

namespace {

SpooledReport Delete(std::string job, std::string instance = "a/b c") {
  SpooledReport r = Report(std::move(job), "", std::move(instance));
  r.method = "DELETE";
  return r;
}

// The one entry of group "j" after storing `reports` in order.
SpooledReport StoredAfter(const std::vector<SpooledReport>& reports) {
  SpoolDir dir;
  Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  for (const SpooledReport& report : reports) REQUIRE(spool.Store(report).empty());
  Spool::Listing listing = spool.List();
  REQUIRE(listing.problems.empty());
  REQUIRE(listing.reports.size() == 1);
  return listing.reports[0];
}

}  // namespace

TEST_CASE("Spool: a DELETE replaces whatever the group had spooled, and comes back bodiless",
          "[runner][spool]") {
  SpooledReport older = Report("j", kSuccess);
  older.method = GENERATE(as<std::string>{}, "POST", "PUT", "DELETE");
  if (older.method == "DELETE") older.body.clear();
  CAPTURE(older.method);
  const SpooledReport stored = StoredAfter({older, Delete("j")});
  CHECK(stored.method == "DELETE");
  CHECK(stored.params.job_name == "j");
  CHECK(stored.params.groupings.at("instance") == "a/b c");
  CHECK(stored.body.empty());  // nothing of the older report is kept: it would be deleted
}

TEST_CASE("Spool: a report after a spooled DELETE becomes a PUT of that report alone",
          "[runner][spool]") {
  // On the gateway DELETE then POST leaves the group with only the POSTed families: a PUT
  // does that in one request. No last-success time is carried over from the run that
  // deleted: online, DELETE then a failed run's POST leaves none either.
  const std::string method = GENERATE(as<std::string>{}, "POST", "PUT");
  CAPTURE(method);
  SpooledReport after = Report("j", kFailure);
  after.method = method;
  const SpooledReport stored = StoredAfter({Report("j", kSuccess), Delete("j"), after});
  CHECK(stored.method == "PUT");
  CHECK(stored.body == kFailure);
}

TEST_CASE("Spool: a POST after a spooled PUT stays a PUT, the older families under the newer",
          "[runner][spool]") {
  // DELETE, POST a, POST b leaves a's families not in b plus b on the gateway: PUT of both.
  const std::string kSidecar = "# TYPE batch_rows gauge\nbatch_rows 42\n";
  const SpooledReport stored =
      StoredAfter({Delete("j"), Report("j", kFailure + kSidecar), Report("j", kSuccess)});
  CHECK(stored.method == "PUT");
  CHECK_THAT(stored.body, Catch::Contains("pushrun_exit_code 0\n"));
  CHECK_THAT(stored.body, !Catch::Contains("pushrun_exit_code 3"));
  CHECK_THAT(stored.body, Catch::Contains("pushrun_last_success_timestamp_seconds 1700000000\n"));
  CHECK_THAT(stored.body, Catch::Contains("batch_rows 42\n"));
}

TEST_CASE("Spool: a spooled DELETE is flushed like a report and set aside when refused",
          "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Delete("gone")).empty());
  REQUIRE(spool.Store(Delete("refused")).empty());
  std::vector<std::string> methods;
  const Spool::FlushResult result = spool.Flush([&](const SpooledReport& r) {
    methods.push_back(r.method);
    if (r.params.job_name == "refused") return SendOutcome{.error = "HTTP 400", .refused = true};
    return SendOutcome{};
  });
  CHECK(methods == std::vector<std::string>{"DELETE", "DELETE"});
  CHECK(result.errors.empty());
  CHECK(result.set_aside.size() == 1);
  CHECK(spool.List().reports.empty());
}

TEST_CASE("Spool: a DELETE file with a body is reported as corrupt, left in place",
          "[runner][spool]") {
  SpoolDir dir;
  Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("j", kFailure)).empty());
  const fs::path file = spool.List().reports.at(0).path;
  std::string text;
  REQUIRE(pushrun::runner::ReadFileBounded(file, 1 << 20, &text).empty());
  text.replace(text.find("# method POST"), 13, "# method DELETE");
  std::ofstream(file, std::ios::trunc) << text;
  Spool::Listing listing = spool.List();
  CHECK(listing.reports.empty());
  REQUIRE(listing.problems.size() == 1);
  CHECK_THAT(listing.problems[0], Catch::Contains("DELETE with a body"));
}

TEST_CASE("Spool: two concurrent flushes send each spooled report once",
          "[runner][spool][concurrency]") {
  SpoolDir dir;
  const Spool spool(dir.path, "x");
  constexpr int kReports = 300;
  for (int i = 0; i < kReports; ++i) {
    REQUIRE(spool.Store(Report("j", kFailure, std::to_string(i))).empty());
  }
  std::atomic<int> sent{0};
  auto flush = [&] {
    spool.Flush([&](const SpooledReport&) {
      ++sent;
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // a request takes time
      return SendOutcome{};
    });
  };
  std::thread one(flush), other(flush);
  one.join();
  other.join();
  CHECK(sent == kReports);
  CHECK(spool.List().reports.empty());
}

TEST_CASE("Spool: a flush leaves a group whose turn another sender holds to it",
          "[runner][spool]") {
  SpoolDir dir;
  const Spool spool(dir.path, "x");
  const SpooledReport report = Report("j", kFailure);
  REQUIRE(spool.Store(report).empty());
  std::string error;
  auto turn = spool.TakeTurn(report.params, Spool::Clock::now(), &error);
  REQUIRE(turn);
  int sent = 0;
  const Spool::FlushResult result = spool.Flush([&](const SpooledReport&) {
    ++sent;
    return SendOutcome{};
  });
  CHECK(sent == 0);
  REQUIRE(result.busy.size() == 1);
  CHECK_THAT(result.busy[0], Catch::Contains("another pushrun is delivering this group"));
  CHECK(result.errors.empty());
  CHECK(spool.List().reports.size() == 1);
  // A second taker waits no longer than it was told to.
  bool busy = false;
  const auto start = Spool::Clock::now();
  CHECK_FALSE(spool.TakeTurn(report.params, start + std::chrono::milliseconds(100), &error, &busy));
  CHECK(busy);
  CHECK(Spool::Clock::now() - start >= std::chrono::milliseconds(100));
}

TEST_CASE("Spool: a report older than the group's last delivered one is set aside, not sent",
          "[runner][spool]") {
  SpoolDir dir;
  const Spool spool(dir.path, "x");
  SpooledReport stale = Report("j", kFailure);
  stale.ended = 1700000050;
  REQUIRE(spool.Store(stale).empty());
  {
    std::string error;
    auto turn = spool.TakeTurn(stale.params, Spool::Clock::now(), &error);
    REQUIRE(turn);
    turn->RecordDelivered(1700000100);  // a later run delivered its report directly
    turn->RecordDelivered(1700000070);  // the record only moves forward
    CHECK(turn->last_delivered() == 1700000100);
  }
  int sent = 0;
  const Spool::FlushResult result = spool.Flush([&](const SpooledReport&) {
    ++sent;
    return SendOutcome{};
  });
  CHECK(sent == 0);
  CHECK(result.errors.empty());
  REQUIRE(result.superseded.size() == 1);
  CHECK_THAT(result.superseded[0], Catch::Contains("before the group's last delivered report"));
  CHECK_THAT(result.superseded[0], Catch::Contains("/superseded/group-"));
  CHECK(spool.List().reports.empty());
  std::size_t kept = 0;
  for (const auto& entry : fs::directory_iterator(spool.superseded_dir())) {
    CHECK_THAT(pushrun::testing::ReadFile(entry.path()), Catch::Contains("pushrun_exit_code 3"));
    ++kept;
  }
  CHECK(kept == 1);
}

TEST_CASE("Spool: reports of a group combine in the order their runs ended, not of arrival",
          "[runner][spool]") {
  SpoolDir dir;
  const Spool spool(dir.path, "pushrun_last_success_timestamp_seconds");
  SpooledReport later = Report("j", kFailure);
  later.ended = 1700000200;
  SpooledReport earlier = Report("j", kSuccess);
  earlier.ended = 1700000100;
  REQUIRE(spool.Store(later).empty());
  REQUIRE(spool.Store(earlier).empty());  // reached the spool last, but ended first
  const auto listing = spool.List();
  REQUIRE(listing.reports.size() == 1);
  CHECK(listing.reports[0].ended == 1700000200);
  CHECK_THAT(listing.reports[0].body, Catch::Contains("pushrun_exit_code 3\n"));
  // The earlier success's timestamp is kept, as sending both in order would have left it.
  CHECK_THAT(listing.reports[0].body,
             Catch::Contains("pushrun_last_success_timestamp_seconds 1700000000\n"));
}

TEST_CASE("Spool: a target other than the one gateway gets its own entries", "[runner][spool]") {
  SpoolDir dir;
  const Spool gateway(dir.path, "x");
  const Spool remote(dir.path, "x", "remote-write https://rw.example/api/v1/write");
  REQUIRE(gateway.Store(Report("j", kFailure)).empty());
  REQUIRE(remote.Store(Report("j", kSuccess)).empty());
  // Both files are in the one directory, under different names.
  CHECK(gateway.List().reports.size() == 2);
  std::string error;
  auto one = gateway.TakeTurn(Report("j", "").params, Spool::Clock::now(), &error);
  REQUIRE(one);
  CHECK(remote.TakeTurn(Report("j", "").params, Spool::Clock::now(), &error));
}

// ssh's StrictModes for the spool: a report someone else could have planted is never sent
// with our credentials. The tests run as root, so "another user" is a chown to uid 4242.
TEST_CASE("Spool: a directory anyone may write to without the sticky bit is refused",
          "[runner][spool][bad-input]") {
  SpoolDir dir;
  const Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("j", kFailure)).empty());
  REQUIRE(::chmod(dir.path.c_str(), 0777) == 0);
  const std::string problem = spool.CheckPermissions();
  CHECK_THAT(problem, Catch::Contains("is writable by anyone (mode 0777) without the sticky bit"));
  int sent = 0;
  const Spool::FlushResult result = spool.Flush([&](const SpooledReport&) {
    ++sent;
    return SendOutcome{};
  });
  CHECK(sent == 0);
  REQUIRE(result.errors.size() == 1);
  CHECK_THAT(result.errors[0], Catch::Contains(problem));
  CHECK(spool.Store(Report("j", kSuccess)) == problem);
  std::string error;
  CHECK_FALSE(spool.TakeTurn(Report("j", "").params, Spool::Clock::now(), &error));
  CHECK(error == problem);
}

TEST_CASE("Spool: a directory owned by another user (not root) is refused",
          "[runner][spool][bad-input]") {
  SpoolDir dir;
  const Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("j", kFailure)).empty());
  REQUIRE(::chown(dir.path.c_str(), 4242, 4242) == 0);
  CHECK_THAT(spool.CheckPermissions(),
             Catch::Contains("is owned by uid 4242, neither this user (uid 0) nor root"));
  CHECK(spool.List().reports.empty());
}

TEST_CASE("Spool: sticky world-writable and Kubernetes fsGroup directories are trusted",
          "[runner][spool]") {
  SpoolDir dir;
  const Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("j", kFailure)).empty());
  // fsGroup: root-owned (as here), group-writable and setgid; files group-writable too.
  const mode_t mode = GENERATE(mode_t{01777}, mode_t{02770}, mode_t{02775});
  CAPTURE(mode);
  REQUIRE(::chown(dir.path.c_str(), 0, 2000) == 0);
  REQUIRE(::chmod(dir.path.c_str(), mode) == 0);
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    REQUIRE(::chmod(entry.path().c_str(), 0660) == 0);
  }
  CHECK(spool.CheckPermissions().empty());
  const auto listing = spool.List();
  CHECK(listing.problems.empty());
  CHECK(listing.reports.size() == 1);
}

TEST_CASE("Spool: a report file another user owns, or anyone may write, is never sent",
          "[runner][spool][bad-input]") {
  SpoolDir dir;
  const Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("j", kFailure)).empty());
  std::string file;
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    if (entry.path().extension() == ".report") file = entry.path();
  }
  REQUIRE_FALSE(file.empty());
  std::string expected;
  SECTION("planted by another user") {
    REQUIRE(::chown(file.c_str(), 4242, 4242) == 0);
    expected = file + ": owned by uid 4242, neither this user (uid 0) nor root: refused, not sent";
  }
  SECTION("writable by anyone") {
    REQUIRE(::chmod(file.c_str(), 0602) == 0);
    expected = file + ": writable by anyone (mode 0602): refused, not sent";
  }
  int sent = 0;
  auto send = [&](const SpooledReport&) {
    ++sent;
    return SendOutcome{};
  };
  const Spool::FlushResult all = spool.Flush(send);
  const pushrun::metrics::PushParams group = Report("j", "").params;
  const Spool::FlushResult one = spool.Flush(send, &group);
  CHECK(sent == 0);
  REQUIRE(all.errors.size() == 1);
  CHECK_THAT(all.errors[0], Catch::StartsWith(expected));
  REQUIRE(one.errors.size() == 1);
  CHECK_THAT(one.errors[0], Catch::StartsWith(expected));
  CHECK(fs::exists(file));
}

TEST_CASE("Spool: lock files of groups idle for long and with nothing spooled are pruned",
          "[runner][spool]") {
  SpoolDir dir;
  const Spool spool(dir.path, "x");
  const SpooledReport spooled = Report("j", kFailure, "spooled");
  REQUIRE(spool.Store(spooled).empty());
  const auto idle = Report("j", "", "idle").params;
  const auto busy = Report("j", "", "busy").params;
  const auto recent = Report("j", "", "recent").params;
  std::string error;
  for (const auto& group : {spooled.params, idle, busy, recent}) {
    REQUIRE(spool.TakeTurn(group, Spool::Clock::now(), &error));
  }
  // Every lock file last written eight days ago, but the recent group's.
  std::size_t locks = 0;
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    if (entry.path().extension() != ".lock" || entry.path().filename() == ".lock") continue;
    ++locks;
    fs::last_write_time(entry.path(), fs::file_time_type::clock::now() - std::chrono::hours(192));
  }
  REQUIRE(locks == 4);
  {
    auto turn = spool.TakeTurn(recent, Spool::Clock::now(), &error);
    REQUIRE(turn);
    turn->RecordDelivered(1700000000);  // a delivery writes the record, so the file is fresh
  }
  auto held = spool.TakeTurn(busy, Spool::Clock::now(), &error);
  REQUIRE(held);
  CHECK(spool.PruneRecords(std::chrono::hours(24 * 7)) == 1);  // only the idle group's
  std::size_t left = 0;
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    left += entry.path().extension() == ".lock" && entry.path().filename() != ".lock";
  }
  CHECK(left == 3);
  held.reset();
  auto again = spool.TakeTurn(idle, Spool::Clock::now(), &error);
  CHECK(again);
  CHECK(again->last_delivered() == 0);
}
