#!/usr/bin/env bash
# Signals (docs/RELIABILITY.md §1, §8), each run under a file-size limit and a
# hard timeout so a regression fails instead of hanging or filling the disk:
# - SIGTERM while training draws its sample grid, and SIGHUP (a dropped ssh
#   session) while it evaluates: the run stops within seconds, saves the
#   checkpoint of the step it reached, exits 0 with the resume command
#   (before: the grid was drawn to the end; SIGHUP killed the run unsaved);
# - train | head -1: SIGPIPE is ignored, printing stops, the run finishes
#   and saves (before: killed by SIGPIPE at the second line, no checkpoint);
# - SIGTERM during sample and bench: one line naming the signal, exit 143,
#   no temporary file and no half output (before: killed without a word);
# - --resume removes samples/*.tmp.* a killed run left.
set -euo pipefail
bin=$1 golden=$2
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_signals: $*"; exit 1; }
ulimit -f 2000000
# idx NAME N H W: N random images of H x W (IDX: magic 0x00000803, n, rows, cols).
be32() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"; }
idx() {
  { printf '\x00\x00\x08\x03'; be32 "$2"; be32 "$3"; be32 "$4"; head -c $(($2 * $3 * $4)) /dev/urandom; } >"$1"
}
# wait_for FILE: up to 60 s.
wait_for() { for _ in $(seq 600); do [ -e "$1" ] && return 0; sleep 0.1; done; fail "$1 never appeared"; }
# stop_within SIGNAL SECONDS: sends it to $pid, which must exit 0 within SECONDS.
stop_within() {
  local t0 rc=0 took
  kill "-$1" "$pid"
  t0=$(date +%s%N)
  wait "$pid" || rc=$?
  pid=
  took=$((($(date +%s%N) - t0) / 1000000))
  echo "  SIG$1: exit $rc after $took ms"
  [ "$rc" = 0 ] || fail "SIG$1: exit $rc, expected 0: $(cat err out)"
  ((took < $2 * 1000)) || fail "SIG$1: took $took ms to stop (more than $2 s)"
}
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
tiny=(--preset tiny --batch 1 --ckpt-every 100000)

# SIGTERM while the grid (16 images of 512 x 512: about five training steps
# of one image) is drawn. A whole one-step run, timed first, says how long to
# wait after the first checkpoint for step 1 to be over (a step is never cut
# short), and bounds the stop (at least 3 s).
idx big 4 512 512
t0=$(date +%s%N)
timeout -s KILL 120 "$bin" --device 0 train --data idx:big "${tiny[@]}" --eval-every 0 --sample-every 0 --steps 1 \
  --run-dir one >/dev/null
step_ms=$((($(date +%s%N) - t0) / 1000000))
bound=$(((step_ms + 999) / 1000 > 3 ? (step_ms + 999) / 1000 : 3))
echo "  a one-step run took $step_ms ms: the stop must come within $bound s"
timeout -s KILL 300 "$bin" --device 0 train --data idx:big "${tiny[@]}" --eval-every 0 --sample-every 1 --steps 1000 \
  --run-dir grid >out 2>err &
pid=$!
wait_for grid/checkpoint.pcnn
sleep "$((step_ms / 1000 + 1))"
stop_within TERM "$bound"
grep -q "interrupted at step 1 (checkpoint saved): resume with $bin train --resume grid" out ||
  fail "SIGTERM while sampling: $(cat out err)"
grep -q "train: SIGTERM: saving a checkpoint" err || fail "SIGTERM while sampling said: $(cat err)"
! ls grid/samples | grep -q . || fail "a grid cut short was written: $(ls grid/samples)"
"$bin" eval --checkpoint grid/checkpoint.pcnn --data idx:big --batch 1 >/dev/null || fail "grid: checkpoint does not load"
echo "SIGTERM while sampling: stopped, checkpoint of step 1 saved"

# SIGHUP while it evaluates 1000 test images of 128 x 128.
idx small 8 128 128
idx test 1000 128 128
timeout -s KILL 120 "$bin" --device 0 train --data idx:small --test-data idx:test "${tiny[@]}" --eval-every 2 \
  --sample-every 0 --steps 1000 --run-dir hup >out 2>err &
pid=$!
wait_for hup/checkpoint.pcnn
sleep 2
stop_within HUP 6
grep -q "interrupted at step 2 (checkpoint saved)" out || fail "SIGHUP while evaluating: $(cat out err)"
echo "SIGHUP while evaluating: stopped, checkpoint of step 2 saved"

# train | head -1: the run goes on without its reader and saves at the end.
idx little 16 8 8
set +e
timeout -s KILL 120 "$bin" --device 0 train --data idx:little "${tiny[@]}" --eval-every 0 --sample-every 0 --steps 300 \
  --run-dir pipe 2>err | head -1 >first
rcs=("${PIPESTATUS[@]}")
set -e
[ "${rcs[0]}" = 0 ] || fail "train | head -1: train exit ${rcs[0]}: $(cat err)"
grep -q "^loading training images (idx:.*little)" first || fail "train | head -1 printed: $(cat first)"
"$bin" summary --checkpoint pipe/checkpoint.pcnn >/dev/null
grep -q "^300," pipe/log.csv || fail "train | head -1 did not reach step 300: $(tail -1 pipe/log.csv)"
echo "train | head -1: finished at step 300 and saved"

# SIGTERM during sample and bench: one line, exit 143, nothing half-written.
stopped_command() { # NAME ARGS...: runs it, sends SIGTERM after 2 s
  local name=$1; shift
  timeout -s KILL 120 "$@" >out 2>err &
  pid=$!
  sleep 2
  kill -TERM "$pid"
  local rc=0; wait "$pid" || rc=$?
  pid=
  [ "$rc" = 143 ] || fail "$name: exit $rc after SIGTERM, expected 143: $(cat err)"
  # the last line (bench says "device 0 ..." as it starts measuring), and the only one about it
  tail -1 err | grep -q "^pcnn-cl $name: SIGTERM: stopped; its temporary files are removed$" &&
    [ "$(grep -c SIGTERM err)" = 1 ] || fail "$name: after SIGTERM: $(cat err)"
  ! ls | grep -q '\.tmp\.' || fail "$name: temporary files left: $(ls)"
  echo "SIGTERM during $name: $(tail -1 err)"
}
stopped_command sample "$bin" --device 0 sample --checkpoint g.pcnn --n 16 --height 512 --width 512 --out s.png
[ ! -e s.png ] && [ ! -e s.npy ] || fail "sample wrote images after SIGTERM"
stopped_command bench "$bin" bench --devices 0 --preset small --reps 64 --height 64 --width 64 --no-compile --json b.json
[ ! -e b.json ] || fail "bench wrote its JSON after SIGTERM"

# A kill mid-grid leaves samples/*.tmp.*: --resume removes it.
mkdir -p pipe/samples
touch pipe/samples/step_0000300.png.tmp.AbC123
timeout -s KILL 120 "$bin" --device 0 train --resume pipe --steps 301 >/dev/null
[ ! -e pipe/samples/step_0000300.png.tmp.AbC123 ] || fail "--resume left samples/*.tmp.*"
echo "--resume removed samples/*.tmp.*"
