#!/bin/sh
# A peer for the benchmarks only (never part of the product): the wrapper people write in a
# cron line, POSIX sh and curl.
#
#   shell_wrapper.sh --gateway URL --job JOB [-g NAME=VALUE]... -- CMD ARGS...
#
# It runs the command with PUSHRUN_METRICS_FILE naming an empty file in a fresh private
# directory, then POSTs start/end timestamps, duration, exit code and success (sh has no
# resource usage of a child) followed by the sidecar's bytes, unchecked, in one
# `curl --data-binary @-`.
set -u
gateway= job= path=
while [ $# -gt 0 ]; do
  case $1 in
    --gateway) gateway=$2; shift 2 ;;
    --job) job=$2; shift 2 ;;
    -g) path="$path/${2%%=*}/${2#*=}"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: shell_wrapper.sh --gateway URL --job JOB [-g K=V]... -- CMD..." >&2; exit 125 ;;
  esac
done
[ -n "$gateway" ] && [ -n "$job" ] && [ $# -gt 0 ] || { echo "shell_wrapper.sh: missing arguments" >&2; exit 125; }

dir=$(mktemp -d) || exit 125
trap 'rm -rf "$dir"' EXIT
PUSHRUN_METRICS_FILE=$dir/metrics.prom
(umask 077 && : >"$PUSHRUN_METRICS_FILE")
export PUSHRUN_METRICS_FILE

start=$(date +%s.%N)
"$@"
code=$?
end=$(date +%s.%N)
success=0
[ "$code" -eq 0 ] && success=1

{
  printf '# TYPE pushrun_start_timestamp_seconds gauge\npushrun_start_timestamp_seconds %s\n' "$start"
  printf '# TYPE pushrun_end_timestamp_seconds gauge\npushrun_end_timestamp_seconds %s\n' "$end"
  printf '# TYPE pushrun_duration_seconds gauge\npushrun_duration_seconds %s\n' \
    "$(echo "$end $start" | awk '{ printf "%.9f", $1 - $2 }')"
  printf '# TYPE pushrun_exit_code gauge\npushrun_exit_code %s\n' "$code"
  printf '# TYPE pushrun_success gauge\npushrun_success %s\n' "$success"
  cat "$PUSHRUN_METRICS_FILE"
} | curl -sS -o /dev/null --fail --max-time 10 --data-binary @- "$gateway/metrics/job/$job$path" \
  || echo "shell_wrapper.sh: push failed" >&2
exit "$code"
