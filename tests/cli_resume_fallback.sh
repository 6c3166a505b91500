#!/usr/bin/env bash
# The good fallback checkpoint survives (docs/RELIABILITY.md): when
# checkpoint.pcnn is corrupt, --resume falls back to checkpoint.prev.pcnn and
# says so; its first save moves the corrupt file to checkpoint.bad.pcnn and
# leaves prev byte for byte as it was (before, the rotation moved the corrupt
# file into prev and destroyed the only good checkpoint). Resumed runs then
# rotate as usual. And a resume that cannot load names the latest's real
# problem (before: "checkpoint.prev.pcnn: cannot open" when there is no prev).
set -euo pipefail
bin=$1 golden=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/expect_fail.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_resume_fallback: $*"; exit 1; }
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 64 --out data.png --seed 3 >/dev/null
flags=(--data npy:data.npy --preset tiny --batch 4 --eval-every 0 --sample-every 0 --ckpt-every 10)
loads() { "$bin" eval --checkpoint "$1" --data npy:data.npy >/dev/null 2>&1; }
# corrupt FILE: one byte in the middle flipped (the CRC no longer matches).
corrupt() {
  local at=$(($(stat -c %s "$1") / 2)) byte
  byte=$(od -An -tu1 -j "$at" -N1 "$1" | tr -d ' ')
  printf "\\$(printf %03o $((byte ^ 1)))" | dd of="$1" bs=1 seek="$at" conv=notrunc status=none
}

"$bin" train "${flags[@]}" --steps 20 --run-dir run >/dev/null
cp run/checkpoint.prev.pcnn good_prev
corrupt run/checkpoint.pcnn
loads run/checkpoint.pcnn && fail "the corrupted checkpoint still loads"
cp run/checkpoint.pcnn corrupt_latest
# Resume to step 20 from prev (step 10): one save, at step 20.
"$bin" train --resume run --steps 20 >out 2>err || fail "the fallback resume failed: $(cat err)"
grep -q "warning: run/checkpoint.pcnn: checksum mismatch.*resuming from run/checkpoint.prev.pcnn (step 10)" out err ||
  fail "no warning naming the fallback: $(cat out err)"
cmp -s run/checkpoint.prev.pcnn good_prev || fail "checkpoint.prev.pcnn was replaced by the first save after a fallback"
cmp -s run/checkpoint.bad.pcnn corrupt_latest || fail "the corrupt checkpoint was not kept as checkpoint.bad.pcnn"
loads run/checkpoint.pcnn || fail "the new checkpoint.pcnn does not load"
echo "after the fallback: prev kept, the corrupt latest in checkpoint.bad.pcnn, the new latest loads"
# The next resume rotates as usual: the step-20 checkpoint becomes prev.
cp run/checkpoint.pcnn step20
"$bin" train --resume run --steps 30 >/dev/null 2>err || fail "the resume after it failed: $(cat err)"
cmp -s run/checkpoint.prev.pcnn step20 || fail "the next save did not keep step 20 as prev"
loads run/checkpoint.pcnn || fail "checkpoint.pcnn at step 30 does not load"
echo "the next save rotated as usual"

# A corrupt latest and no prev: the latest's own problem, not prev's absence.
rm run/checkpoint.prev.pcnn
corrupt run/checkpoint.pcnn
expect_fail 1 "$bin" train --resume run --steps 40
grep -q "run/checkpoint.pcnn: checksum mismatch" <<<"$err" || fail "the message does not name the latest's problem: $err"
grep -q "prev" <<<"$err" && fail "the message blames the missing prev: $err"
# Both corrupt: both problems.
cp run/checkpoint.pcnn run/checkpoint.prev.pcnn
expect_fail 1 "$bin" train --resume run --steps 40
grep -q "run/checkpoint.pcnn: checksum mismatch.*run/checkpoint.prev.pcnn: checksum mismatch" <<<"$err" ||
  fail "the message does not name both problems: $err"
echo "1 passed, 0 failed"
