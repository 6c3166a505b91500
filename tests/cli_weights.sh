#!/usr/bin/env bash
# Multi-file outputs are all or nothing (docs/RELIABILITY.md, issue 14 §7):
# - export writes a temporary directory beside --to and renames it into
#   place: a write that fails (ulimit -f), a SIGTERM or a SIGKILL in the middle
#   leaves the old directory byte for byte (or the new one, complete), and
#   SIGTERM/failures leave no temporary files;
# - an existing --to is replaced as a whole, so one holding other files is
#   refused before any work; a symlink to a directory stays a symlink;
# - manifest.txt (step, shape and CRC32 per file): import refuses a directory
#   holding one tensor of another export, naming it, and writes nothing;
# - sample's grid.png and grid.npy change together or not at all;
# - .npz (issue 18 §7): export --to FILE.npz and import --from FILE.npz give
#   the same checkpoint bit for bit and the same eval; a crafted .npz whose
#   entry declares more bytes than its tensor can hold is refused by that check.
set -euo pipefail
export LC_ALL=C
bin=$1 golden=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/expect_fail.sh"
tmp=$(mktemp -d /tmp/cli_weights.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
ulimit -f 2000000
fail() { echo "cli_weights: $*"; exit 1; }
run() { timeout -s KILL 120 "$@"; }
no_temps() { # no *.tmp.* anywhere under the directory given
  local left
  left=$(find "$1" -name '*.tmp.*' | head -3)
  [ -z "$left" ] || fail "$2: temporary files left behind: $left"
}

# Two models of one config (the golden weights and those after one Adam
# step) and a large one (paper preset, 98 tensors, 2.6 MB) to interrupt.
run "$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
mkdir adam && cp "$golden/model_tiny_gray/after_adam/"*.npy adam/ && cp "$golden/model_tiny_gray/config.txt" adam/
run "$bin" import --from adam --out a.pcnn >/dev/null
run "$bin" sample --checkpoint g.pcnn --n 64 --out data.png --seed 3 >/dev/null
run "$bin" train --data npy:data.npy --preset paper --steps 1 --batch 4 --eval-every 0 --sample-every 0 \
  --run-dir big >/dev/null
run "$bin" export --checkpoint g.pcnn --to old >/dev/null
run "$bin" export --checkpoint big/checkpoint.pcnn --to new >/dev/null
grep -qx "step=1" new/manifest.txt || fail "manifest.txt of a step-1 checkpoint: $(head -2 new/manifest.txt)"
grep -qx "step=none" old/manifest.txt || fail "manifest.txt of an imported checkpoint: $(head -2 old/manifest.txt)"

# A failing write (the file-size limit: EFBIG, as a full disk gives ENOSPC)
# part way through the export over an existing directory.
cp -r old w
biggest=$(ls -S new | head -1)
expect_fail 1 bash -c "ulimit -f 64; exec \"$bin\" export --checkpoint big/checkpoint.pcnn --to w"
grep -q "File too large" <<<"$err" || fail "the failed write is not named: $err"
diff -r old w >/dev/null || fail "a failed export changed the old directory ($biggest is $(stat -c %s new/$biggest) bytes)"
no_temps . "failed export"

# SIGTERM as soon as the export starts writing: the old directory, or the
# new one complete; nothing temporary left.
interrupted=0
for round in 1 2 3 4 5; do
  rm -rf w && cp -r old w
  "$bin" export --checkpoint big/checkpoint.pcnn --to w >/dev/null 2>term.err &
  pid=$!
  for ((i = 0; i < 20000; i++)); do # until it writes: a temporary directory, or (before the fix) w itself
    compgen -G "w.tmp.*" >/dev/null && break
    cmp -s w/config.txt old/config.txt || break
    kill -0 $pid 2>/dev/null || break
  done
  kill -TERM $pid 2>/dev/null || true
  rc=0 && wait $pid || rc=$?
  if diff -r old w >/dev/null; then
    [ "$rc" = 143 ] && grep -q "interrupted: nothing written" term.err || fail "round $round: exit $rc, $(cat term.err)"
    interrupted=$((interrupted + 1))
  else
    diff -r new w >/dev/null || fail "round $round: SIGTERM (exit $rc) left a directory that is neither the old nor the new export"
  fi
  no_temps . "SIGTERM round $round"
done
echo "SIGTERM: $interrupted of 5 exports interrupted, the others complete"
[ "$interrupted" -gt 0 ] || fail "no SIGTERM arrived during an export"

# SIGKILL can leave the temporary directory, never a mixed --to.
for round in 1 2 3; do
  rm -rf w w.tmp.* && cp -r old w
  "$bin" export --checkpoint big/checkpoint.pcnn --to w >/dev/null 2>&1 &
  pid=$!
  for ((i = 0; i < 20000; i++)); do
    compgen -G "w.tmp.*" >/dev/null && break
    cmp -s w/config.txt old/config.txt || break
    kill -0 $pid 2>/dev/null || break
  done
  kill -KILL $pid 2>/dev/null || true
  wait $pid || true
  diff -r old w >/dev/null || diff -r new w >/dev/null || fail "SIGKILL round $round left a mixed directory"
done
rm -rf w w.tmp.*

# An existing --to with other files is refused before any work; a symlink to
# a directory keeps being one, its directory replaced.
mkdir keep && echo "mine" >keep/notes.md && cp old/*.npy keep/
expect_fail 2 "$bin" export --checkpoint g.pcnn --to keep
grep -q "keep: holds notes.md" <<<"$err" || fail "refusal does not name the foreign file: $err"
[ "$(cat keep/notes.md)" = mine ] || fail "keep/notes.md changed"
cp -r old real && ln -s real link
run "$bin" export --checkpoint a.pcnn --to link >/dev/null
[ -L link ] || fail "export replaced the symlink link"
cmp -s real/res.0.conv_in.kernel.npy old/res.0.conv_in.kernel.npy && fail "the symlink's directory was not replaced"
no_temps . "symlinked --to"

# One tensor from another export: refused by the manifest, naming it.
run "$bin" export --checkpoint a.pcnn --to adam_w >/dev/null
rm -rf mixed && cp -r old mixed && cp adam_w/res.0.conv_in.kernel.npy mixed/
expect_fail 1 "$bin" import --from mixed --out mixed.pcnn
grep -q "mixed/res.0.conv_in.kernel.npy: does not match manifest.txt" <<<"$err" || fail "mixed directory: $err"
[ ! -e mixed.pcnn ] || fail "import wrote a checkpoint from a mixed directory"
rm mixed/manifest.txt # the way to import edited weights
run "$bin" import --from mixed --out mixed.pcnn >/dev/null || fail "a directory without a manifest is refused"

# sample: the png fits under the limit, the npy does not: neither changes.
# (At temperature 0.05 the images are nearly constant: a small PNG, the
# same 64 KB .npy; the limit goes between the two sizes. --scale 1: the grid
# at the images' own size, not upscaled.)
run "$bin" sample --checkpoint g.pcnn --n 1024 --seed 1 --scale 1 --out s.png >/dev/null
cp s.png s_old.png && cp s.npy s_old.npy
run "$bin" sample --checkpoint g.pcnn --n 1024 --seed 2 --temperature 0.05 --scale 1 --out probe.png >/dev/null
png_kb=$(( $(stat -c %s probe.png) / 1024 + 2 ))
[ $((png_kb * 1024)) -lt "$(stat -c %s probe.npy)" ] || fail "probe.png ($(stat -c %s probe.png) bytes) is not smaller than probe.npy"
expect_fail 1 bash -c "ulimit -f $png_kb; exec \"$bin\" sample --checkpoint g.pcnn --n 1024 --seed 2 --temperature 0.05 --scale 1 --out s.png"
cmp -s s.png s_old.png && cmp -s s.npy s_old.npy || fail "a failed sample changed one of s.png and s.npy: $err"
no_temps . "failed sample"
run "$bin" sample --checkpoint g.pcnn --n 1024 --seed 2 --temperature 0.05 --out s.png >/dev/null
cmp -s s.png s_old.png || cmp -s s.npy s_old.npy && fail "a sample changed only one of s.png and s.npy"

# .npz: the same tensors, bit for bit, and the same eval.
run "$bin" export --checkpoint big/checkpoint.pcnn --to big.npz >/dev/null
run "$bin" import --from big.npz --out from_npz.pcnn >/dev/null
run "$bin" import --from new --out from_dir.pcnn >/dev/null
cmp from_npz.pcnn from_dir.pcnn || fail "import of the .npz and of the directory differ"
run "$bin" export --checkpoint from_npz.pcnn --to again >/dev/null
for f in new/*.npy new/config.txt; do
  cmp "$f" "again/$(basename "$f")" || fail "$f changed through .npz export and import"
done
e1=$(run "$bin" eval --checkpoint big/checkpoint.pcnn --data npy:data.npy | grep bits_per_dim)
e2=$(run "$bin" eval --checkpoint from_npz.pcnn --data npy:data.npy | grep bits_per_dim)
[ "$e1" = "$e2" ] || fail "eval after the .npz round trip: $e1 -> $e2"
touch target.npz && ln -s target.npz link.npz
run "$bin" export --checkpoint big/checkpoint.pcnn --to link.npz >/dev/null
[ -L link.npz ] || fail "export --to a symlinked .npz replaced the link"
run "$bin" import --from target.npz --out target.pcnn >/dev/null
cmp -s target.pcnn from_npz.pcnn || fail "export --to a symlinked .npz did not fill its target"
no_temps . ".npz export"

# A .npz entry that declares more bytes than its tensor can hold, and a .npz
# with one tensor from another export (python3's zipfile writes them).
if command -v python3 >/dev/null; then
  run "$bin" export --checkpoint g.pcnn --to g.npz >/dev/null
  run "$bin" export --checkpoint a.pcnn --to a.npz >/dev/null
  python3 - <<'EOF'
import struct, zipfile
data = bytearray(open("g.npz", "rb").read())
name = b"res.0.conv_in.kernel.npy"
for sig, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
    i = data.find(sig)
    while i >= 0:
        n = struct.unpack_from("<H", data, i + (26 if sig == b"PK\x03\x04" else 28))[0]
        if data[i + name_at:i + name_at + n] == name:
            struct.pack_into("<I", data, size_at + i, 0x7FFFFFFF)
        i = data.find(sig, i + 4)
open("huge.npz", "wb").write(bytes(data))
with zipfile.ZipFile("g.npz") as g, zipfile.ZipFile("a.npz") as a, zipfile.ZipFile("mixed.npz", "w") as out:
    for n in g.namelist():
        out.writestr(n, (a if n == name.decode() else g).read(n))
EOF
  expect_fail 1 "$bin" import --from huge.npz --out huge.pcnn
  grep -q "huge.npz:res.0.conv_in.kernel.npy" <<<"$err" || fail "crafted size: $err"
  expect_fail 1 "$bin" import --from mixed.npz --out mixed2.pcnn
  grep -q "mixed.npz:res.0.conv_in.kernel.npy: does not match manifest.txt" <<<"$err" || fail "mixed .npz: $err"
  [ ! -e huge.pcnn ] && [ ! -e mixed2.pcnn ] || fail "import wrote a checkpoint from a bad .npz"
fi
echo "cli_weights: passed"
