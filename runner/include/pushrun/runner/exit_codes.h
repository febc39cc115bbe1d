#pragma once
// pushrun's own exit statuses; the others are the command's (see ChildOutcome), and
// kExitLockHeld a skipped run's (run_lock.h).

namespace pushrun::runner {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;         // `delete`, `flush` or `lint` did not succeed
inline constexpr int kExitPushrunError = 125;  // usage, configuration, or (with
                                               // --fail-on-push-error) a failed push

}  // namespace pushrun::runner
