#!/usr/bin/env bash
# pcnn-cl --version: the version, the commit it was built from (a commit of
# this repository, when built from a git checkout), the backends and the
# libraries compiled in. And cmake/commit.cmake, the build step behind the
# commit, works without .git too: in a tree from `git archive` (which writes
# the commit into cmake/commit.txt, export-subst) it finds the archived
# commit, and in a tree with neither it says "unknown". Exit 77 where the
# sources are not a git checkout or git is missing.
set -euo pipefail
bin=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$bin" --version | tee "$tmp/v.txt"
grep -Eq '^pcnn-cl [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/v.txt" || fail "no version line"
grep -Eq '^backends: cpu' "$tmp/v.txt" || fail "no backends line"
grep -Eq '^openblas: [0-9]+\.[0-9]+' "$tmp/v.txt" || fail "no OpenBLAS version"
grep -Eq '^mpi: (MPI [0-9.]+ \(loaded: .+\)|not compiled in)' "$tmp/v.txt" || fail "no MPI line"
if grep -q '^backends: cpu (device 0), opencl' "$tmp/v.txt"; then
  grep -Eq '^opencl: OpenCL [0-9.]+ .*CLBlast [0-9]+\.[0-9]+' "$tmp/v.txt" || fail "no OpenCL/CLBlast versions"
fi
if ! command -v git >/dev/null || ! git -C "$src" rev-parse HEAD >/dev/null 2>&1; then
  echo "the sources are not a git checkout: skipped"
  exit 77
fi
commit=$(sed -n 's/^commit: \([0-9a-f]*\).*/\1/p' "$tmp/v.txt")
[ -n "$commit" ] && git -C "$src" cat-file -e "$commit^{commit}" || fail "commit '$commit' is not a commit of $src"
# A git archive of HEAD: no .git, the commit in cmake/commit.txt.
git -C "$src" archive HEAD cmake | tar -x -C "$tmp"
cmake -DSOURCE_DIR="$tmp" -DOUT="$tmp/archived.h" -P "$tmp/cmake/commit.cmake"
want=$(git -C "$src" rev-parse --short=12 HEAD)
grep -qx "#define PCNN_COMMIT \"$want\"" "$tmp/archived.h" || fail "archive: $(cat "$tmp/archived.h"), want $want"
# Neither .git nor an archived commit.
printf '$Format:%%H$\n' >"$tmp/cmake/commit.txt"
cmake -DSOURCE_DIR="$tmp" -DOUT="$tmp/none.h" -P "$tmp/cmake/commit.cmake"
grep -qx '#define PCNN_COMMIT "unknown"' "$tmp/none.h" || fail "no commit: $(cat "$tmp/none.h")"
echo "1 passed, 0 failed"
