#!/usr/bin/env bash
# Out of device memory in a real training step: the job must stop with exit 1
# and one line on stderr naming the tensor and the flags that shrink it.
#   cli_oom.sh BIN GOLDEN 0 SANITIZED: device 0 under `ulimit -v` (1 GiB), so
#     malloc really fails; a small batch under the same limit must train, so
#     it is the batch that does not fit. ASan reserves terabytes of address
#     space and cannot start under ulimit -v; there ASan's own allocator
#     refuses blocks over 1 GiB instead (max_allocation_size_mb).
#   cli_oom.sh BIN GOLDEN 1 SANITIZED: device 1 (OpenCL) with a batch whose
#     activations exceed CL_DEVICE_MAX_MEM_ALLOC_SIZE. Exit 77 without one.
set -euo pipefail
bin=$1 golden=$2 device=$3 sanitized=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_oom (device $device): $*"; exit 1; }
if [ "$device" != 0 ] && ! "$bin" devices | awk '$1 == 1' | grep -q opencl; then
  echo "no OpenCL device: skipped"
  exit 77
fi
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 24 --out data.png --seed 3 >/dev/null
flags=(--data npy:data.npy --preset tiny --eval-every 0 --sample-every 0 --steps 2)

# run_limited OUT ERR ARGS...: pcnn-cl under the memory limit; a hung OpenBLAS
# (it retries a failed buffer allocation forever) shows as exit 124.
run_limited() {
  local out=$1 err=$2; shift 2
  if [ "$device" = 0 ] && [ "$sanitized" = 1 ]; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1:max_allocation_size_mb=1024" \
      timeout 300 "$bin" --device 0 "$@" >"$out" 2>"$err"
  elif [ "$device" = 0 ]; then
    (ulimit -v $((1 << 20)) && exec timeout 300 "$bin" --device 0 "$@") >"$out" 2>"$err"
  else
    timeout 300 "$bin" --device "$device" "$@" >"$out" 2>"$err"
  fi
}

if [ "$device" = 0 ]; then
  batch=32768 # about 2.9 GB for one training step of the tiny preset on these 7x9 images
  need=$("$bin" summary --preset tiny --height 7 --width 9 --colours 1 --batch "$batch" | sed -n 's/^train_step_bytes=//p')
  [ "$need" -gt $((3 << 29)) ] || fail "batch $batch needs only $need bytes: not beyond the 1 GiB limit"
  run_limited out err train "${flags[@]}" --batch 6 --run-dir small || fail "batch 6 under the limit failed: $(cat err)"
  echo "batch 6 trains under the limit"
  want='out of host memory allocating the activations \([0-9.]+ MiB\): reduce --batch, or the model \(--preset'
else
  # At least the logits of every sub-pixel (256 floats each) share the activations buffer.
  alloc_mib=$("$bin" devices | awk '$1 == 1 { print $6 }') # index backend type units mem_MiB alloc_MiB name
  batch=$((1 << 20))
  [ $((batch * 7 * 9 * 256 * 4 >> 20)) -gt "$alloc_mib" ] ||
    { echo "device 1 takes allocations of $alloc_mib MiB: more than this test can exceed; skipped"; exit 77; }
  want='the activations needs [0-9]+ bytes \([0-9.]+ MiB\), more than one allocation may take on .*: reduce --batch, or the model \(--preset'
fi

set +e
run_limited out err train "${flags[@]}" --batch "$batch" --run-dir big
rc=$?
set -e
# ASan's allocator announces its refusal on a line of its own (not ours).
[ "$sanitized" = 1 ] && sed -i '/^==[0-9]*==WARNING: AddressSanitizer failed to allocate/d' err
[ "$rc" = 1 ] || fail "batch $batch: exit code $rc, expected 1 ($(cat err))"
[ "$(wc -l <err)" = 1 ] || fail "batch $batch: expected one line on stderr, got: $(cat err)"
grep -Eq "^pcnn-cl: $want" err || fail "batch $batch: the message does not name the tensor and what to reduce: $(cat err)"
echo "batch $batch refused: $(cat err)"
echo "1 passed, 0 failed"
