#!/usr/bin/env bash
# Installs pushrun from an already configured and built tree into a temporary prefix, then
# builds tests/packaging/consumer against the installed tree twice — with find_package(pushrun)
# (CMAKE_PREFIX_PATH) and with pkg-config (pushrun-metrics.pc) — and runs both programs.
# Usage: check-install.sh BUILD_DIR [SOURCE_DIR]
set -euo pipefail

build_dir=${1:?usage: check-install.sh BUILD_DIR [SOURCE_DIR]}
source_dir=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
consumer=$source_dir/tests/packaging/consumer

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() { echo "check-install: $*" >&2; exit 1; }

cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log" >&2; fail "cmake --install failed"; }

# The files a user relies on.
libdir=$(cd "$prefix" && dirname "$(find . -name 'libpushrun-metrics.*' -print -quit)")
libdir=${libdir#./}
[ "$libdir" != "." ] || fail "libpushrun-metrics not installed"
for f in bin/pushrun include/pushrun/metrics.h include/pushrun/metrics/registry.h \
         "$libdir/cmake/pushrun/pushrunConfig.cmake" \
         "$libdir/cmake/pushrun/pushrunConfigVersion.cmake" \
         "$libdir/cmake/pushrun/pushrunTargets.cmake" \
         "$libdir/pkgconfig/pushrun-metrics.pc" \
         share/man/man1/pushrun.1.gz; do
  [ -e "$prefix/$f" ] || fail "missing from the installed tree: $f"
done
# Only the metrics library is public: the binary's internals stay out of include/.
[ ! -e "$prefix/include/pushrun/runner" ] || fail "runner headers were installed"
[ ! -e "$prefix/include/pushrun/config" ] || fail "config headers were installed"
"$prefix/bin/pushrun" --version >/dev/null || fail "installed pushrun --version failed"

expected='# HELP consumer_jobs_total Jobs the consumer processed.
# TYPE consumer_jobs_total counter
consumer_jobs_total{queue="default"} 3
http://127.0.0.1:9091/prefix/metrics/job/consumer'

# 1. CMake package. Copy the consumer so nothing of pushrun's own tree is in reach.
cp -r "$consumer" "$work/consumer"
cmake -S "$work/consumer" -B "$work/build-cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 || {
  cat "$work/cmake.log" >&2; fail "configuring the consumer with find_package(pushrun) failed"; }
cmake --build "$work/build-cmake" >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2; fail "building the consumer with find_package(pushrun) failed"; }
got=$("$work/build-cmake/consumer")
[ "$got" = "$expected" ] || fail "consumer (CMake) printed:
$got"
echo "ok   find_package(pushrun) -> pushrun::metrics"

# 2. pkg-config, with plain --libs as a user types it: the .pc file must name every library
# the installed archive needs without --static. Then with --static, which must work too.
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
pkg-config --exists pushrun-metrics || fail "pkg-config does not find pushrun-metrics"
for mode in plain static; do
  flags=()
  [ "$mode" = plain ] || flags=(--static)
  libs=$(pkg-config --libs "${flags[@]}" pushrun-metrics)
  # shellcheck disable=SC2046 # pkg-config's output is meant to be split into words
  c++ -o "$work/consumer-pc" "$work/consumer/main.cc" $(pkg-config --cflags pushrun-metrics) \
    $libs 2>"$work/pc.log" || {
    cat "$work/pc.log" >&2; fail "building the consumer with pkg-config --libs ($mode) failed"; }
  got=$(LD_LIBRARY_PATH=$prefix/$libdir "$work/consumer-pc")
  [ "$got" = "$expected" ] || fail "consumer (pkg-config, $mode) printed:
$got"
  echo "ok   pkg-config --libs ($mode) pushrun-metrics: ${libs//$prefix/PREFIX}"
done
echo "check-install: ok"
