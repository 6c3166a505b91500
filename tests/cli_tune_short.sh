#!/usr/bin/env bash
# pcnn-cl tune with the shortest budget (1 s) on device 1: it never prints
# "speedup=0.00"; a search that tried no candidate says the budget was too
# short; with nothing tried at all it stores no tune file. Exit 77 without an
# OpenCL device. Its own XDG_CACHE_HOME, so no real tune file is touched.
set -euo pipefail
bin=$1
if ! "$bin" devices | awk '$1 == 1' | grep -q opencl; then
  echo "no OpenCL device: skipped"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ulimit -f 2000000
XDG_CACHE_HOME=$tmp timeout -s KILL 300 "$bin" tune --device 1 --budget 1 --preset tiny --height 8 --width 8 \
  >"$tmp/out.txt" 2>"$tmp/err.txt"
cat "$tmp/out.txt"
! grep -q 'speedup=0\.00' "$tmp/out.txt" || { echo "FAIL: speedup=0.00"; exit 1; }
check() { # PREFIX WHAT: a search with 0 candidates says so instead of a speedup
  local tried; tried=$(sed -n "s/^${1}candidates=\([0-9]*\).*/\1/p" "$tmp/out.txt")
  [ -n "$tried" ] || return 0
  if [ "$tried" = 0 ]; then
    grep -q "^$2: the budget was too short to try any candidate" "$tmp/out.txt" || { echo "FAIL: $2 tried 0, no note"; exit 1; }
    ! grep -q "^${1}speedup=" "$tmp/out.txt" || { echo "FAIL: $2 tried 0 but printed a speedup"; exit 1; }
  else
    grep -Eq "^${1}speedup=[0-9.]+$" "$tmp/out.txt" || { echo "FAIL: $2 tried $tried, no speedup"; exit 1; }
  fi
}
check masked_ "cl/gemm.cl tiles"
check "" CLBlast
tried=$(awk -F'[= ]' '/^(masked_)?candidates=/ { n += $2 } END { print n + 0 }' "$tmp/out.txt")
if [ "$tried" = 0 ]; then # nothing tried: nothing stored, and it says so
  grep -q '^nothing was tried' "$tmp/out.txt" || { echo "FAIL: nothing tried, and it does not say so"; exit 1; }
  ! ls "$tmp"/pcnn-cl/clblast-*.txt >/dev/null 2>&1 || { echo "FAIL: nothing tried, yet a tune file was written"; exit 1; }
fi
echo "1 passed, 0 failed"
