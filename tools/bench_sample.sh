#!/usr/bin/env bash
# The sampling benchmark of issue 5 on one device (default 0):
#   small preset, 16 images of 32x32x3: fast vs naive side by side, speedup must be >= 300;
#   paper preset, 16 images of 32x32x3: the fast sampler must take under 60 s.
# Usage: tools/bench_sample.sh [DEVICE] [path/to/pcnn-cl]
set -euo pipefail
dev=${1:-0}
bin=${2:-"$(dirname "$0")/../build/pcnn-cl"}
run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$bin" --device "$dev" sample --bench "$@"; }
small=$(run --preset small --n 16 --naive-steps 3)
echo "$small"
paper=$(run --preset paper --n 16 --naive-steps 1)
echo "$paper"
speedup=$(sed -n 's/^speedup=//p' <<<"$small")
paper_s=$(sed -n 's/^fast_seconds=//p' <<<"$paper")
awk -v s="$speedup" -v p="$paper_s" 'BEGIN {
  printf "small speedup %sx (need >= 300); paper 16 images %s s (need < 60)\n", s, p; exit !(s >= 300 && p < 60) }'
