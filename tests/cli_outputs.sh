#!/usr/bin/env bash
# Messages name the real cause (docs/RELIABILITY.md):
# - every command checks that its outputs can be written before it works
#   (before, `bench --json MISSING_DIR/x.json` failed only after measuring):
#   one line naming the flag and the missing directory, exit 2, no work done;
# - a directory given where a file is read or written says "is a directory"
#   (before: "read error");
# - integer flags are parsed as integers: --seed 2^53+1 is not 2^53.
set -euo pipefail
bin=$1 golden=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/expect_fail.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_outputs: $*"; exit 1; }
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 8 --out data.png --seed 3 >/dev/null
mkdir adir

# Outputs in a directory that does not exist: refused before any work (the
# one line expect_fail sees is the whole stderr: bench prints "device 0 ..."
# as it starts measuring, sample "sampled ..." on stdout).
check_missing() {
  local flag=$1; shift
  set +e; out=$("$@" 2>err); rc=$?; set -e
  [ "$rc" = 2 ] || fail "exit $rc, expected 2: $* ($(cat err))"
  [ "$(wc -l <err)" = 1 ] || fail "expected one line, got: $(cat err)"
  grep -q "^pcnn-cl: $flag no_such_dir/.*: the directory no_such_dir.* does not exist" err || fail "$*: $(cat err)"
  [ -z "$out" ] || fail "$* worked before refusing: $out"
  echo "refused before work: $(cat err)"
}
check_missing --json "$bin" bench --devices 0 --preset tiny --reps 1 --height 8 --width 8 --json no_such_dir/x.json
check_missing --svg "$bin" bench --devices 0 --preset tiny --reps 1 --height 8 --width 8 --svg no_such_dir/x.svg
check_missing --out "$bin" sample --checkpoint g.pcnn --n 2 --out no_such_dir/grid.png
check_missing --out "$bin" import --from "$golden/model_tiny_gray" --out no_such_dir/x.pcnn
check_missing --to "$bin" export --checkpoint g.pcnn --to no_such_dir/deeper/w
check_missing --png "$bin" masks --kernel 3 --in 3 --out 3 --mode A --png no_such_dir/m.png

# A directory where a file is written, and where one is read.
mkdir adir.png
expect_fail 2 "$bin" sample --checkpoint g.pcnn --n 2 --out adir.png
grep -q "out adir.png: is a directory" <<<"$err" || fail "sample --out DIR: $err"
expect_fail 2 "$bin" import --from "$golden/model_tiny_gray" --out adir
# --checkpoint DIR is a run directory: one without checkpoint.pcnn is refused as such.
expect_fail 2 "$bin" eval --checkpoint adir --data npy:data.npy
grep -q "adir: the directory holds no checkpoint.pcnn" <<<"$err" || fail "eval --checkpoint DIR: $err"
expect_fail 1 "$bin" eval --checkpoint g.pcnn --data npy:adir
grep -q "adir: is a directory" <<<"$err" || fail "--data npy:DIR: $err"
expect_fail 1 "$bin" train --data idx:adir --preset tiny --steps 1 --run-dir r1
grep -q "adir: is a directory" <<<"$err" || fail "--data idx:DIR: $err"

# Integers as integers: 2^53 + 1 is kept, and draws other images than 2^53.
"$bin" sample --checkpoint g.pcnn --n 4 --seed 9007199254740993 --out odd.png >/dev/null
"$bin" sample --checkpoint g.pcnn --n 4 --seed 9007199254740992 --out even.png >/dev/null
cmp -s odd.npy even.npy && fail "--seed 2^53+1 drew the images of --seed 2^53"
"$bin" train --data npy:data.npy --preset tiny --batch 4 --steps 1 --eval-every 0 --sample-every 0 \
  --seed 9223372036854775807 --run-dir big >/dev/null
grep -qx 'seed=9223372036854775807' big/train.txt || fail "train.txt holds $(grep seed big/train.txt)"
expect_fail 2 "$bin" train --seed 9223372036854775808
expect_fail 2 "$bin" train --seed 1.5
echo "integer flags kept exactly"
echo "1 passed, 0 failed"
