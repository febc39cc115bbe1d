#!/usr/bin/env bash
# Builds the .deb from a built tree with CPack, checks its control fields and contents, installs
# it with dpkg, runs `pushrun --version` and a wrapped job, and removes the package again.
# Needs root (dpkg -i); exits 77 — "skipped" for CTest — when not root, when dpkg is missing, or
# when a pushrun package is already installed (it is not this script's to replace).
# Usage: check-deb.sh BUILD_DIR
set -euo pipefail

build_dir=$(cd "${1:?usage: check-deb.sh BUILD_DIR}" && pwd)
skip() { echo "skipped: $*"; exit 77; }
fail() { echo "check-deb: $*" >&2; exit 1; }

command -v dpkg-deb >/dev/null || skip "dpkg-deb not found (not a Debian system)"
[ -f "$build_dir/CPackConfig.cmake" ] || fail "$build_dir has no CPackConfig.cmake"
[ -w "$build_dir" ] || skip "cannot write $build_dir (cpack writes install_manifest.txt there)"

work=$(mktemp -d)
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then dpkg -r pushrun >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# 1. Build and inspect the package (no root needed).
(cd "$work" && cpack --config "$build_dir/CPackConfig.cmake" -G DEB -B "$work/out") \
  >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(find "$work/out" -maxdepth 1 -name 'pushrun_*.deb' -print -quit)
[ -n "$deb" ] || { cat "$work/cpack.log" >&2; fail "cpack made no pushrun_*.deb"; }
echo "built $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# Always needed: libc6; libcurl4 (linked, or dlopen'ed for https:// and proxies); zlib1g (gzip).
# Plus the package of every shared library an ELF file in the package needs: libstdc++6 unless
# the binary links the C++ runtime statically and no shared library is shipped.
required=(libc6 libcurl4 zlib1g)
# dpkg's database knows a library by the path its package ships it under: /lib/... or
# /usr/lib/... (bookworm merged /usr, but dpkg -S does not resolve the symlinks).
owner_of() {
  local real candidate owner
  real=$(readlink -f "$1")
  for candidate in "$1" "$real" "${1/#\/usr\/lib\//\/lib\/}" "${real/#\/usr\/lib\//\/lib\/}"; do
    owner=$(dpkg -S "$candidate" 2>/dev/null | sed -n '1s/:.*//p')
    if [ -n "$owner" ]; then echo "$owner"; return 0; fi
  done
}
dpkg-deb -x "$deb" "$work/root"
while IFS= read -r -d '' f; do
  [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] || continue
  for lib in $(objdump -p "$f" | awk '$1 == "NEEDED" {print $2}'); do
    [[ $lib == libpushrun* ]] && continue
    # awk reads to the end: exiting at the first match could kill ldconfig with SIGPIPE, which
    # pipefail and set -e turn into a silent exit of this script.
    path=$(ldconfig -p | awk -v l="$lib" '$1 == l && !found {print $NF; found = 1}')
    [ -n "$path" ] || fail "$f needs $lib, which is not on this machine"
    owner=$(owner_of "$path")
    [ -n "$owner" ] || fail "no Debian package owns $path ($lib, needed by $f)"
    required+=("$owner")
  done
done < <(find "$work/root" -type f -print0)
for dep in $(printf '%s\n' "${required[@]}" | sort -u); do
  sed 's/, /\n/g' <<<"$depends" | awk '{print $1}' | grep -xF "$dep" >/dev/null ||
    fail "Depends lacks $dep"
done
echo "ok   Depends covers: $(printf '%s\n' "${required[@]}" | sort -u | tr '\n' ' ')"
contents=$(dpkg-deb -c "$deb")
for path in ./usr/bin/pushrun ./usr/share/man/man1/pushrun.1.gz ./usr/include/pushrun/metrics.h \
            /pkgconfig/pushrun-metrics.pc /cmake/pushrun/pushrunConfig.cmake; do
  grep -q -- "$path" <<<"$contents" || fail "the package lacks $path"
done

# 2. Install, use, remove (root only).
[ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
# One dpkg run at a time: several builds may run this check at once.
exec 9>/tmp/pushrun-check-deb.lock
flock -w 120 9 || fail "another check-deb holds /tmp/pushrun-check-deb.lock"
if dpkg-query -W -f='${Status}' pushrun 2>/dev/null | grep 'install ok installed' >/dev/null; then
  skip "a pushrun package is already installed; not replacing it"
fi
installed=1
dpkg -i "$deb" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log" >&2; fail "dpkg -i failed (missing Depends?)"; }

version=$(/usr/bin/pushrun --version)
echo "installed: $version"
grep -q "^pushrun " <<<"$version" || fail "unexpected --version output: $version"

mkdir "$work/textfiles"
status=0
/usr/bin/pushrun --textfile-dir "$work/textfiles" --job t -- true || status=$?
[ "$status" = 0 ] || fail "wrapped 'true' exited $status"
grep -q '^pushrun_success 1$' "$work/textfiles/t.prom" 2>/dev/null ||
  grep -q '^pushrun_success{.*} 1$' "$work/textfiles/t.prom" ||
  fail "no pushrun_success 1 in $work/textfiles/t.prom"
status=0
/usr/bin/pushrun --textfile-dir "$work/textfiles" --job f -- sh -c 'exit 3' || status=$?
[ "$status" = 3 ] || fail "wrapped 'exit 3' exited $status"
echo "ok   wrapped jobs: exit codes passed through, textfile written"

MANWIDTH=80 man /usr/share/man/man1/pushrun.1.gz >/dev/null 2>"$work/man.log" ||
  { cat "$work/man.log" >&2; fail "the installed man page does not render"; }

dpkg -r pushrun >"$work/dpkg-r.log" 2>&1 || { cat "$work/dpkg-r.log" >&2; fail "dpkg -r failed"; }
installed=0
[ ! -e /usr/bin/pushrun ] || fail "/usr/bin/pushrun is still there after dpkg -r"
echo "check-deb: ok"
