#!/usr/bin/env bash
# A run directory that cannot be written (as root permission bits stop
# nothing, so the file system itself must refuse): a --run-dir under a regular
# file (ENOTDIR), a directory where checkpoint.next.pcnn must go (EISDIR), and
# the run directory replaced by a regular file while training. Each time: exit
# 1, one line on stderr naming the path, the last checkpoint intact, and
# --resume working once the directory is back.
set -euo pipefail
bin=$1 golden=$2
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_unwritable_run_dir: $*"; exit 1; }
# expect_job_failed PATTERN CMD...: exit 1 and one line on stderr matching PATTERN.
expect_job_failed() {
  local want=$1; shift
  set +e; "$@" >/dev/null 2>err; local rc=$?; set -e
  [ "$rc" = 1 ] || fail "exit code $rc, expected 1: $* ($(cat err))"
  [ "$(wc -l <err)" = 1 ] || fail "expected one line on stderr: $*: $(cat err)"
  grep -q -- "$want" err || fail "expected '$want' in: $(cat err)"
  echo "refused: $(cat err)"
}
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 24 --out data.png --seed 3 >/dev/null
flags=(--data npy:data.npy --test-data npy:data.npy --preset tiny --batch 6 --eval-every 5 --sample-every 0
       --ckpt-every 5)

# 1. --run-dir under a regular file.
echo "not a directory" > plain
expect_job_failed 'plain: exists and is not a directory' "$bin" --device 0 train "${flags[@]}" --steps 5 --run-dir plain/run

# 2. A directory where the next checkpoint must go.
"$bin" --device 0 train "${flags[@]}" --steps 5 --run-dir run >/dev/null
cp run/checkpoint.pcnn kept.pcnn
mkdir run/checkpoint.next.pcnn
expect_job_failed 'run/checkpoint.next.pcnn: cannot rename the finished file into place: Is a directory; the last checkpoint (step 5) is intact' \
  "$bin" --device 0 train --resume run --steps 10
cmp -s kept.pcnn run/checkpoint.pcnn || fail "checkpoint.pcnn changed"
leftover=$(ls run | grep -F .tmp. || true)
[ -z "$leftover" ] || fail "temporary files left behind: $leftover"
rmdir run/checkpoint.next.pcnn
"$bin" --device 0 train --resume run --steps 10 >/dev/null || fail "resume once the directory was gone failed"

# 3. The run directory replaced by a regular file mid-run: the next write fails
#    (ENOENT if it lands between the mv and the new file, else ENOTDIR).
"$bin" --device 0 train --resume run --steps 1000000 >/dev/null 2>err &
pid=$!
for _ in $(seq 600); do
  [ "$(wc -l <run/log.csv)" -ge 5 ] && break
  sleep 0.1
done
mv run moved
echo "not a directory" > run
for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "training went on with its run directory gone"
set +e; wait "$pid"; rc=$?; set -e
pid=
[ "$rc" = 1 ] || fail "mid-run: exit code $rc, expected 1 ($(cat err))"
[ "$(wc -l <err)" = 1 ] || fail "mid-run: expected one line on stderr: $(cat err)"
grep -Eq '^pcnn-cl: run/[a-z.]+: .*(Not a directory|No such file or directory); the last checkpoint \(step [0-9]+\) is intact' err ||
  fail "mid-run: the error does not name the file, the reason and the checkpoint: $(cat err)"
echo "refused mid-run: $(cat err)"
"$bin" eval --checkpoint moved/checkpoint.pcnn --data npy:data.npy | grep -q '^bits_per_dim=' ||
  fail "the kept checkpoint does not load"
rm run
mv moved run
saved=$(sed -n 's/.*last checkpoint (step \([0-9]*\)).*/\1/p' err)
"$bin" --device 0 train --resume run --steps $((saved + 3)) >/dev/null || fail "resume after the mid-run failure failed"
[ "$(tail -1 run/log.csv | cut -d, -f1)" = $((saved + 3)) ] || fail "resume did not end at step $((saved + 3))"
leftover=$(ls run | grep -F .tmp. || true)
[ -z "$leftover" ] || fail "temporary files left after resume: $leftover"
echo "1 passed, 0 failed"
