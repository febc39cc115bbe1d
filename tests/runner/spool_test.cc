#include "pushrun/runner/spool.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "pushrun/metrics/parser.h"
#include "pushrun/runner/bounded_read.h"

namespace fs = std::filesystem;
using pushrun::runner::SendOutcome;
using pushrun::runner::Spool;
using pushrun::runner::SpooledReport;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() /
                  ("pushrun-spool-" + std::to_string(::getpid()) + "-" + std::to_string(rand()));
  ~TempDir() { fs::remove_all(path); }
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
  TempDir dir;
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
  TempDir dir;
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
  TempDir dir;
  Spool spool(dir.path, "x");
  REQUIRE(spool.Store(Report("j", kFailure, "one")).empty());
  REQUIRE(spool.Store(Report("j", kSuccess, "two")).empty());
  REQUIRE(spool.Store(Report("j", kSuccess, "one")).empty());
  auto listing = spool.List();
  REQUIRE(listing.reports.size() == 2);
}

TEST_CASE("Spool: flush removes only what was delivered and reports foreign files",
          "[runner][spool]") {
  TempDir dir;
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
  TempDir dir;
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
  TempDir dir;
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
  TempDir dir;
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
  TempDir dir;
  fs::create_directories(dir.path);
  std::string out;
  std::ofstream(dir.path / "big") << std::string(1000, 'x');
  CHECK_THAT(pushrun::runner::ReadFileBounded(dir.path / "big", 999, &out),
             Catch::Contains("limit of 999 bytes"));
  CHECK(pushrun::runner::ReadFileBounded(dir.path / "big", 1000, &out).empty());
  CHECK(out.size() == 1000);
  fs::create_symlink(dir.path / "big", dir.path / "link");
  CHECK_FALSE(pushrun::runner::ReadFileBounded(dir.path / "link", 5000, &out).empty());
  REQUIRE(::mkfifo((dir.path / "fifo").c_str(), 0600) == 0);
  CHECK_THAT(pushrun::runner::ReadFileBounded(dir.path / "fifo", 5000, &out),
             Catch::Contains("not a regular file"));
}
