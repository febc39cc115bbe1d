#!/usr/bin/env bash
# Checks the Grafana dashboard: it parses as JSON, has a datasource variable every panel uses and
# a job variable, covers the metrics the issue asks for, and every PromQL expression in it is
# accepted by promtool. promtool has no "check this expression" command, so each expression
# (with Grafana's $variables replaced by plausible values) becomes a recording rule in a
# generated rules file that `promtool check rules` parses.
# Usage: check-dashboard.sh [SOURCE_DIR]
set -euo pipefail

source_dir=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
dashboard=$source_dir/packaging/grafana/pushrun-dashboard.json
command -v promtool >/dev/null || { echo "check-dashboard: promtool not found (Debian package prometheus)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$dashboard" "$work/exprs.yml" <<'PY'
import json, re, sys

path, out = sys.argv[1], sys.argv[2]
with open(path) as f:
    dash = json.load(f)
errors = []

variables = {v["name"]: v for v in dash.get("templating", {}).get("list", [])}
if variables.get("datasource", {}).get("type") != "datasource":
    errors.append("no datasource variable named 'datasource'")
if "job" not in variables:
    errors.append("no variable named 'job'")
for key in ("uid", "title", "schemaVersion"):
    if key not in dash:
        errors.append(f"dashboard has no {key}")

def walk(panels):
    for p in panels:
        yield p
        yield from walk(p.get("panels", []))

# Values for Grafana's variables, so the expression is what Prometheus would receive.
substitutions = {
    "job": "nightly_backup|hourly_export", "datasource": "prometheus",
    "__interval": "1m", "__rate_interval": "4m", "__range": "1d", "__range_s": "86400",
    "__interval_ms": "60000", "__range_ms": "86400000", "progress_metric": "progress",
}
def substitute(expr):
    def repl(m):
        name = m.group(1) or m.group(2)
        if name not in substitutions:
            errors.append(f"unknown variable ${name} in: {expr}")
            return "x"
        return substitutions[name]
    # ${name}, ${name:format} and $name
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)

exprs, ids, seen_metrics = [], set(), set()
for p in walk(dash.get("panels", [])):
    if p.get("id") in ids:
        errors.append(f"duplicate panel id {p.get('id')}")
    ids.add(p.get("id"))
    if p.get("type") == "row":
        continue
    title = p.get("title", "?")
    if p.get("datasource", {}).get("uid") != "${datasource}":
        errors.append(f"panel '{title}' does not use the ${{datasource}} variable")
    targets = p.get("targets", [])
    if not targets:
        errors.append(f"panel '{title}' has no queries")
    for t in targets:
        if t.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"a query of panel '{title}' does not use the ${{datasource}} variable")
        expr = t.get("expr", "").strip()
        if not expr:
            errors.append(f"a query of panel '{title}' has no expr")
            continue
        if '$job' not in expr:
            errors.append(f"a query of panel '{title}' ignores the job variable: {expr}")
        seen_metrics.update(re.findall(r"\b(pushrun_\w+|push_\w+)", expr))
        if "$progress_metric" in expr:
            seen_metrics.add("progress")
        exprs.append((title, substitute(expr)))

for metric in ("pushrun_last_success_timestamp_seconds", "pushrun_duration_seconds",
               "pushrun_exit_code", "pushrun_cpu_user_seconds", "pushrun_cpu_system_seconds",
               "pushrun_max_rss_bytes", "pushrun_live_memory_bytes",
               "pushrun_heartbeat_timestamp_seconds"):
    if metric not in seen_metrics:
        errors.append(f"no panel shows {metric}")
if "progress" not in seen_metrics:
    errors.append("no panel shows the sidecar progress gauge ($progress_metric)")

with open(out, "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, (title, expr) in enumerate(exprs):
        f.write(f"      # {title}\n      - record: dashboard:expr_{i}\n")
        f.write(f"        expr: {json.dumps(expr)}\n")

if errors:
    for e in errors:
        print(f"check-dashboard: {path}: {e}", file=sys.stderr)
    sys.exit(1)
print(f"check-dashboard: {len(exprs)} expressions from {len(ids)} panels")
PY

if ! promtool check rules "$work/exprs.yml"; then
  echo "check-dashboard: promtool refused an expression; the generated rules:" >&2
  cat "$work/exprs.yml" >&2
  exit 1
fi
echo "check-dashboard: ok"
