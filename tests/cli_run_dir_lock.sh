#!/usr/bin/env bash
# One run directory, one process (docs/RELIABILITY.md): a training run holds
# DIR/train.lock (flock) from its start to its end. While it runs, a second
# `train --resume DIR` or `train --run-dir DIR` gets one line naming the pid
# that holds it, exit 2, and touches nothing (no temp sweep, no new file); the
# live run goes on and finishes normally. Two fresh runs on one new DIR
# started together: exactly one trains. A start that fails before its first
# checkpoint leaves nothing behind.
set -euo pipefail
bin=$1 golden=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/expect_fail.sh"
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_run_dir_lock: $*"; exit 1; }
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 64 --out data.png --seed 3 >/dev/null
flags=(--data npy:data.npy --preset tiny --batch 4 --eval-every 0 --sample-every 0)

# A live run, and a stale-looking temp file in its directory that a resume's
# sweep would delete.
"$bin" train "${flags[@]}" --steps 1000000 --ckpt-every 0 --run-dir live >live.out 2>live.err &
live=$!
pids+=("$live")
for _ in $(seq 300); do [ -s live/train.lock ] && [ -f live/checkpoint.pcnn ] && break; sleep 0.05; done
[ -f live/checkpoint.pcnn ] || fail "the live run did not start: $(cat live.err)"
[ "$(cat live/train.lock)" = "$live" ] || fail "train.lock holds '$(cat live/train.lock)', not the pid $live"
touch live/sentinel.tmp.abcdef
snapshot() { (cd live && find . -maxdepth 1 ! -name log.csv ! -name '*.tmp.*' -o -name sentinel.tmp.abcdef | sort); }
before=$(snapshot)
for cmd in "train --resume live --steps 5" "train ${flags[*]} --steps 5 --run-dir live"; do
  # shellcheck disable=SC2086
  expect_fail 2 "$bin" $cmd
  grep -q "is in use: process $live is training there" <<<"$err" || fail "'$cmd' does not name pid $live: $err"
  [ -f live/sentinel.tmp.abcdef ] || fail "'$cmd' swept the live run's temp files"
  [ "$(snapshot)" = "$before" ] || fail "'$cmd' changed the run directory: $(diff <(echo "$before") <(snapshot))"
  kill -0 "$live" 2>/dev/null || fail "the live run died after '$cmd': $(cat live.err)"
done
kill -TERM "$live"
set +e; wait "$live"; rc=$?; set -e
[ "$rc" = 0 ] || fail "the live run ended with exit $rc: $(cat live.err)"
grep -q "resume with $bin train --resume live" live.out || fail "no resume line: $(cat live.out)"
# The lock went with the process: the run resumes.
"$bin" train --resume live --steps 3 >/dev/null 2>resume.err || fail "resume after the run ended: $(cat resume.err)"
echo "a live run's directory is refused to others, and free once it ends"

# Two fresh runs on one new directory, started together: one trains, the
# other is refused (in use, or already holding a run if the first was quick).
for round in 1 2 3 4 5; do
  "$bin" train "${flags[@]}" --steps 20 --run-dir "race$round" >"a$round.out" 2>"a$round.err" &
  a=$!
  "$bin" train "${flags[@]}" --steps 20 --run-dir "race$round" >"b$round.out" 2>"b$round.err" &
  b=$!
  pids+=("$a" "$b")
  set +e; wait "$a"; ra=$?; wait "$b"; rb=$?; set -e
  codes=$(printf '%s\n' "$ra" "$rb" | sort | tr '\n' ' ')
  [ "$codes" = "0 2 " ] || fail "round $round: exit codes $ra and $rb, expected one 0 and one 2: $(cat "a$round.err" "b$round.err")"
  loser=$([ "$ra" = 2 ] && echo "a$round.err" || echo "b$round.err")
  [ "$(wc -l <"$loser")" = 1 ] && grep -Eq 'is in use: process [0-9]+ is training there|already holds a run' "$loser" ||
    fail "round $round: the refused run says: $(cat "$loser")"
done
echo "two fresh runs on one directory: exactly one trained, 5 rounds"

# A resume of a directory without a run touches nothing.
mkdir empty
expect_fail 2 "$bin" train --resume empty
[ -z "$(ls -A empty)" ] || fail "--resume of an empty directory left: $(ls -A empty)"

# A start that fails before its first checkpoint removes what it created.
expect_fail 1 "$bin" train --data npy:missing.npy --preset tiny --steps 2 --run-dir new/run
[ ! -e new ] || fail "a failed start left $(find new)"
mkdir given
touch given/notes.txt
expect_fail 1 "$bin" train --data npy:missing.npy --preset tiny --steps 2 --run-dir given
[ "$(ls -A given)" = notes.txt ] || fail "a failed start into an existing directory left: $(ls -A given)"
# Failing later in the start: test images of another size than the training ones.
"$bin" sample --checkpoint g.pcnn --n 2 --height 4 --width 4 --out small.png >/dev/null
expect_fail 2 "$bin" train "${flags[@]}" --steps 2 --test-data npy:small.npy --run-dir other
[ ! -e other ] || fail "a failed start left $(find other)"
echo "failed starts leave nothing behind"
echo "1 passed, 0 failed"
