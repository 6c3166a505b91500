#!/bin/sh
# Instructions of one training step or eval forward on device 0, single-threaded,
# counted by callgrind (deterministic: the figure to quote on a shared machine,
# where wall-clock times are noise). valgrind 3.19 does not decode AVX-512, so
# the library is built without it (-mno-avx512f: the AVX 6x16 tile) in BUILD_DIR.
#
#   tools/count_instructions.sh BUILD_DIR train|eval PRESET COLOURS HEIGHT WIDTH BATCH
#   e.g. tools/count_instructions.sh /tmp/cg eval small 1 28 28 4
#
# Prints the mean loss and "totals: N" (instructions inside one measured call);
# the callgrind file (per-function figures: callgrind_annotate) is BUILD_DIR/callgrind.out.
set -eu
[ $# -eq 8 ] || { sed -n 2,10p "$0"; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
build=$1
shift
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-mno-avx512f -g" >/dev/null
cmake --build "$build" -j2 --target pcnn-cl >/dev/null
# link as pcnn-cl links (the same libraries), with the driver instead of the CLI's objects
libs=$(sed -e 's/.* -o pcnn-cl //' "$build/CMakeFiles/pcnn-cl.dir/link.txt")
(cd "$build" && cc -O2 -I"$root/include" "$root/tools/step_driver.c" -o step_driver $libs)
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 timeout -s KILL 1200 valgrind --tool=callgrind \
    --callgrind-out-file="$build/callgrind.out" --collect-atstart=no --toggle-collect=measured_step \
    "$build/step_driver" "$@" 2>"$build/callgrind.log" | tail -1
grep totals "$build/callgrind.out"
