#!/usr/bin/env bash
# `make demo`: a local Pushgateway on a free loopback port, one wrapped job that writes a
# sidecar metric, and what the gateway then holds for its group. Leaves nothing running.
set -euo pipefail

build=${1:-build}
pushrun="$build/runner/pushrun"
gateway_bin=/usr/bin/prometheus-pushgateway
[ -x "$pushrun" ] || { echo "demo: $pushrun not built (make build BUILD=$build)" >&2; exit 1; }
[ -x "$gateway_bin" ] || { echo "demo: $gateway_bin missing (make deps)" >&2; exit 1; }

source "$(dirname "$0")/local-gateway.sh"
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

start_local_gateway "$workdir/gateway.log" || { echo "demo: no Pushgateway" >&2; exit 1; }
url=$gateway_url
echo "demo: Pushgateway on $url"

status=0
set -x
"$pushrun" --gateway "$url" --job demo -g instance=demo-host -- \
  sh -c 'echo "demo_rows_processed 42" >> "$PUSHRUN_METRICS_FILE"; sleep 0.2' || status=$?
{ set +x; } 2>/dev/null
echo "demo: pushrun exited with $status; the gateway now holds for job=\"demo\":"
curl -sf "$url/metrics" | grep 'job="demo"'
