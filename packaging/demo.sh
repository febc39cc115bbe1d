#!/usr/bin/env bash
# `make demo`: a local Pushgateway on a free loopback port, one wrapped job that writes a
# sidecar metric, and what the gateway then holds for its group. Leaves nothing running.
set -euo pipefail

build=${1:-build}
pushrun="$build/runner/pushrun"
gateway_bin=/usr/bin/prometheus-pushgateway
[ -x "$pushrun" ] || { echo "demo: $pushrun not built (make build BUILD=$build)" >&2; exit 1; }
[ -x "$gateway_bin" ] || { echo "demo: $gateway_bin missing (make deps)" >&2; exit 1; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
workdir=$(mktemp -d)
gateway_pid=""
cleanup() {
  if [ -n "$gateway_pid" ]; then
    kill "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

# In-memory only (--persistence.file=): Debian's default would write under /var/lib.
"$gateway_bin" --web.listen-address="127.0.0.1:$port" --persistence.file= \
  >"$workdir/gateway.log" 2>&1 &
gateway_pid=$!
for _ in $(seq 100); do
  curl -sf "$url/-/ready" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -sf "$url/-/ready" >/dev/null || { echo "demo: the Pushgateway did not start" >&2; cat "$workdir/gateway.log" >&2; exit 1; }
echo "demo: Pushgateway on $url"

status=0
set -x
"$pushrun" --gateway "$url" --job demo -g instance=demo-host -- \
  sh -c 'echo "demo_rows_processed 42" >> "$PUSHRUN_METRICS_FILE"; sleep 0.2' || status=$?
{ set +x; } 2>/dev/null
echo "demo: pushrun exited with $status; the gateway now holds for job=\"demo\":"
curl -sf "$url/metrics" | grep 'job="demo"'
