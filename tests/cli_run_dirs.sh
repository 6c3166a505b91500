#!/usr/bin/env bash
# Run directories everywhere (issue 18 item 5): --checkpoint RUN_DIR means
# RUN_DIR/checkpoint.pcnn in eval, sample, export, summary and bench (and
# --run-dir in summary and bench); eval without --data takes the run's test
# data and prints nats_per_dim=, nats_per_image= and bits_per_dim= (the last
# line), consistent with each other; a long eval shows progress on stderr as
# plain lines when stderr is not a terminal; summary and bench default to the
# default job's 28x28x1 shape.
set -euo pipefail
bin=$1 golden=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
ulimit -f 2000000
run() { timeout -s KILL 120 "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

# A run whose test data is its own file (npy has no test split).
run "$bin" --device 0 import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
run "$bin" --device 0 sample --checkpoint g.pcnn --n 24 --out g.png >/dev/null
run "$bin" --device 0 train --data npy:g.npy --test-data npy:g.npy --preset tiny --batch 4 --eval-every 0 \
  --sample-every 0 --steps 2 --run-dir run >/dev/null

# eval: the run directory and the run's data give what the explicit file and data give.
run "$bin" --device 0 eval --checkpoint run --batch 5 --progress-every 0 >dir.out 2>dir.err
run "$bin" --device 0 eval --checkpoint run/checkpoint.pcnn --data npy:g.npy --batch 5 >file.out
cat dir.out dir.err
[ "$(grep -v '^images=' dir.out)" = "$(grep -v '^images=' file.out)" ] || fail "eval RUN_DIR != eval FILE --data"
grep -q '^images=24 size=7x9x1 data=npy:/.*/g.npy ' dir.out || fail "eval does not name the run's data"
[ "$(tail -1 dir.out | cut -d= -f1)" = bits_per_dim ] || fail "bits_per_dim= is not the last line"
[ "$(sed -n 2p dir.out | cut -d= -f1)" = nats_per_dim ] || fail "no nats_per_dim= line"
[ "$(sed -n 3p dir.out | cut -d= -f1)" = nats_per_image ] || fail "no nats_per_image= line"
python3 - dir.out <<'PY'
import math, sys
v = dict(l.strip().split("=", 1) for l in open(sys.argv[1]) if not l.startswith("images="))
dim, img, bpd = float(v["nats_per_dim"]), float(v["nats_per_image"]), float(v["bits_per_dim"])
assert abs(img - dim * 7 * 9 * 1) <= 1e-6 * img, (dim, img)
assert abs(bpd - dim / math.log(2)) <= 1e-7 * bpd, (dim, bpd)
print("eval lines consistent:", dim, img, bpd)
PY
# Progress: plain lines (no carriage return) counting up to the whole set.
[ "$(grep -c '^evaluating [0-9,]*/24 images' dir.err)" = 5 ] || fail "expected 5 progress lines: $(cat dir.err)"
grep -q '^evaluating 24/24 images' dir.err || fail "the last progress line is not 24/24"
! grep -q $'\r' dir.err || fail "carriage returns off a terminal"
# A quick eval says nothing on stderr.
run "$bin" --device 0 eval --checkpoint run 2>quiet.err >/dev/null
[ ! -s quiet.err ] || fail "a quick eval printed progress: $(cat quiet.err)"

# sample and export take the run directory.
run "$bin" --device 0 sample --checkpoint run --n 2 --out s.png >/dev/null
run "$bin" --device 0 sample --checkpoint run/checkpoint.pcnn --n 2 --out s2.png >/dev/null
cmp s.npy s2.npy || fail "sample --checkpoint RUN_DIR differs from the file"
run "$bin" --device 0 export --checkpoint run --to w >/dev/null
[ -f w/config.txt ] || fail "export --checkpoint RUN_DIR wrote no config.txt"

# summary: the run's model and size; the default is the default job's 28x28x1.
run "$bin" --device 0 summary --run-dir run | grep -q "one 7x9 image" || fail "summary --run-dir: not the run's 7x9"
run "$bin" --device 0 summary --checkpoint run | grep -q "one 7x9 image" || fail "summary --checkpoint RUN_DIR"
run "$bin" --device 0 summary >sum.out
grep -q "one 28x28 image" sum.out || fail "summary's default is not 28x28"
grep -q "^model: preset small, .* 1 colour " sum.out || fail "summary's default is not small with 1 colour: $(head -1 sum.out)"

# bench: the run's shape and model; the default shape 28x28x1.
bench=(--devices 0 --reps 1 --sample-n 1 --naive-steps 0 --peak-size 32 --batch 2)
run "$bin" bench "${bench[@]}" --run-dir run --json b.json >/dev/null 2>&1
python3 - b.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["settings"]
assert (s["height"], s["width"], s["colours"]) == (7, 9, 1), s
print("bench --run-dir: shape", s["height"], s["width"], s["colours"])
PY
run "$bin" bench "${bench[@]}" --preset tiny --json d.json >/dev/null 2>&1
python3 - d.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["settings"]
assert (s["height"], s["width"], s["colours"]) == (28, 28, 1), s
print("bench default shape: 28x28x1")
PY
echo "1 passed, 0 failed"
