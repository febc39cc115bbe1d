#!/usr/bin/env bash
# Runs one libFuzzer target for a while on its seed corpus (tests/fuzz/corpus/<name>) and what it
# found before (BUILD/corpus/<name>); prints its final stats, or its whole log if it failed.
# `make fuzz` runs several of these at once, so each writes to its own log until it ends.
# Usage: run.sh BUILD SECONDS FUZZER
set -euo pipefail
build=${1:?usage: run.sh BUILD SECONDS FUZZER}
seconds=${2:?usage: run.sh BUILD SECONDS FUZZER}
fuzzer=${3:?usage: run.sh BUILD SECONDS FUZZER}
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
name=$(basename "$fuzzer" _fuzz)
mkdir -p "$build/corpus/$name" "$build/artifacts" "$build/logs"
log=$build/logs/$name.log
dict=()
[ ! -f "$source_dir/tests/fuzz/$name.dict" ] || dict=(-dict="$source_dir/tests/fuzz/$name.dict")

status=0
"$fuzzer" -max_len=65536 -max_total_time="$seconds" -print_final_stats=1 "${dict[@]}" \
  -artifact_prefix="$build/artifacts/$name-" \
  "$build/corpus/$name" "$source_dir/tests/fuzz/corpus/$name" >"$log" 2>&1 || status=$?
# One write per fuzzer, so that runs ending at the same time do not interleave their lines.
if [ "$status" -eq 0 ]; then
  report="== $name: $seconds s, no crash"$'\n'$(grep -E '^stat::(number_of_executed_units|new_units_added|peak_rss_mb)' "$log")
else
  report="== $name: FAILED (exit $status), log $log:"$'\n'$(cat "$log")
fi
printf '%s\n' "$report"
exit "$status"
