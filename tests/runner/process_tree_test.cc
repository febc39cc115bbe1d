// The live resources of the command's process tree, measured on real processes. The leaves
// block reading a FIFO, so the tree stays still while it is measured and ends at once when the
// test opens and closes the FIFO's writing end.

#include "pushrun/runner/process_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "support/run_process.h"
#include "support/temp_dir.h"

namespace {

using pushrun::runner::MeasureDescendants;
using pushrun::runner::MemoryMeasure;
using pushrun::runner::ProcessTreeUsage;
using pushrun::testing::ChildProcess;
using pushrun::testing::TempDir;
using pushrun::testing::WaitUntil;

// A FIFO whose readers get end-of-file, and so end, when this goes out of scope.
class Gate {
 public:
  explicit Gate(const TempDir& dir) : path_(dir.path + "/gate") {
    REQUIRE(::mkfifo(path_.c_str(), 0600) == 0);
  }
  ~Gate() {
    // Readers still on their way to open() would block for ever: keep opening until none is.
    for (int i = 0; i < 50; ++i) {
      const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) break;
      ::close(fd);
      ::usleep(20'000);
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The usage of the shell's descendants once they number `processes` (or after ten seconds).
ProcessTreeUsage MeasureWhenSettled(const ChildProcess& shell, int processes) {
  ProcessTreeUsage usage;
  WaitUntil([&] {
    usage = MeasureDescendants(shell.pid());
    return usage.processes == processes;
  });
  return usage;
}

}  // namespace

TEST_CASE("Process tree: every descendant counts, however deep", "[runner][heartbeat]") {
  TempDir dir;
  Gate gate(dir);
  // The shell's descendants: an inner shell, its cat, and the outer cat.
  ChildProcess shell(
      {"/bin/sh", "-c", R"(sh -c 'cat "$0" & wait' "$0" & cat "$0" & wait)", gate.path()});
  const ProcessTreeUsage usage = MeasureWhenSettled(shell, 3);
  CHECK(usage.processes == 3);
  CHECK(usage.memory_bytes > 0);
  CHECK(usage.cpu_seconds >= 0);
}

TEST_CASE("Process tree: a descendant that left for its own session (setsid) still counts",
          "[runner][heartbeat]") {
  TempDir dir;
  Gate gate(dir);
  ChildProcess shell({"/bin/sh", "-c", R"(setsid cat "$0" & cat "$0" & wait)", gate.path()});
  CHECK(MeasureWhenSettled(shell, 2).processes == 2);
}

TEST_CASE("Process tree: the measured process itself and its siblings are left out",
          "[runner][heartbeat]") {
  TempDir dir;
  Gate gate(dir);
  ChildProcess sibling({"/bin/sh", "-c", R"(cat "$0")", gate.path()});
  ChildProcess shell({"/bin/sh", "-c", R"(cat "$0" & wait)", gate.path()});
  CHECK(MeasureWhenSettled(shell, 1).processes == 1);
}

TEST_CASE("Process tree: a command that holds 200 MB shows at least 200 MB of live memory",
          "[runner][heartbeat]") {
  TempDir dir;
  Gate gate(dir);
  // Multiplying a bytes object writes every page, so all 200 MiB are resident.
  ChildProcess shell(
      {"/bin/sh", "-c",
       R"(python3 -c 'import sys; b = b"x" * (200 << 20); open(sys.argv[1]).read()' "$0" & wait)",
       gate.path()});
  constexpr double kHeld = 200.0 * 1024 * 1024;
  ProcessTreeUsage usage;
  const bool reached = WaitUntil(
      [&] {
        usage = MeasureDescendants(shell.pid());
        return usage.memory_bytes >= kHeld;
      },
      std::chrono::seconds(60));
  INFO("measured " << usage.memory_bytes << " bytes as "
                   << pushrun::runner::MemoryMeasureName(usage.memory_measure));
  CHECK(reached);
  CHECK(usage.processes == 1);
  // Our own processes' smaps_rollup is readable, so the figure is PSS.
  CHECK(usage.memory_measure == MemoryMeasure::kPss);
}
