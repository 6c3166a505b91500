#!/usr/bin/env bash
# SIGKILL at random moments, 20 times: training checkpoints every step on a
# tiny model, so most kills land during or near a checkpoint write. After
# every kill the latest checkpoint must load and --resume must continue.
set -euo pipefail
bin=$1 golden=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 24 --out data.png --seed 3 >/dev/null
"$bin" --device 0 train --data npy:data.npy --test-data npy:data.npy --preset tiny --batch 6 --steps 1 \
  --eval-every 0 --sample-every 0 --ckpt-every 1 --run-dir run >/dev/null
RANDOM=7 # a fixed sequence of delays: the test is repeatable in what it tries
last=1
for i in $(seq 20); do
  "$bin" --device 0 train --resume run --steps 1000000 >/dev/null 2>&1 &
  pid=$!
  sleep "0.$(printf '%03d' $((RANDOM % 900 + 100)))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  out=$("$bin" eval --checkpoint run/checkpoint.pcnn --data npy:data.npy) ||
    { echo "kill $i: the latest checkpoint does not load"; exit 1; }
  grep -q '^bits_per_dim=' <<<"$out"
  step=$(tail -1 run/log.csv | cut -d, -f1)
  echo "kill $i: checkpoint loads (log at step ${step:-0})"
done
steps=$(tail -1 run/log.csv | cut -d, -f1)
[ "${steps:-0}" -gt "$last" ] || { echo "training never advanced between kills"; exit 1; }
"$bin" --device 0 train --resume run --steps $((steps + 5)) >/dev/null
echo "after 20 kills: resumed and finished at step $((steps + 5))"
echo "1 passed, 0 failed"
