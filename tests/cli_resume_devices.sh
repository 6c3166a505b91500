#!/usr/bin/env bash
# Resume on a device (cli_resume_devices.sh BIN GOLDEN DEVICE): 10 steps,
# then --resume to 20, against 20 steps in one go (log rows within 1e-5; on
# device 0 tests/test_train.c checks bit for bit). Device 1: exit 77 (ctest:
# skipped) when there is no OpenCL device.
set -euo pipefail
bin=$1 golden=$2 dev=$3
if [ "$dev" != 0 ] && ! "$bin" devices | awk -v d="$dev" '$1 == d' | grep -q opencl; then
  echo "no device $dev (OpenCL): skipped"
  exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
source "$here/same_losses.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
"$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
"$bin" sample --checkpoint g.pcnn --n 24 --out data.png --seed 3 >/dev/null
flags=(--data npy:data.npy --test-data npy:data.npy --preset tiny --batch 6 --eval-every 5 --sample-every 0
       --ckpt-every 10)
"$bin" --device "$dev" train "${flags[@]}" --steps 20 --run-dir "whole$dev" >/dev/null
"$bin" --device "$dev" train "${flags[@]}" --steps 10 --run-dir "split$dev" >/dev/null
"$bin" --device "$dev" train --resume "split$dev" --steps 20 >/dev/null
echo -n "device $dev: "
same_losses "whole$dev" "split$dev"
echo "1 passed, 0 failed"
