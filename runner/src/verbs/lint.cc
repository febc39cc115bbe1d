// `pushrun lint FILE...`: sidecar files checked as a run would check them.

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "pushrun/runner/app.h"
#include "pushrun/runner/sidecar.h"
#include "verb_common.h"

namespace pushrun::runner {

using detail::RulesOf;

int RunLint(const std::vector<std::string>& files, const config::Settings& settings, Logger& log,
            const RunIo& io) {
  if (files.empty()) {
    log.Error("lint needs at least one FILE (\"-\" for stdin)");
    return kExitPushrunError;
  }
  const SidecarRules rules = RulesOf(settings);
  int status = kExitOk;
  for (const std::string& file : files) {
    SidecarResult result;
    if (file == "-") {
      // Bounded like a sidecar: never more than max_bytes + 1 bytes.
      std::string text;
      char buffer[65536];
      for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > rules.max_bytes) break;
      }
      result = CheckSidecarText(text, "<stdin>", rules);
    } else {
      struct stat st {};
      if (::lstat(file.c_str(), &st) != 0) {
        result.error = file + ": cannot open: " + std::strerror(errno);
      } else {
        result = ReadSidecarFile(file, rules);
      }
    }
    if (!result.ok()) {
      status = kExitFailure;
      if (io.err != nullptr) *io.err << *result.error << '\n' << std::flush;
      continue;
    }
    std::size_t series = 0;
    for (const auto& family : result.families) series += family.samples.size();
    log.Info(file + ": " + std::to_string(result.families.size()) + " families, " +
             std::to_string(series) + " series");
  }
  return status;
}

}  // namespace pushrun::runner
