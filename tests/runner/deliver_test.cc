#include "pushrun/runner/deliver.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "pushrun/metrics/exposition.h"
#include "pushrun/metrics/transport.h"
#include "pushrun/runner/report.h"
#include "support/temp_dir.h"

namespace {

using pushrun::config::PushMethod;
using pushrun::config::Settings;
using pushrun::metrics::HttpRequest;
using pushrun::metrics::HttpResponse;
using pushrun::metrics::MetricFamily;
using pushrun::runner::DeliverReport;
using pushrun::runner::DeliveryIo;
using pushrun::runner::Logger;
using pushrun::runner::ReportKind;

// Records requests and answers each with `status`.
class FakeTransport : public pushrun::metrics::Transport {
 public:
  explicit FakeTransport(int status = 200) : status_(status) {}
  HttpResponse Send(const HttpRequest& request) override {
    std::lock_guard lock(mutex_);
    requests.push_back(request);
    return HttpResponse{.status = status_, .headers = {}, .body = status_ >= 400 ? "nope\n" : ""};
  }
  std::vector<HttpRequest> requests;

 private:
  std::mutex mutex_;
  int status_;
};

std::vector<MetricFamily> Report(double exit_code) {
  MetricFamily family;
  family.name = "pushrun_exit_code";
  family.help = "Exit status.";
  family.type = pushrun::metrics::MetricType::kGauge;
  family.samples.push_back({.name = "pushrun_exit_code",
                            .labels = {},
                            .value = exit_code,
                            .timestamp_ms = std::nullopt});
  return {family};
}

Settings GatewaySettings(const std::shared_ptr<FakeTransport>& /*transport*/) {
  Settings settings;
  settings.targets = {{.kind = pushrun::config::TargetKind::kPushgateway,
                       .url = "http://127.0.0.1:9091",
                       .push = {}}};
  settings.job = "backup";
  settings.grouping = {{"db", "main"}};
  return settings;
}

// Delivery over `transport`.
DeliveryIo Via(const std::shared_ptr<FakeTransport>& transport) {
  return DeliveryIo{.transport = transport};
}

using pushrun::testing::ReadFile;
using pushrun::testing::TempDir;

}  // namespace

TEST_CASE("Deliver: the final report is POSTed by default, PUT with --method put",
          "[runner][deliver]") {
  auto transport = std::make_shared<FakeTransport>();
  Settings settings = GatewaySettings(transport);
  std::ostringstream err;
  Logger log(err);
  const auto [method, expected] = GENERATE(table<PushMethod, std::string>({
      {PushMethod::kPost, "POST"},
      {PushMethod::kPut, "PUT"},
  }));
  settings.method = method;
  CHECK(DeliverReport(settings, Report(0), ReportKind::kFinal, true, Via(transport), log));
  REQUIRE(transport->requests.size() == 1);
  CHECK(transport->requests[0].method == expected);
  CHECK(transport->requests[0].url == "http://127.0.0.1:9091/metrics/job/backup/db/main");
  CHECK_THAT(transport->requests[0].body, Catch::Contains("pushrun_exit_code 0\n"));
  CHECK(err.str().empty());
}

TEST_CASE("Deliver: the start report is always a POST, so it never drops the last success",
          "[runner][deliver]") {
  auto transport = std::make_shared<FakeTransport>();
  Settings settings = GatewaySettings(transport);
  settings.method = PushMethod::kPut;
  Logger log(std::cerr);
  CHECK(DeliverReport(settings, pushrun::runner::BuildStartReport({}, "pushrun"),
                      ReportKind::kStart, false, Via(transport), log));
  REQUIRE(transport->requests.size() == 1);
  CHECK(transport->requests[0].method == "POST");
  CHECK_THAT(transport->requests[0].body, Catch::Contains("pushrun_running 1\n"));
}

TEST_CASE("Deliver: --delete-on-success deletes after a success and pushes after a failure",
          "[runner][deliver]") {
  auto transport = std::make_shared<FakeTransport>();
  Settings settings = GatewaySettings(transport);
  settings.delete_on_success = true;
  Logger log(std::cerr);
  CHECK(DeliverReport(settings, Report(0), ReportKind::kFinal, true, Via(transport), log));
  CHECK(DeliverReport(settings, Report(1), ReportKind::kFinal, false, Via(transport), log));
  REQUIRE(transport->requests.size() == 2);
  CHECK(transport->requests[0].method == "DELETE");
  CHECK(transport->requests[0].body.empty());
  CHECK(transport->requests[1].method == "POST");
}

TEST_CASE("Deliver: a rejected push is logged with the gateway's answer and returned",
          "[runner][deliver]") {
  auto transport = std::make_shared<FakeTransport>(400);
  Settings settings = GatewaySettings(transport);
  std::ostringstream err;
  Logger log(err);
  CHECK_FALSE(DeliverReport(settings, Report(0), ReportKind::kFinal, true, Via(transport), log));
  CHECK_THAT(err.str(), Catch::StartsWith("pushrun: error: POST http://127.0.0.1:9091/"));
  CHECK_THAT(err.str(), Catch::Contains("nope"));
}

TEST_CASE("Deliver: a sidecar's text follows the report as is; refused, it is left out next time",
          "[runner][deliver]") {
  const std::string sidecar = "# TYPE rows gauge\nrows 42\n";
  SECTION("accepted") {
    auto transport = std::make_shared<FakeTransport>(200);
    std::ostringstream err;
    Logger log(err);
    CHECK(DeliverReport(GatewaySettings(transport), Report(0), ReportKind::kFinal, true,
                        Via(transport), log, sidecar));
    REQUIRE(transport->requests.size() == 1);
    CHECK(transport->requests[0].body == pushrun::metrics::WriteText(Report(0)) + sidecar);
  }
  SECTION("refused") {
    auto transport = std::make_shared<FakeTransport>(400);
    std::ostringstream err;
    Logger log(err);
    CHECK_FALSE(DeliverReport(GatewaySettings(transport), Report(0), ReportKind::kFinal, true,
                              Via(transport), log, sidecar));
    REQUIRE(transport->requests.size() == 2);
    CHECK_THAT(transport->requests[0].body, Catch::EndsWith(sidecar));
    CHECK(transport->requests[1].body == pushrun::metrics::WriteText(Report(0)));
    CHECK_THAT(err.str(), Catch::Contains("without the sidecar"));
  }
}

TEST_CASE("Deliver: a dry run prints method, URL and body and sends nothing", "[runner][deliver]") {
  auto transport = std::make_shared<FakeTransport>();
  Settings settings = GatewaySettings(transport);
  std::ostringstream out;
  Logger log(std::cerr);
  CHECK(DeliverReport(
      settings, Report(3), ReportKind::kFinal, false,
      DeliveryIo{
          .dry_run = true, .dry_run_out = &out, .fallback_out = nullptr, .transport = transport},
      log));
  CHECK(transport->requests.empty());
  CHECK_THAT(out.str(),
             Catch::StartsWith("POST http://127.0.0.1:9091/metrics/job/backup/db/main\n\n"));
  CHECK_THAT(out.str(), Catch::Contains("pushrun_exit_code 3\n"));
}

TEST_CASE("Deliver: textfile names stay as they were for plain jobs and values",
          "[runner][deliver]") {
  using pushrun::runner::TextfileName;
  CHECK(TextfileName("nightly-backup_2.x", {}) == "nightly-backup_2.x.prom");
  CHECK(TextfileName("backup", {{"db", "main"}, {"env", "prod-1"}}) ==
        "backup@db=main@env=prod-1.prom");
  CHECK(TextfileName("backup", {{"db", ""}}) == "backup@db=.prom");
}

TEST_CASE("Deliver: different groups never share a textfile", "[runner][deliver]") {
  using pushrun::runner::TextfileName;
  using Grouping = std::map<std::string, std::string>;
  struct Group {
    std::string job;
    Grouping grouping;
  };
  const std::vector<std::pair<Group, Group>> pairs = {
      {{"a/b", {}}, {"a_b", {}}},
      {{"j", {{"v", "a\"b"}}}, {"j", {{"v", "a_b"}}}},
      {{"a@b=c", {}}, {"a", {{"b", "c"}}}},
      {{".x", {}}, {"_.x", {}}},
      {{"a%2Fb", {}}, {"a/b", {}}},
      {{"j", {{"v", "a@w=b"}}}, {"j", {{"v", "a"}, {"w", "b"}}}},
      {{std::string(300, 'x'), {}}, {std::string(299, 'x') + "y", {}}},
  };
  for (const auto& [one, other] : pairs) {
    CAPTURE(one.job, other.job);
    CHECK(TextfileName(one.job, one.grouping) != TextfileName(other.job, other.grouping));
  }
}

TEST_CASE("Deliver: a textfile name too long for the file system is cut and hashed",
          "[runner][deliver]") {
  using pushrun::runner::TextfileName;
  const std::string name = TextfileName(std::string(300, 'x'), {{"v", std::string(100, '/')}});
  CHECK(name.size() <= 247);
  CHECK_THAT(name, Catch::StartsWith(std::string(200, 'x')));
  CHECK_THAT(name, Catch::Matches(".*~[0-9a-f]{16}\\.prom"));
  CHECK(TextfileName(std::string(247 - 5, 'x'), {}) == std::string(242, 'x') + ".prom");
}

TEST_CASE("Deliver: textfiles are named after job and grouping and merge like a POST",
          "[runner][deliver]") {
  using pushrun::runner::TextfileName;
  CHECK(TextfileName("backup", {}) == "backup.prom");
  CHECK(TextfileName("backup", {{"env", "prod"}, {"db", "a/b c"}}) ==
        "backup@db=a%2Fb%20c@env=prod.prom");
  CHECK(TextfileName(".hidden", {}) == "%2Ehidden.prom");

  TempDir dir;
  Settings settings;
  settings.job = "backup";
  settings.textfile_dir = dir.path;
  Logger log(std::cerr);
  const std::string path = dir.path + "/backup.prom";

  auto success = Report(0);
  MetricFamily last_success = success[0];
  last_success.name = last_success.samples[0].name = "pushrun_last_success_timestamp_seconds";
  last_success.samples[0].value = 1234;
  success.push_back(last_success);
  REQUIRE(DeliverReport(settings, success, ReportKind::kFinal, true, {}, log));
  CHECK_THAT(ReadFile(path),
             Catch::Contains("pushrun_last_success_timestamp_seconds{job=\"backup\"} 1234\n"));

  SECTION("POST keeps families the new report lacks") {
    REQUIRE(DeliverReport(settings, Report(1), ReportKind::kFinal, false, {}, log));
    const std::string text = ReadFile(path);
    CHECK_THAT(text, Catch::Contains("pushrun_exit_code{job=\"backup\"} 1\n"));
    CHECK_THAT(text,
               Catch::Contains("pushrun_last_success_timestamp_seconds{job=\"backup\"} 1234\n"));
  }
  SECTION("PUT replaces the file") {
    settings.method = PushMethod::kPut;
    REQUIRE(DeliverReport(settings, Report(1), ReportKind::kFinal, false, {}, log));
    CHECK_THAT(ReadFile(path), !Catch::Contains("last_success"));
  }
  SECTION("delete-on-success removes it") {
    settings.delete_on_success = true;
    REQUIRE(DeliverReport(settings, Report(0), ReportKind::kFinal, true, {}, log));
    CHECK_FALSE(std::filesystem::exists(path));
  }
  // No temporary files are left next to it.
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path)) ++files;
  CHECK(files <= 1);
}

TEST_CASE("Deliver: with neither gateway nor textfile dir the report goes to stderr",
          "[runner][deliver]") {
  Settings settings;
  settings.job = "backup";
  std::ostringstream fallback;
  Logger log(std::cerr);
  CHECK(DeliverReport(
      settings, Report(0), ReportKind::kFinal, true,
      DeliveryIo{.dry_run = false, .dry_run_out = nullptr, .fallback_out = &fallback}, log));
  CHECK_THAT(fallback.str(), Catch::Contains("pushrun_exit_code{job=\"backup\"} 0\n"));
}

TEST_CASE("Deliver: a push error is described by the client's bounded message alone",
          "[runner][deliver]") {
  // The client quotes the gateway's answer cut to 1 KiB; the raw body must not follow it.
  const pushrun::metrics::PushError error(
      pushrun::metrics::ErrorCategory::kHttp,
      "PUT http://gw/metrics/job/j failed: HTTP 400 Bad Request: xxx\u2026 (999997 more bytes)",
      400, std::string(1'000'000, 'x') + "\x1b[2J", "http://gw/metrics/job/j", 1);
  CHECK(pushrun::runner::DescribePushError(error) == error.what());
}
