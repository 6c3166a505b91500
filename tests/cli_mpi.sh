#!/usr/bin/env bash
# Data-parallel training over MPI (Open MPI, shared memory on one machine):
# N ranks with global batch B give the losses of one process with batch B.
#   cli_mpi.sh BIN GOLDEN 0: 1 vs 2 vs 3 ranks on device 0; rank 0 alone
#     writes files and holds the run directory's lock; a resume with the same
#     N continues exactly; a killed rank ends the whole job with the last
#     checkpoint still good.
#   cli_mpi.sh BIN GOLDEN 1: 1 vs 2 ranks on device 1; exit 77 (ctest:
#     skipped) without an OpenCL device.
set -euo pipefail
bin=$1 golden=$2 dev=$3
here=$(cd "$(dirname "$0")" && pwd)
command -v mpirun >/dev/null || { echo "no mpirun: skipped"; exit 77; }
if [ "$dev" != 0 ] && ! "$bin" devices | awk -v d="$dev" '$1 == d' | grep -q opencl; then
  echo "no device $dev (OpenCL): skipped"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mpi() { local n=$1; shift; timeout 300 mpirun --allow-run-as-root --oversubscribe -np "$n" "$@"; }
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 24 --out data.png --seed 3 >/dev/null # 24 images 7x9x1
flags=(--data npy:data.npy --test-data npy:data.npy --preset tiny --batch 6 --eval-every 10 --sample-every 0
       --ckpt-every 10)

source "$here/same_losses.sh"

ranks=(1 2 3)
[ "$dev" != 0 ] && ranks=(1 2)
for n in "${ranks[@]}"; do
  out=$(mpi "$n" "$bin" --device "$dev" train "${flags[@]}" --steps 20 --run-dir "d$dev-n$n" 2>&1)
  if [ "$n" -gt 1 ]; then
    grep -q "mpi: $n ranks" <<<"$out" || { echo "device $dev, $n ranks: not a $n-rank job: $out"; exit 1; }
    same_losses "d$dev-n1" "d$dev-n$n"
  fi
done
if [ "$dev" != 0 ]; then
  echo "1 passed, 0 failed"
  exit 0
fi

# Rank 0 alone writes: exactly the files of a one-process run, no stray temp files.
diff <(cd d0-n1 && find . | sort) <(cd d0-n3 && find . | sort) || { echo "3-rank run wrote other files"; exit 1; }

# Resume with the same N continues exactly.
mpi 2 "$bin" --device 0 train "${flags[@]}" --steps 10 --run-dir resumed >/dev/null 2>&1
mpi 2 "$bin" --device 0 train --resume resumed --steps 20 >/dev/null 2>&1
same_losses d0-n2 resumed

# A killed rank ends the whole job; the checkpoint on disk still loads.
mpi 2 "$bin" --device 0 train "${flags[@]}" --steps 100000 --ckpt-every 50 --run-dir killed >killed.log 2>&1 &
job=$!
for _ in $(seq 100); do [ -f killed/checkpoint.pcnn ] && [ "$(wc -l <killed/log.csv 2>/dev/null || echo 0)" -gt 3 ] && break; sleep 0.2; done
# While the 2-rank job runs, rank 0 holds the run directory: a second process
# (alone, or under mpirun) is refused in one line naming rank 0's pid.
holder=$(head -1 killed/train.lock)
[ "$(cat /proc/"$holder"/comm 2>/dev/null)" = pcnn-cl ] || { echo "train.lock names $holder, not a rank"; exit 1; }
source "$here/expect_fail.sh"
expect_fail 2 "$bin" train --resume killed --steps 100
grep -q "process $holder is training there" <<<"$err" || { echo "the refusal does not name pid $holder: $err"; exit 1; }
set +e; err=$(mpi 2 "$bin" --device 0 train --resume killed --steps 100 2>&1 >/dev/null); rc=$?; set -e
[ "$rc" = 2 ] && grep -q "process $holder is training there" <<<"$err" ||
  { echo "a second 2-rank job was not refused (exit $rc): $err"; exit 1; }
echo "second job refused: $(grep -m1 'is in use' <<<"$err")"
victim=$(pgrep -f "train .*--run-dir killed" | grep -v "^$job$" | while read -r p; do
  [ "$(cat /proc/"$p"/comm)" = pcnn-cl ] && echo "$p"; done | tail -1)
[ -n "$victim" ] || { echo "no rank process found"; exit 1; }
kill -9 "$victim"
set +e; wait "$job"; rc=$?; set -e
[ "$rc" != 0 ] || { echo "the job survived a killed rank"; exit 1; }
[ "$rc" != 124 ] || { echo "the job hung after a rank was killed"; exit 1; }
"$bin" eval --checkpoint killed/checkpoint.pcnn --data npy:data.npy | grep -q '^bits_per_dim=' ||
  { echo "checkpoint after the kill does not load"; exit 1; }
echo "killed rank: job ended with exit $rc, checkpoint loads"
echo "1 passed, 0 failed"
