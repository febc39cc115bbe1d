// Hostile sidecar files: each is refused with one short, clear "file[:line:col]: message",
// never a crash, a hang or a read of the whole file.

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "pushrun/metrics/parser.h"
#include "pushrun/runner/sidecar.h"
#include "support/temp_dir.h"

namespace fs = std::filesystem;
using pushrun::runner::ReadSidecarFile;
using pushrun::runner::SidecarResult;
using pushrun::runner::SidecarRules;

namespace {

using pushrun::testing::TempDir;

std::string Repeat(const std::string& part, std::size_t times) {
  std::string out;
  out.reserve(part.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += part;
  return out;
}

struct BadInput {
  const char* what;
  std::string content;
  const char* message;  // a fragment of the error
};

}  // namespace

TEST_CASE("Bad sidecar: garbage, NUL bytes, huge lines, repeated labels, invalid UTF-8 are refused",
          "[runner][sidecar][bad-input]") {
  const std::string kMegabyte = Repeat("a", 1 << 20);
  const BadInput input = GENERATE_COPY(
      BadInput{"binary garbage", std::string("\x01\xff\xfe\x00garbage\x7f\n", 12),
               ":1:1: expected a metric name"},
      BadInput{"a NUL byte after a value", std::string("a 1\0\n", 5), "found a NUL byte"},
      BadInput{"a NUL byte in a label value", std::string("a{l=\"x\0y\"} 1\n", 14),
               "found a NUL byte"},
      BadInput{"a 1 MB metric name without a value", kMegabyte + "\n",
               "expected a value after metric name"},
      BadInput{"a 1 MB label name", "x{" + kMegabyte + "=\"1\"}\n", "expected a sample value"},
      BadInput{"a 1 MB comment line then garbage", "# " + kMegabyte + "\n!\n", ":2:1:"},
      BadInput{"one label repeated 10000 times", "x{" + Repeat("a=\"1\",", 10000) + "} 1\n",
               "found \"a\" a second time"},
      BadInput{"the same series 10000 times", Repeat("x{a=\"1\"} 1\n", 10000), ":2:1:"},
      BadInput{"invalid UTF-8 in a label value", "x{l=\"\xff\xfe\"} 1\n", "not valid UTF-8"},
      BadInput{"an overlong UTF-8 encoding in HELP", "# HELP x \xc0\x80\nx 1\n", "not valid UTF-8"},
      BadInput{"a lone UTF-8 continuation byte", "x{l=\"\x80\"} 1\n", "not valid UTF-8"});
  CAPTURE(input.what);
  TempDir dir;
  const std::string path = dir.path + "/metrics.prom";
  std::ofstream(path, std::ios::binary) << input.content;
  const SidecarResult result = ReadSidecarFile(path, SidecarRules{});
  REQUIRE_FALSE(result.ok());
  CHECK(result.families.empty());
  CHECK_THAT(*result.error, Catch::StartsWith(path));
  CHECK_THAT(*result.error, Catch::Contains(input.message));
  CHECK(result.error->size() < 512);  // a 1 MB line never becomes a 1 MB message
}

TEST_CASE("Bad sidecar: a 1 MB label value is accepted whole (it is valid)",
          "[runner][sidecar][bad-input]") {
  TempDir dir;
  const std::string path = dir.path + "/metrics.prom";
  const std::string value(1 << 20, 'v');
  std::ofstream(path) << "x{l=\"" << value << "\"} 1\n";
  const SidecarResult result = ReadSidecarFile(path, SidecarRules{});
  REQUIRE(result.ok());
  REQUIRE(result.families.size() == 1);
  CHECK(result.families[0].samples[0].labels[0].value == value);
}

TEST_CASE("Bad sidecar: a 1 GiB sparse file is refused by its size, without reading it",
          "[runner][sidecar][bad-input]") {
  TempDir dir;
  const std::string path = dir.path + "/metrics.prom";
  std::ofstream(path).close();
  REQUIRE(::truncate(path.c_str(), 1LL << 30) == 0);
  const SidecarResult result = ReadSidecarFile(path, SidecarRules{});
  REQUIRE_FALSE(result.ok());
  CHECK(*result.error == path + ": 1073741824 bytes, larger than the limit of 16777216 bytes");
}

TEST_CASE("Bad sidecar: FIFOs, symlinks and directories are refused at once",
          "[runner][sidecar][bad-input]") {
  TempDir dir;
  const std::string path = dir.path + "/metrics.prom";
  SECTION("a FIFO (no writer: a blocking open would hang)") {
    REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    CHECK_THAT(*ReadSidecarFile(path, {}).error, Catch::Contains("not a regular file"));
  }
  SECTION("a symlink to /dev/zero") {
    fs::create_symlink("/dev/zero", path);
    CHECK_THAT(*ReadSidecarFile(path, {}).error, Catch::Contains("cannot open"));
  }
  SECTION("a directory") {
    fs::create_directory(path);
    CHECK_THAT(*ReadSidecarFile(path, {}).error, Catch::Contains("not a regular file"));
  }
}

TEST_CASE("Bad sidecar: over --max-series or --sidecar-max-bytes is a clear error",
          "[runner][sidecar][bad-input]") {
  TempDir dir;
  const std::string path = dir.path + "/metrics.prom";
  std::ofstream(path) << "a 1\nb 1\nc 1\nd 1\n";
  SidecarRules rules;
  SECTION("series") {
    rules.max_series = 3;
    CHECK_THAT(*ReadSidecarFile(path, rules).error, Catch::Contains("at most 3 series"));
  }
  SECTION("bytes") {
    rules.max_bytes = 10;
    CHECK_THAT(*ReadSidecarFile(path, rules).error,
               Catch::Contains("16 bytes, larger than the limit of 10 bytes"));
  }
}

TEST_CASE("Parser: errors about a 1 MB metric name quote only its start",
          "[metrics][parser][bad-input]") {
  const std::string name(1 << 20, 'n');
  const auto result = pushrun::metrics::ParseText(name + "\n");
  REQUIRE_FALSE(result.ok());
  CHECK(result.error->message == "expected a value after metric name \"" + std::string(60, 'n') +
                                     "...\", found end of line");
}

TEST_CASE("Bad sidecar: histograms and counters must hold what the exposition format defines",
          "[runner][sidecar][bad-input]") {
  const std::string kHistogram = "# TYPE h histogram\n";
  const BadInput input = GENERATE_COPY(
      BadInput{"a negative counter",
               "# TYPE c_total counter\nc_total{a=\"x\"} 1\nc_total{a=\"y\"} -1\n",
               ":3:1: counter \"c_total\" is negative (-1)"},
      BadInput{"no +Inf bucket",
               kHistogram + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"2\"} 2\nh_sum 3\nh_count 2\n",
               ":2:1: histogram \"h\" has no le=\"+Inf\" bucket"},
      BadInput{"buckets that are not cumulative",
               kHistogram + "h_bucket{le=\"1\"} 5\nh_bucket{le=\"2\"} 3\nh_bucket{le=\"+Inf\"} 5\n"
                            "h_sum 3\nh_count 5\n",
               ":3:1: histogram \"h\" is not cumulative: the bucket le=\"2\" (3) is below the "
               "bucket le=\"1\" (5)"},
      BadInput{"not cumulative in the order of le, whatever the order of lines",
               kHistogram + "h_bucket{le=\"+Inf\"} 1\nh_bucket{le=\"10\"} 4\nh_sum 3\nh_count 1\n",
               ":2:1: histogram \"h\" is not cumulative: the bucket le=\"+Inf\" (1)"},
      BadInput{"a negative bucket",
               kHistogram + "h_bucket{le=\"1\"} -1\nh_bucket{le=\"+Inf\"} 0\nh_sum 0\nh_count 0\n",
               ":2:1: histogram bucket of \"h\" is negative (-1)"},
      BadInput{"a +Inf bucket other than _count",
               kHistogram + "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 7\n",
               ":5:1: histogram \"h\": _count (7) differs from the le=\"+Inf\" bucket (2)"},
      BadInput{"one good series and one without +Inf",
               kHistogram + "h_bucket{s=\"a\",le=\"+Inf\"} 1\nh_count{s=\"a\"} 1\n"
                            "h_bucket{s=\"b\",le=\"1\"} 1\nh_count{s=\"b\"} 1\n",
               "histogram \"h\" has no le=\"+Inf\" bucket"});
  CAPTURE(input.what);
  TempDir dir;
  const std::string path = dir.path + "/metrics.prom";
  std::ofstream(path, std::ios::binary) << input.content;
  const SidecarResult result = ReadSidecarFile(path, SidecarRules{});
  REQUIRE_FALSE(result.ok());
  CHECK_THAT(*result.error, Catch::StartsWith(path));
  CHECK_THAT(*result.error, Catch::Contains(input.message));
}

TEST_CASE("Bad sidecar: well-formed histograms per series and zero counters are accepted",
          "[runner][sidecar]") {
  TempDir dir;
  const std::string path = dir.path + "/metrics.prom";
  std::ofstream(path) << "# TYPE h histogram\n"
                         "h_bucket{s=\"a\",le=\"0.5\"} 0\nh_bucket{s=\"a\",le=\"1e3\"} 2\n"
                         "h_bucket{s=\"a\",le=\"+Inf\"} 2\nh_sum{s=\"a\"} -4\nh_count{s=\"a\"} 2\n"
                         "h_bucket{s=\"b\",le=\"+Inf\"} 0\nh_sum{s=\"b\"} 0\nh_count{s=\"b\"} 0\n"
                         "# TYPE c_total counter\nc_total 0\n# TYPE g gauge\ng -5\n";
  const SidecarResult result = ReadSidecarFile(path, SidecarRules{});
  CHECK(result.ok());
  CHECK(result.families.size() == 3);
}
