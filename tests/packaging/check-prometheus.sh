#!/usr/bin/env bash
# Checks pushrun's Prometheus alerting rules: syntax (`promtool check rules`) and behaviour
# (`promtool test rules` on the unit tests next to them).
# Usage: check-prometheus.sh [SOURCE_DIR]
set -euo pipefail

source_dir=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
rules_dir=$source_dir/packaging/prometheus

command -v promtool >/dev/null || { echo "check-prometheus: promtool not found (Debian package prometheus)" >&2; exit 1; }

promtool check rules "$rules_dir/pushrun-alerts.yml" "$rules_dir/pushrun-alerts-remote-write.yml" \
  "$rules_dir/pushrun-thresholds.example.yml"
# promtool resolves rule_files relative to the test file's directory.
promtool test rules "$rules_dir/pushrun-alerts.test.yml" "$rules_dir/pushrun-alerts-remote-write.test.yml"
echo "check-prometheus: ok"
