#!/usr/bin/env bash
# The CLI end to end: import each golden model case, eval its images, and
# compare bits_per_dim with the golden value (relative 1e-5); export and
# re-import must give the same number; bad input must exit non-zero.
set -euo pipefail
bin=$1 golden=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for case_dir in "$golden"/*/; do
  name=$(basename "$case_dir")
  "$bin" --device 0 import --from "$case_dir" --out "$tmp/$name.pcnn" >/dev/null
  out=$("$bin" --device 0 eval --checkpoint "$tmp/$name.pcnn" --data "npy:$case_dir/images.npy" --batch 2)
  got=$(sed -n 's/^bits_per_dim=//p' <<<"$out" | tail -1)
  want=$(sed -n 's/^bits_per_dim=//p' "$case_dir/loss.txt")
  # The lines scripts read: nats per sub-pixel and per image, bits_per_dim= last.
  [ "$(tail -1 <<<"$out" | cut -d= -f1)" = bits_per_dim ] || { echo "bits_per_dim is not on the last line"; exit 1; }
  grep -q '^nats_per_dim=' <<<"$out" && grep -q '^nats_per_image=' <<<"$out" ||
    { echo "no nats_per_dim= / nats_per_image= lines: $out"; exit 1; }
  awk -v g="$got" -v w="$want" -v n="$name" 'BEGIN { r = (g - w) / w; if (r < 0) r = -r;
      printf "%s: bits_per_dim %s golden %s relative error %.3g\n", n, g, w, r; exit !(r <= 1e-5) }'
  "$bin" export --checkpoint "$tmp/$name.pcnn" --to "$tmp/$name.weights" >/dev/null
  "$bin" import --from "$tmp/$name.weights" --out "$tmp/$name.again.pcnn" >/dev/null
  again=$("$bin" eval --checkpoint "$tmp/$name.again.pcnn" --data "npy:$case_dir/images.npy" | sed -n 's/^bits_per_dim=//p')
  [ "$again" = "$got" ] || { echo "$name: export/import changed bits_per_dim: $got -> $again"; exit 1; }
done
# Bad input: one line on stderr, non-zero exit.
source "$(cd "$(dirname "$0")" && pwd)/expect_fail.sh"
expect_fail 1 "$bin" eval --checkpoint "$tmp/none.pcnn" --data "npy:$tmp/x.npy"
expect_fail 2 "$bin" eval --checkpoint "$tmp/x.pcnn"
expect_fail 2 "$bin" eval --checkpoint "$tmp/x.pcnn" --data npy:x --batch -3
expect_fail 2 "$bin" eval --bogus
expect_fail 2 "$bin" frobnicate
expect_fail 2 "$bin" --device
head -c 100 "$tmp/model_tiny_rgb.pcnn" > "$tmp/cut.pcnn"
expect_fail 1 "$bin" eval --checkpoint "$tmp/cut.pcnn" --data "npy:$golden/model_tiny_rgb/images.npy"
expect_fail 2 "$bin" eval --checkpoint "$tmp/model_tiny_rgb.pcnn" --data "npy:$golden/model_tiny_gray/images.npy"
echo "1 passed, 0 failed"
