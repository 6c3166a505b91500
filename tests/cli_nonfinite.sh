#!/usr/bin/env bash
# Non-finite values never reach a checkpoint, a sample or exit code 0
# (docs/RELIABILITY.md): `import` refuses a weights directory holding a NaN
# or an infinity, naming the file and tensor; a model whose weights are finite
# but whose logits overflow makes `eval` and `sample` fail (exit 1, one line)
# instead of printing bits_per_dim=nan or writing all-black images. (Training
# and checkpoint loads: tests/test_train.c, test_ckpt.c, test_nonfinite.c.)
set -euo pipefail
export LC_ALL=C # byte-wise sed over .npy headers
bin=$1 golden=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/expect_fail.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_nonfinite: $*"; exit 1; }
# fill NPY VALUE_BYTES [COUNT]: overwrite the first COUNT floats of a float32
# .npy (all of them without COUNT) with the 4 little-endian bytes given.
fill() {
  local file=$1 bytes=$2 size count first i
  size=$(stat -c %s "$file")
  # the data is the file's last 4*N bytes; N is the product of the shape
  count=$(head -c 200 "$file" | tr -d '\0' | sed -n "s/.*'shape': (\([0-9, ]*\)).*/\1/p" |
          awk -F', *' '{ n = 1; for (i = 1; i <= NF; i++) if ($i != "") n *= $i; print n }')
  first=${3:-$count}
  for ((i = 0; i < first; i++)); do printf "$bytes"; done |
    dd of="$file" bs=1 seek=$((size - 4 * count)) conv=notrunc status=none
}
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 8 --out data.png --seed 3 >/dev/null

# import: a NaN, then an infinity, anywhere in a tensor file.
for value in '\x00\x00\xc0\x7f' '\x00\x00\x80\x7f'; do
  rm -rf w && cp -r "$golden/model_tiny_gray" w && chmod -R u+w w
  fill w/res.0.conv_in.kernel.npy "$value" 1
  expect_fail 1 "$bin" import --from w --out w.pcnn
  grep -q "w/res.0.conv_in.kernel.npy: the weights of res.0.conv_in.kernel are not finite (element 0 is" <<<"$err" ||
    fail "import does not name the tensor: $err"
  [ ! -e w.pcnn ] || fail "import wrote w.pcnn from non-finite weights"
done

# Finite weights of 1e30 in two layers in a row: the logits overflow.
rm -rf w && cp -r "$golden/model_tiny_gray" w && chmod -R u+w w
fill w/output_conv2.kernel.npy '\xca\xf2\x49\x71'
fill w/final_conv.kernel.npy '\xca\xf2\x49\x71'
"$bin" import --from w --out huge.pcnn >/dev/null || fail "import refused finite weights"
expect_fail 1 "$bin" eval --checkpoint huge.pcnn --data npy:data.npy
grep -q "not finite" <<<"$err" || fail "eval does not say the logits are not finite: $err"
for method in fast naive; do
  expect_fail 1 "$bin" sample --checkpoint huge.pcnn --n 2 --method "$method" --out "s_$method.png"
  grep -q "logits for image 0 are not finite" <<<"$err" || fail "sample --method $method: $err"
  [ ! -e "s_$method.png" ] && [ ! -e "s_$method.npy" ] || fail "sample --method $method wrote images of a broken model"
done
# Issue 14 §1/§6: runs that diverge. The loss grows to 1e17..1e33 bits/dim
# (finite) while the optimiser's second moments overflow: the chart of such
# values used to spin forever in its tick loop (filling the disk with
# loss.svg.tmp.*). Now each run ends at once: exit 1 with one line naming the
# moment that is not finite, or (--lr 100, either way) exit 0 with a small chart;
# the step-0 checkpoint stays and loads. Under a file-size limit and a hard
# timeout, so a regression fails instead of filling the disk or hanging.
"$bin" sample --checkpoint g.pcnn --n 64 --out data64.png --seed 5 >/dev/null
diverge() { # NAME RC ARGS...
  local name=$1 want=$2; shift 2
  set +e
  err=$( (ulimit -f 200000; timeout -s KILL 60 "$bin" train --data npy:data64.npy --preset tiny --batch 4 \
           --eval-every 0 --sample-every 0 --steps 10 --run-dir "$name" "$@") 2>&1 >/dev/null)
  rc=$?
  set -e
  [[ "$rc" =~ ^($want)$ ]] || fail "$name ($*): exit $rc, expected $want: $err"
  [ "$(wc -l <<<"$err")" -le 1 ] || fail "$name: more than one line: $err"
  [ "$(stat -c %s "$name/loss.svg")" -lt 100000 ] || fail "$name: loss.svg is $(stat -c %s "$name/loss.svg") bytes"
  ! ls "$name" | grep -q '\.tmp\.' || fail "$name: temporary files left: $(ls "$name")"
  "$bin" eval --checkpoint "$name/checkpoint.pcnn" --data npy:data.npy >/dev/null ||
    fail "$name: the checkpoint left does not load"
  echo "diverged ($rc): $name: ${err:-finite chart}"
}
diverge adam_lr1000 1 --lr 1000
grep -q "step 10: not saved: .* (optim.moment.1) of .* not finite" <<<"$err" || fail "adam --lr 1000: $err"
diverge rmsprop_lr1000 1 --optimizer rmsprop --lr 1000
grep -q "step 10: not saved: .* (optim.moment.0) of .* not finite" <<<"$err" || fail "rmsprop --lr 1000: $err"
grep -q "(step 0) is the last good checkpoint, untouched" <<<"$err" || fail "rmsprop --lr 1000: $err"
diverge adam_lr100 '0|1' --lr 100
grep -q '<text' adam_lr100/loss.svg || fail "adam --lr 100: no chart"
diverge rmsprop_lr100 '0|1' --optimizer rmsprop --lr 100
echo "1 passed, 0 failed"
