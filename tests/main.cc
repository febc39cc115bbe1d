#define CATCH_CONFIG_RUNNER
#include <signal.h>

#include <catch2/catch.hpp>

// The suite starts from the signal state of a foreground shell, whatever started it: a ctest
// run from a background job (`make test &`) inherits SIGINT and SIGQUIT ignored, and tests of
// what pushrun hands its command (nohup semantics, default dispositions) would read that
// instead of what they set up themselves. Programs the tests start inherit the same clean state.
int main(int argc, char* argv[]) {
  for (int signal = 1; signal < NSIG; ++signal) {
    if (signal == SIGKILL || signal == SIGSTOP) continue;
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) {
      ::signal(signal, SIG_DFL);
    }
  }
  return Catch::Session().run(argc, argv);
}
