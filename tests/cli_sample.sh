#!/usr/bin/env bash
# pcnn-cl sample end to end: a golden model imported to a checkpoint; the fast
# and naive methods (and another batch size) write the same .npy beside the
# PNG grid, of shape [N,H,W,C]; --height/--width override the checkpoint's
# size; device 1 draws the same images as device 0 (fast and naive); bad
# flags exit 2 with one line.
set -euo pipefail
bin=$1 golden=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" --device 0 import --from "$golden/model_tiny_rgb" --out "$tmp/m.pcnn" >/dev/null
"$bin" --device 0 sample --checkpoint "$tmp/m.pcnn" --n 3 --out "$tmp/fast.png" --seed 5 >/dev/null
"$bin" --device 0 sample --checkpoint "$tmp/m.pcnn" --n 3 --out "$tmp/naive.png" --seed 5 --method naive >/dev/null
"$bin" --device 0 sample --checkpoint "$tmp/m.pcnn" --n 3 --out "$tmp/batch.png" --seed 5 --batch 2 >/dev/null
for f in fast naive batch; do
  [ -s "$tmp/$f.png" ] || { echo "$f.png missing"; exit 1; }
  [ "$(head -c 8 "$tmp/$f.png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] || { echo "$f.png is not a PNG"; exit 1; }
done
cmp "$tmp/fast.npy" "$tmp/naive.npy" || { echo "fast and naive images differ"; exit 1; }
cmp "$tmp/fast.npy" "$tmp/batch.npy" || { echo "--batch changed the images"; exit 1; }
# Device 1 (the first OpenCL device: one sample_step launch per sub-pixel for
# fast, a forward per sub-pixel for naive) draws the images device 0 drew.
if "$bin" devices 2>/dev/null | grep -q '^1 '; then
  for m in fast naive; do
    "$bin" --device 1 sample --checkpoint "$tmp/m.pcnn" --n 3 --out "$tmp/d1-$m.png" --seed 5 --method $m >/dev/null
    cmp "$tmp/fast.npy" "$tmp/d1-$m.npy" || { echo "device 1 $m images differ from device 0's"; exit 1; }
  done
else
  echo "no device 1: the OpenCL half of the equality skipped"
fi
# The golden model is 8x8x3: the header must say (3, 8, 8, 3), the data 3*8*8*3 bytes.
head -c 128 "$tmp/fast.npy" | grep -q "'shape': (3, 8, 8, 3)" || { echo "wrong .npy shape"; exit 1; }
size=$(stat -c %s "$tmp/fast.npy")
[ "$size" = $((128 + 3 * 8 * 8 * 3)) ] || { echo "unexpected .npy size $size"; exit 1; }
"$bin" sample --checkpoint "$tmp/m.pcnn" --n 2 --out "$tmp/big.png" --height 5 --width 11 >/dev/null
head -c 128 "$tmp/big.npy" | grep -q "'shape': (2, 5, 11, 3)" || { echo "--height/--width ignored"; exit 1; }
"$bin" sample --checkpoint "$tmp/m.pcnn" --n 2 --out "$tmp/other.png" --seed 6 >/dev/null
! cmp -s "$tmp/fast.npy" "$tmp/other.npy" || { echo "--seed changed nothing"; exit 1; }
source "$(cd "$(dirname "$0")" && pwd)/expect_fail.sh"
expect_fail 2 "$bin" sample --checkpoint "$tmp/m.pcnn" --n 2 --out "$tmp/x.png" --method slow
expect_fail 2 "$bin" sample --checkpoint "$tmp/m.pcnn" --n 2 --out "$tmp/x.png" --temperature 0
expect_fail 2 "$bin" sample --checkpoint "$tmp/m.pcnn" --n 2
expect_fail 1 "$bin" sample --checkpoint "$tmp/none.pcnn" --n 2 --out "$tmp/x.png"
echo "1 passed, 0 failed"
