#pragma once
// How the pushrun process ends; internal to the executable.

namespace pushrun::runner {

// Ends the process with `status` once its report is out, without the work a normal exit does
// after that and that nobody waits for:
// - the standard streams are flushed, and nothing else runs: no static destructors, no atexit
//   handlers or destructors of the ~30 libraries libcurl brought in (OpenSSL's cleanup alone
//   took 0.24 ms), no dlclose;
// - when libcurl was loaded, the kernel's unmapping of the address space (its ~150 mappings
//   took ~0.8-1.2 ms, after which the parent only learns the status) is left to a helper
//   process that shares the address space and dies with pushrun (parent-death SIGKILL), so
//   the parent reaps pushrun first. The helper holds no descriptor and runs no code but four
//   system calls.
// Sanitizer builds exit normally, so that the leak check runs.
[[noreturn]] void ExitProcess(int status);

}  // namespace pushrun::runner
