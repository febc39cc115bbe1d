#!/usr/bin/env bash
# Runs every benchmark figure of bench/README.md against a Pushgateway of its own on a free
# loopback port, and prints one table. Usage: bench/run.sh [BUILD_DIR]   (default: build-bench,
# configured with -DPUSHRUN_BUILD_BENCH=ON -DCMAKE_BUILD_TYPE=Release; `make bench` does that).
# BENCH_SCALE=N multiplies the number of runs (default 1; 0.25 for a quick look).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build-bench}" && pwd)
scale=${BENCH_SCALE:-1}
runs() { awk -v n="$1" -v s="$scale" 'BEGIN { r = int(n * s + 0.5); print (r < 3 ? 3 : r) }'; }

pushrun=$build/runner/pushrun
probe=$build/bench/bench_probe
driver=$build/bench/bench_driver
promcpp=$build/bench/bench_promcpp_wrapper
python_peer=$here/peers/python_wrapper.py
shell_peer=$here/peers/shell_wrapper.sh
for f in "$pushrun" "$probe" "$driver" "$promcpp" "$build/bench/bench_micro" \
  "$build/bench/bench_gen_sidecar" "$build/bench/bench_post"; do
  [ -x "$f" ] || { echo "bench: $f is missing; build with 'make bench'" >&2; exit 1; }
done
command -v prometheus-pushgateway >/dev/null || { echo "bench: prometheus-pushgateway is not installed" >&2; exit 1; }
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
  { echo "bench: /usr/bin/python3 lacks prometheus_client (python3-prometheus-client)" >&2; exit 1; }

# On a shared machine other load inflates every wall time (a 2-core box running a compile makes
# a 3 ms process take 30). As root, the gateway and everything measured run under SCHED_FIFO
# instead, which brings the figures close to those of an idle machine; BENCH_RT=0 turns it off.
rt=()
if [ "${BENCH_RT:-1}" != 0 ] && chrt -f 10 true 2>/dev/null; then
  rt=(chrt -f 10)
  export BENCH_SCHEDULING="SCHED_FIFO (chrt -f 10)"
else
  export BENCH_SCHEDULING="normal (SCHED_OTHER)"
fi

work=$(mktemp -d /tmp/pushrun-bench.XXXXXX)
gateway_pid=
tls_gateway_pid=
receiver_pid=
cleanup() {
  for pid in "$gateway_pid" "$tls_gateway_pid" "$receiver_pid"; do
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

source "$here/../packaging/local-gateway.sh"
GATEWAY_ARGS="--web.enable-admin-api --log.level=warn" start_local_gateway "$work/gateway.log" "${rt[@]}" ||
  { echo "bench: no Pushgateway" >&2; exit 1; }
url=$gateway_url
port=${url##*:}
wipe() { curl -sf -X PUT "$url/api/v1/admin/wipe" >/dev/null; }

# A second gateway serving https (a self-signed certificate for 127.0.0.1), for figure 4's
# memory of pushrun pushing over TLS: libcurl then also brings up OpenSSL while the command runs.
free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
tls_url=
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls-key.pem" \
  -out "$work/tls-cert.pem" >/dev/null 2>&1; then
  printf 'tls_server_config:\n  cert_file: %s\n  key_file: %s\n' "$work/tls-cert.pem" \
    "$work/tls-key.pem" >"$work/web.yml"
  tls_port=$(free_port)
  "${rt[@]}" /usr/bin/prometheus-pushgateway --web.listen-address="127.0.0.1:$tls_port" \
    --persistence.file= --web.config.file="$work/web.yml" --log.level=warn \
    >"$work/tls-gateway.log" 2>&1 &
  tls_gateway_pid=$!
  for _ in $(seq 100); do
    if curl -sf --cacert "$work/tls-cert.pem" "https://127.0.0.1:$tls_port/-/ready" >/dev/null 2>&1; then
      tls_url=https://127.0.0.1:$tls_port
      break
    fi
    sleep 0.1
  done
fi
[ -n "$tls_url" ] || echo "bench: no TLS gateway; figure 4's https row is left out" >&2

# Issue 15: a remote-write receiver (Prometheus with its receiver on), once pushrun has
# --remote-write; figure 3 then also runs `pushrun --remote-write URL -- true`.
rw_url=
if "$pushrun" --help 2>/dev/null | grep -q -- '--remote-write' && command -v prometheus >/dev/null; then
  mkdir -p "$work/prometheus"
  printf 'global:\n  scrape_interval: 1h\n' >"$work/prometheus.yml"
  rw_port=$(free_port)
  "${rt[@]}" prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus" \
    --web.listen-address="127.0.0.1:$rw_port" --web.enable-remote-write-receiver --log.level=error \
    >"$work/prometheus.log" 2>&1 &
  receiver_pid=$!
  for _ in $(seq 300); do
    if curl -sf "http://127.0.0.1:$rw_port/-/ready" >/dev/null 2>&1; then
      rw_url=http://127.0.0.1:$rw_port/api/v1/write
      break
    fi
    sleep 0.1
  done
  [ -n "$rw_url" ] || { echo "bench: Prometheus did not start:" >&2; cat "$work/prometheus.log" >&2; }
fi

log=$work/driver.log
results=$work/results.txt
: >"$results"
# The child of a bare probe writing its sidecar needs somewhere to write it.
export PUSHRUN_METRICS_FILE=$work/bare-sidecar.prom

# spec FILE NAME ARGS...: one tab-separated command line of a driver spec.
spec() {
  local file=$1
  shift
  (IFS=$'\t'; echo "$*") >>"$file"
}
# wrappers FILE JOB CMD...: the same command under each wrapper, same job and grouping.
wrappers() {
  local file=$1 job=$2
  shift 2
  spec "$file" pushrun "$pushrun" --gateway "$url" --job "$job" -g run=bench -- "$@"
  spec "$file" promcpp "$promcpp" --gateway "$url" --job "$job" -g run=bench -- "$@"
  spec "$file" python "$python_peer" --gateway "$url" --job "$job" -g run=bench -- "$@"
  spec "$file" shell "$shell_peer" --gateway "$url" --job "$job" -g run=bench -- "$@"
}
drive() {
  local figure=$1
  shift
  echo "bench: figure $figure ..." >&2
  mkdir -p "$work/out-$figure"
  "${rt[@]}" "$driver" --log "$log" "$@" "$work/spec-$figure" "$work/out-$figure" | sed "s/^/$figure /" >>"$results"
}

# Figures 1 and 2: one probe run gives both the time before its start and after its exit. The
# probe sleeps 200 ms, as a batch job runs for a while: what a wrapper does while the command
# runs (pushrun loads libcurl and resolves the gateway then) is not time added after its exit.
wipe
spec "$work/spec-overhead" bare "$probe" @OUT@ --sleep 200
wrappers "$work/spec-overhead" bench_overhead "$probe" @OUT@ --sleep 200
drive overhead --runs "$(runs 60)" --warmup 3
# The floor of the time after the exit: the gateway's round trip for pushrun's own report body,
# measured in-process.
"$pushrun" --dry-run --gateway "$url" --job bench_overhead -g run=bench -- /bin/true |
  tail -n +3 >"$work/report-body.prom"
echo "overhead post $("${rt[@]}" "$build/bench/bench_post" 127.0.0.1 "$port" /metrics/job/bench_overhead/run/bench \
  "$work/report-body.prom" "$(runs 60)")" >>"$results"

# Figure 3: `wrapper -- true`. An absolute path, so that sh runs the program, not its builtin.
wipe
spec "$work/spec-true" bare /bin/true
wrappers "$work/spec-true" bench_true /bin/true
if [ -n "$rw_url" ]; then
  spec "$work/spec-true" pushrun_rw "$pushrun" --remote-write "$rw_url" --job bench_true -g run=bench -- /bin/true
fi
drive true --runs "$(runs 60)" --warmup 3

# Figure 4: memory of the wrapper process while its child sleeps.
wipe
spec "$work/spec-memory" bare "$probe" @OUT@ --sleep 300
wrappers "$work/spec-memory" bench_memory "$probe" @OUT@ --sleep 300
if [ -n "$tls_url" ]; then
  spec "$work/spec-memory" pushrun_https "$pushrun" --gateway "$tls_url" --ca-file "$work/tls-cert.pem" \
    --job bench_memory -g run=bench -- "$probe" @OUT@ --sleep 300
fi
drive memory --runs "$(runs 10)" --warmup 1 --rss --settle-ms 50

# Figure 5: a 100,000-series sidecar, end to end; the floor is the bare command plus a bare curl
# upload of the same bytes to the same group.
sidecar=$work/sidecar.prom
"$build/bench/bench_gen_sidecar" 100000 "$sidecar"
wipe
spec "$work/spec-sidecar" bare "$probe" @OUT@ --sidecar "$sidecar"
spec "$work/spec-sidecar" curl curl -sS -o /dev/null --fail --data-binary "@$sidecar" \
  "$url/metrics/job/bench_sidecar/run/bench"
wrappers "$work/spec-sidecar" bench_sidecar "$probe" @OUT@ --sidecar "$sidecar"
drive sidecar --runs "$(runs 11)" --warmup 1
echo "sidecar post $("${rt[@]}" "$build/bench/bench_post" 127.0.0.1 "$port" /metrics/job/bench_sidecar/run/bench \
  "$sidecar" "$(runs 11)")" >>"$results"
wipe

# Figures 5 (pushrun's own work) and 6: Google Benchmark, in-process.
echo "bench: micro-benchmarks ..." >&2
PUSHRUN_BENCH_SIDECAR=$sidecar "${rt[@]}" "$build/bench/bench_micro" --benchmark_min_time=0.2 \
  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_format=json --benchmark_out="$work/micro.json" --benchmark_out_format=json \
  >/dev/null

if grep -q "run failed" "$log"; then
  echo "bench: some runs failed (excluded from the medians):" >&2
  sort "$log" | uniq -c | sort -rn | sed -n 1,20p >&2
fi

/usr/bin/python3 "$here/report.py" --results "$results" --micro "$work/micro.json" \
  --sidecar "$sidecar"
