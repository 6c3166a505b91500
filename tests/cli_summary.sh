#!/usr/bin/env bash
# The masks and summary commands end to end: a PNG is written, the text grid
# has the right shape, summary --preset paper's parameter total equals the
# architecture's count computed here, summary reads a checkpoint, and bad
# flags exit 2 with one line on stderr.
set -euo pipefail
bin=$1 model_dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$bin" masks --kernel 7 --in 15 --out 24 --mode A --png "$tmp/a.png" >/dev/null
[ "$(head -c 4 "$tmp/a.png" | od -An -tx1 | tr -d ' \n')" = 89504e47 ] || { echo "masks --png wrote no PNG"; exit 1; }
lines=$("$bin" masks --kernel 7x5 --in 6 --out 9 --mode B | grep -c '^[01][01 ]*$')
[ "$lines" = 21 ] || { echo "masks text: expected 21 grid lines (3 colours x 7 rows), got $lines"; exit 1; }
row=$("$bin" masks --kernel 7x5 --in 6 --out 9 --mode B | grep -m1 '^[01][01 ]*$' | tr -cd 01 | wc -c)
[ "$row" = 15 ] || { echo "masks text: expected 3 panels x 5 columns per line, got $row"; exit 1; }

# The paper preset: C=3, hidden 43, out 342, 15 blocks; H2 = 258, Hd = 129, O = 1026.
want=$(awk 'BEGIN { C = 3; H2 = 2 * 43 * C; Hd = 43 * C; O = 342 * C; L = 15;
  n = 7 * 7 * C * H2 + H2;
  n += L * ((H2 * Hd + Hd) + (9 * Hd * Hd + Hd) + (Hd * H2 + H2));
  n += (H2 * O + O) + (O * O + O) + (O * 256 * C + 256 * C);
  printf "%d", n }')
got=$("$bin" summary --preset paper --colours 3 | sed -n 's/^params=//p')
echo "summary --preset paper: params=$got, architecture count $want"
[ "$got" = "$want" ] || exit 1
# The table's total row says the same number.
total=$("$bin" summary --preset paper --colours 3 | awk '/^total / { gsub(",", "", $2); print $2 }')
[ "$total" = "$want" ] || { echo "table total $total != $want"; exit 1; }

"$bin" import --from "$model_dir" --out "$tmp/m.pcnn" >/dev/null
h=$(sed -n 's/^height=//p' "$model_dir/config.txt") w=$(sed -n 's/^width=//p' "$model_dir/config.txt")
"$bin" summary --checkpoint "$tmp/m.pcnn" | grep -q "one ${h}x${w} image" ||
  { echo "summary --checkpoint did not use the checkpoint's ${h}x${w} size"; exit 1; }

source "$(cd "$(dirname "$0")" && pwd)/expect_fail.sh"
expect_fail 2 "$bin" masks --kernel 4 --in 3 --out 3 --mode A
expect_fail 2 "$bin" masks --kernel 7x4 --in 3 --out 3 --mode A
expect_fail 2 "$bin" masks --kernel 7x --in 3 --out 3 --mode A
expect_fail 2 "$bin" masks --kernel seven --in 3 --out 3 --mode A
expect_fail 2 "$bin" masks --kernel 7 --in 16 --out 24 --mode A
expect_fail 2 "$bin" masks --kernel 7 --in 15 --out 24 --mode C
expect_fail 2 "$bin" masks --kernel 7 --in 15 --out 24 --mode A --colours 2
expect_fail 2 "$bin" masks --kernel 7 --in 15 --out 24
expect_fail 2 "$bin" masks --kernel 63 --in 3000 --out 3000 --mode B
expect_fail 2 "$bin" summary --preset huge
expect_fail 2 "$bin" summary --preset tiny --checkpoint "$tmp/m.pcnn"
expect_fail 2 "$bin" summary --colours 2
expect_fail 2 "$bin" summary --batch 0
expect_fail 2 "$bin" summary --checkpoint "$tmp/m.pcnn" --colours 1
expect_fail 1 "$bin" summary --checkpoint "$tmp/none.pcnn"
# (checked before drawing: a missing directory is a wrong --png, exit 2)
expect_fail 2 "$bin" masks --kernel 3 --in 3 --out 3 --mode B --png "$tmp/no/such/dir/x.png"
echo "1 passed, 0 failed"
