#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and
# runs each for a bounded time from its seed corpus in tests/fuzz/corpus/.
# New interesting inputs go to a scratch directory, never into the repository;
# a crash leaves its input in build-fuzz/crashes/ and fails the script.
#   tools/fuzz.sh [seconds per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
CC=clang cmake -S . -B build-fuzz -DPCNN_FUZZ=ON -DPCNN_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_npy fuzz_ckpt fuzz_config fuzz_cli fuzz_data fuzz_npz >/dev/null
mkdir -p build-fuzz/crashes
status=0
for target in npy ckpt config cli data npz; do
  scratch=$(mktemp -d)
  log=build-fuzz/fuzz_$target.log
  if ! build-fuzz/tests/fuzz/fuzz_$target -max_total_time="$seconds" -rss_limit_mb=4096 -max_len=65536 -close_fd_mask=3 \
        -artifact_prefix=build-fuzz/crashes/$target- "$scratch" tests/fuzz/corpus/$target >"$log" 2>&1; then
    echo "fuzz_$target: FAILED (see $log and build-fuzz/crashes/)"
    tail -20 "$log"
    status=1
  else
    echo "fuzz_$target: $(grep -E '^Done [0-9]+ runs' "$log" | tail -1)"
  fi
  rm -rf "$scratch"
done
exit $status
