#!/usr/bin/env bash
# Keeps the deployment examples honest: every pushrun command line in packaging/examples/
# (crontab, systemd service, Kubernetes Job and CronJob) is run with --dry-run through the built
# binary, and every fleet TOML example is validated with `pushrun check`.
# Usage: check-examples.sh PUSHRUN_BINARY [SOURCE_DIR]
set -euo pipefail

pushrun=${1:?usage: check-examples.sh PUSHRUN_BINARY [SOURCE_DIR]}
source_dir=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
[ -x "$pushrun" ] || { echo "check-examples: $pushrun is not executable" >&2; exit 1; }

python3 "$source_dir/tests/packaging/example_commands.py" "$pushrun" "$source_dir/packaging/examples"

shopt -s nullglob
tomls=("$source_dir"/packaging/*.toml "$source_dir"/packaging/examples/*.toml)
dummy_secret=example-secret-not-real
for toml in "${tomls[@]}"; do
  # Secrets named by *_env keys get a dummy value, as the real machine's environment would.
  secret_env=()
  for name in $(sed -n 's/^[[:space:]]*[a-z_]*_env[[:space:]]*=[[:space:]]*"\([A-Za-z_][A-Za-z0-9_]*\)".*/\1/p' "$toml"); do
    secret_env+=("$name=$dummy_secret")
  done
  if ! out=$(env "${secret_env[@]}" "$pushrun" -c "$toml" check 2>&1); then
    echo "FAIL $toml: pushrun check:" >&2
    echo "$out" >&2
    exit 1
  fi
  if grep -q "$dummy_secret" <<<"$out"; then
    echo "FAIL $toml: pushrun check printed a secret" >&2
    exit 1
  fi
  jobs=$(env "${secret_env[@]}" "$pushrun" -c "$toml" jobs)
  [ -n "$jobs" ] || { echo "FAIL $toml: pushrun jobs lists nothing" >&2; exit 1; }
  echo "ok   ${toml#"$source_dir"/}: pushrun check; jobs: $(echo $jobs)"
done
echo "check-examples: ok"
