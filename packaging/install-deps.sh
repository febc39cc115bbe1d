#!/usr/bin/env bash
# Installs every Debian bookworm package that pushrun's build, tests, demo and benchmarks need,
# and only those that are missing. Run as root or with sudo available. Idempotent.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build pkg-config
  libtomlplusplus-dev libcurl4-openssl-dev zlib1g-dev
  libcli11-dev libboost1.81-dev libboost-filesystem1.81-dev libsnappy-dev
  # tests
  catch2 prometheus-pushgateway openssl curl util-linux procps python3 locales-all
  # the report-path test takes a backtrace at the HTTP call
  gdb
  # fuzzing and sanitizers
  clang libclang-rt-14-dev
  # packaging checks
  # remote-write receivers for the tests (prometheus is also the rule checker)
  victoria-metrics
  prometheus man-db dpkg-dev file python3-yaml binutils
  # benchmarks (peers are measured, never linked by the product)
  libbenchmark-dev prometheus-cpp-dev python3-prometheus-client hyperfine
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'install ok installed' >/dev/null; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts the packaged Pushgateway as a system service on :9091; pushrun's tests and demo
# run their own on free loopback ports and need nothing from it.
