#!/usr/bin/env bash
# pcnn-cl train end to end on a small IDX file the test writes: the run
# directory's files, SIGINT saving a checkpoint and printing the resume
# command, --resume continuing (and refusing a changed setting), the log
# holding each step once, and eval reading the checkpoint with the same spec.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "cli_train: $*"; exit 1; }

# 64 images of 8x8: IDX header (magic 0x00000803, n, rows, cols) then pixels.
images="$tmp/train-images-idx3-ubyte"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x40\x00\x00\x00\x08\x00\x00\x00\x08'
  head -c $((64 * 8 * 8)) /dev/urandom; } > "$images"
gzip -k "$images"
run="$tmp/run"
common=(--data "idx:$images.gz" --test-data "idx:$images" --preset tiny --batch 4 --eval-every 20
        --sample-every 0 --ckpt-every 25)

# A long run, stopped with SIGINT once it has logged something.
"$bin" --device 0 train "${common[@]}" --steps 1000000 --run-dir "$run" > "$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 600); do
  [ "$(cat "$run/log.csv" 2>/dev/null | wc -l)" -ge 3 ] && break
  sleep 0.1
done
kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || { cat "$tmp/out"; fail "SIGINT: exit code $rc, expected 0"; }
grep -q "resume with $bin train --resume $run" "$tmp/out" || { cat "$tmp/out"; fail "no resume command printed"; }
stopped=$(sed -n 's/.*interrupted at step \([0-9]*\).*/\1/p' "$tmp/out")
[ -n "$stopped" ] || fail "no step in the interruption message"
for f in config.txt train.txt log.csv loss.svg checkpoint.pcnn checkpoint.prev.pcnn; do
  [ -s "$run/$f" ] || fail "$f missing from the run directory"
done
[ "$(head -1 "$run/log.csv")" = "step,seconds,train_bits_per_dim,test_bits_per_dim,lr,images_per_s" ] ||
  fail "log.csv header: $(head -1 "$run/log.csv")"
grep -q '^hidden_dim=4$' "$run/config.txt" || fail "config.txt is not the tiny preset's"
grep -q '^batch=4$' "$run/train.txt" || fail "train.txt lacks the flags"

# A changed setting is refused (exit 2, one line naming it); a fresh run into the directory too.
set +e
err=$("$bin" --device 0 train --resume "$run" --batch 8 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" = 2 ] && [[ "$err" == *"--batch 8 differs from the run's 4"* ]] || fail "changed --batch: rc $rc: $err"
set +e
err=$("$bin" --device 0 train "${common[@]}" --steps 5 --run-dir "$run" 2>&1 >/dev/null); rc=$?
set -e
[ "$rc" = 2 ] && [[ "$err" == *"already holds a run"* ]] || fail "fresh run over a run: rc $rc: $err"

# Resume to a few steps further; the log ends there with each step once.
target=$((stopped + 7))
"$bin" --device 0 train --resume "$run" --steps "$target" > "$tmp/out2" 2>&1 || { cat "$tmp/out2"; fail "resume failed"; }
grep -q "^resuming $run" "$tmp/out2" || fail "resume did not say so: $(head -1 "$tmp/out2")"
last=$(tail -1 "$run/log.csv" | cut -d, -f1)
[ "$last" = "$target" ] || fail "log.csv ends at step $last, expected $target"
steps=$(tail -n +2 "$run/log.csv" | cut -d, -f1)
[ "$steps" = "$(echo "$steps" | sort -n | uniq)" ] || fail "log.csv repeats or reorders steps"

# eval reads the checkpoint and reports the image count.
out=$("$bin" --device 0 eval --checkpoint "$run/checkpoint.pcnn" --data "idx:$images")
[[ "$out" == *"images=64 size=8x8x1"* ]] || fail "eval: $out"
[[ "$out" == *"bits_per_dim="* ]] || fail "eval printed no bits_per_dim"
echo "cli_train: ok (stopped at step $stopped, resumed to $target)"
