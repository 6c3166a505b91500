#!/usr/bin/env bash
# A full disk during training: a run is resumed under a file-size limit
# (ulimit -f) below the checkpoint's size, so writing the next checkpoint
# fails with EFBIG as it would with ENOSPC. The job must stop with one line
# naming the file and the reason, exit 1 (not die from SIGXFSZ), leave no
# temporary file, and keep the last checkpoint byte for byte; once the limit
# is gone, --resume must continue as if nothing had happened.
set -euo pipefail
bin=$1 golden=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/same_losses.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_disk_full: $*"; exit 1; }
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 24 --out data.png --seed 3 >/dev/null
flags=(--data npy:data.npy --test-data npy:data.npy --preset tiny --batch 6 --eval-every 5 --sample-every 0
       --ckpt-every 5)
"$bin" --device 0 train "${flags[@]}" --steps 5 --run-dir run >/dev/null
cp run/checkpoint.pcnn kept.pcnn
size=$(stat -c %s kept.pcnn)
blocks=$((size / 1024 - 1)) # ulimit -f counts KiB: the checkpoint no longer fits, the small files do

set +e
(ulimit -f "$blocks"; exec "$bin" --device 0 train --resume run --steps 10) >/dev/null 2>err
rc=$?
set -e
[ "$rc" = 1 ] || fail "exit code $rc under a $blocks KiB file limit, expected 1 ($(cat err))"
[ "$(wc -l <err)" = 1 ] || fail "expected one line on stderr, got: $(cat err)"
grep -q 'run/checkpoint.next.pcnn: write failed: File too large' err || fail "the error does not name the file and reason: $(cat err)"
grep -q 'last checkpoint (step 5) is intact' err || fail "the error does not say the checkpoint is kept: $(cat err)"
echo "refused: $(cat err)"
leftover=$(ls run | grep -E '\.tmp|checkpoint\.next' || true)
[ -z "$leftover" ] || fail "files left behind: $leftover"
cmp -s kept.pcnn run/checkpoint.pcnn || fail "checkpoint.pcnn changed"
"$bin" eval --checkpoint run/checkpoint.pcnn --data npy:data.npy | grep -q '^bits_per_dim=' ||
  fail "the kept checkpoint does not load"

# A full disk can also cut a log row short: resume must drop it, not keep a wrong step.
printf '1' >> run/log.csv
"$bin" --device 0 train --resume run --steps 10 >/dev/null || fail "resume after the limit was lifted failed"
"$bin" --device 0 train "${flags[@]}" --steps 10 --run-dir whole >/dev/null
same_losses whole run
steps=$(tail -n +2 run/log.csv | cut -d, -f1)
[ "$steps" = "$(tail -n +2 whole/log.csv | cut -d, -f1)" ] || fail "log.csv steps after resume: $(echo $steps)"
echo "1 passed, 0 failed"
