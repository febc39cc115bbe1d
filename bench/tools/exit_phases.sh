#!/usr/bin/env bash
# Where the time after the command's exit goes (bench/README.md, "Figure 1, phase by phase"):
# perf uprobes on pushrun's and libcurl's functions plus scheduler, signal and syscall
# tracepoints, over RUNS runs of `pushrun --gateway URL -- bench_probe --sleep 200` driven by
# bench_driver, then the median of each phase. Needs root (uprobes, system-wide perf record).
#   bench/tools/exit_phases.sh BUILD_DIR GATEWAY_URL [RUNS]
set -euo pipefail
build=$(cd "$1" && pwd)
url=$2
runs=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
pushrun=$build/runner/pushrun
curl_lib=$(readlink -f /usr/lib/x86_64-linux-gnu/libcurl.so.4)
libc=$(readlink -f /lib/x86_64-linux-gnu/libc.so.6)
events=/sys/kernel/tracing/uprobe_events
work=$(mktemp -d /tmp/pushrun-phases.XXXXXX)

# The file offset of a function (text segments here map at offset == address).
offset() { nm -C "$1" | grep -E " [tT] $2" | grep -v "\[clone" | head -1 | cut -d' ' -f1 | sed 's/^0*/0x/'; }
dynamic() { nm -D --defined-only "$1" | grep -E " T $2(@|$)" | head -1 | cut -d' ' -f1 | sed 's/^0*/0x/'; }
remove_probes() {
  for e in $(grep '^[pr]:pushrun_phases/' "$events" | cut -d' ' -f1 | cut -d: -f2); do
    echo "-:$e" >>"$events"
  done
}
cleanup() { remove_probes; rm -rf "$work"; }
trap cleanup EXIT
remove_probes
{
  echo "r:pushrun_phases/run_child_r $pushrun:$(offset "$pushrun" 'pushrun::runner::RunChild\(')"
  echo "p:pushrun_phases/send $pushrun:$(offset "$pushrun" 'pushrun::metrics::\(anonymous namespace\)::CurlTransport::Send\(')"
  echo "r:pushrun_phases/send_r $pushrun:$(offset "$pushrun" 'pushrun::metrics::\(anonymous namespace\)::CurlTransport::Send\(')"
  echo "r:pushrun_phases/cos_ctor_r $pushrun:$(offset "$pushrun" 'pushrun::runner::detail::CancelOnSignal::CancelOnSignal\(')"
  echo "r:pushrun_phases/deliver_r $pushrun:$(offset "$pushrun" 'pushrun::runner::DeliverReport\(')"
  # Before ExitProcess existed (a build older than this script), main's return.
  if exiting=$(offset "$pushrun" 'pushrun::runner::ExitProcess\(') && [ -n "$exiting" ]; then
    echo "p:pushrun_phases/exiting $pushrun:$exiting"
  else
    echo "r:pushrun_phases/exiting $pushrun:$(nm "$pushrun" | grep -E ' T main$' | cut -d' ' -f1 | sed 's/^0*/0x/')"
  fi
  echo "p:pushrun_phases/ossl_cleanup $(readlink -f /lib/x86_64-linux-gnu/libcrypto.so.3):$(dynamic /lib/x86_64-linux-gnu/libcrypto.so.3 OPENSSL_cleanup)"
  echo "p:pushrun_phases/_exit $libc:$(dynamic "$libc" _exit)"
  echo "p:pushrun_phases/multi_add $curl_lib:$(dynamic "$curl_lib" curl_multi_add_handle)"
} >>"$events"

printf 'pushrun\t%s\t--gateway\t%s\t--job\tphases\t--\t%s\t@OUT@\t--sleep\t200\n' "$pushrun" "$url" \
  "$build/bench/bench_probe" >"$work/spec"
mkdir -p "$work/out"
perf record -q -o "$work/perf.data" -a -e 'pushrun_phases:*' \
  -e syscalls:sys_enter_connect -e syscalls:sys_enter_sendto -e syscalls:sys_exit_recvfrom \
  -e signal:signal_generate -- chrt -f 10 "$build/bench/bench_driver" --runs "$runs" --warmup 2 \
  "$work/spec" "$work/out" >&2
perf script -i "$work/perf.data" -F comm,pid,tid,time,event,trace 2>/dev/null >"$work/events.txt"
/usr/bin/python3 "$here/exit_phases.py" "$work/events.txt"
