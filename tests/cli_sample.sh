#!/usr/bin/env bash
# pcnn-cl sample end to end: a golden model imported to a checkpoint; the fast
# and naive methods (and another batch size) write the same .npy beside the
# PNG grid, of shape [N,H,W,C]; --height/--width override the checkpoint's
# size; --first-pixel uniform draws the same images with either method and
# differs from the model's rule only in each image's first sub-pixel; device 1
# draws the same images as device 0 (fast and naive, with either first-pixel
# rule); a grid that comes out mostly blank below temperature 1 gets a
# one-line note (and none at temperature 1); --out must end in .png; bad flags
# exit 2 with one line.
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
# --first-pixel uniform: fast == naive; a model sure of one value everywhere (final_conv's kernel
# zero, its bias peaked at 200) shows the rule: every sub-pixel 200 but each image's first.
mkdir "$tmp/peaked"
cp "$golden/model_tiny_gray"/*.npy "$golden/model_tiny_gray/config.txt" "$tmp/peaked/"
python3 - "$tmp/peaked" <<'PY'
import struct, sys
def npy_f32(path, shape, values):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d, " % d for d in shape)
    hdr = hdr.ljust(117) + "\n"
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<%df" % len(values), *values))
d = sys.argv[1]
head = open(d + "/final_conv.kernel.npy", "rb").read(128).decode("latin1")
shape = tuple(int(x) for x in head.split("'shape': (")[1].split(")")[0].split(",") if x.strip())
n = 1
for s in shape:
    n *= s
npy_f32(d + "/final_conv.kernel.npy", shape, [0.0] * n)
bias = [0.0] * 256
bias[200] = 4.0  # p(200) = e^4 / (e^4 + 255) = 0.18 at T=1; at T=0.1 all but certain
npy_f32(d + "/final_conv.bias.npy", (256,), bias)
PY
"$bin" --device 0 import --from "$tmp/peaked" --out "$tmp/p.pcnn" >/dev/null
s=(--device 0 sample --checkpoint "$tmp/p.pcnn" --n 6 --seed 2)
"$bin" "${s[@]}" --out "$tmp/pm.png" --temperature 0.1 >/dev/null 2>"$tmp/pm.err"
"$bin" "${s[@]}" --out "$tmp/pu.png" --temperature 0.1 --first-pixel uniform >/dev/null 2>/dev/null
"$bin" "${s[@]}" --out "$tmp/pn.png" --temperature 0.1 --first-pixel uniform --method naive >/dev/null 2>/dev/null
cmp "$tmp/pu.npy" "$tmp/pn.npy" || { echo "--first-pixel uniform: fast and naive differ"; exit 1; }
if "$bin" devices 2>/dev/null | grep -q '^1 '; then # device 1's one-launch step, its first draw uniform
  "$bin" --device 1 sample --checkpoint "$tmp/p.pcnn" --n 6 --seed 2 --out "$tmp/pd1.png" --temperature 0.1 \
    --first-pixel uniform >/dev/null 2>/dev/null
  cmp "$tmp/pu.npy" "$tmp/pd1.npy" || { echo "--first-pixel uniform: device 1 differs from device 0"; exit 1; }
fi
python3 - "$tmp/pm.npy" "$tmp/pu.npy" <<'PY'
import sys
m, u = (open(p, "rb").read()[128:] for p in sys.argv[1:])
size = 7 * 9  # the golden gray model: 7x9x1
assert all(v == 200 for v in m), "the model's rule: every sub-pixel 200"
firsts = [u[i * size] for i in range(6)]
assert all(u[i * size + k] == 200 for i in range(6) for k in range(1, size)), "uniform changed later sub-pixels"
assert len(set(firsts)) >= 4 and firsts.count(200) <= 1, firsts
print("first sub-pixels, uniform rule:", firsts)
PY
# The note: one line on stderr at T=0.1 (every image blank), none at T=1.
[ "$(grep -c 'note: 6 of 6 images are nearly blank' "$tmp/pm.err")" = 1 ] && [ "$(wc -l <"$tmp/pm.err")" = 1 ] ||
  { echo "no blank-grid note at T=0.1: $(cat "$tmp/pm.err")"; exit 1; }
"$bin" "${s[@]}" --out "$tmp/p1.png" >/dev/null 2>"$tmp/p1.err"
[ ! -s "$tmp/p1.err" ] || { echo "a note at T=1: $(cat "$tmp/p1.err")"; exit 1; }
source "$(cd "$(dirname "$0")" && pwd)/expect_fail.sh"
expect_fail 2 "$bin" sample --checkpoint "$tmp/m.pcnn" --n 2 --out "$tmp/x.jpg"
expect_fail 2 "$bin" sample --checkpoint "$tmp/m.pcnn" --n 2 --out "$tmp/x.png" --first-pixel first
[ ! -e "$tmp/x.jpg" ] || { echo "x.jpg was written"; exit 1; }
expect_fail 2 "$bin" sample --checkpoint "$tmp/m.pcnn" --n 2 --out "$tmp/x.png" --method slow
expect_fail 2 "$bin" sample --checkpoint "$tmp/m.pcnn" --n 2 --out "$tmp/x.png" --temperature 0
expect_fail 2 "$bin" sample --checkpoint "$tmp/m.pcnn" --n 2
expect_fail 1 "$bin" sample --checkpoint "$tmp/none.pcnn" --n 2 --out "$tmp/x.png"
echo "1 passed, 0 failed"
