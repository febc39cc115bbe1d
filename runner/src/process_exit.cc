#include "process_exit.h"

#include <dlfcn.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

#include "pushrun/runner/fd_stream.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PUSHRUN_EXIT_NORMALLY 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PUSHRUN_EXIT_NORMALLY 1
#endif
#endif

namespace pushrun::runner {
namespace {

// The helper's stack, in the address space it shares (it uses a few hundred bytes).
alignas(64) char helper_stack[16 * 1024];

// The helper: it shares pushrun's memory but has its own copy of the descriptor table, which
// it empties (a pipe's reader must see end-of-file when pushrun ends, not later), then sleeps
// until pushrun has died. Raw system calls only: it must not touch libc state that pushrun's
// exiting thread owns.
int HoldAddressSpace(void* parent) {
  ::syscall(SYS_close_range, 0u, ~0u, 0u);
  ::syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  // pushrun may have died before the parent-death signal was armed.
  if (::syscall(SYS_getppid) == reinterpret_cast<std::intptr_t>(parent)) ::syscall(SYS_pause);
  ::syscall(SYS_exit, 0);
  return 0;
}

// Only a process that loaded libcurl has an address space worth handing off; the others
// (textfile runs, --help) end as cheaply without a helper.
bool LibcurlLoaded() { return ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD) != nullptr; }

}  // namespace

void ExitProcess(int status) {
  FlushStandardStreams();
#ifdef PUSHRUN_EXIT_NORMALLY
  std::exit(status);
#else
  if (LibcurlLoaded()) {
    // No CLONE_FILES (see HoldAddressSpace) and no CLONE_THREAD: pushrun's exit must not wait
    // for it. When clone fails, pushrun simply unmaps its memory itself.
    (void)::clone(HoldAddressSpace, helper_stack + sizeof helper_stack, CLONE_VM | SIGCHLD,
                  reinterpret_cast<void*>(static_cast<std::intptr_t>(::getpid())));
  }
  ::_exit(status);
#endif
}

}  // namespace pushrun::runner
