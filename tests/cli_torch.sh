#!/usr/bin/env bash
# tools/pcnn_torch.py, the model in PyTorch from an exported directory or
# .npz, computes the bits/dim `pcnn-cl eval` computes, within 1e-5 (pcnn-cl
# in float32, pcnn_torch.py in float64: they agree to ~1e-7), for gray and RGB models
# (the colour masks) and a 15-block model after a training step; and its
# logits are the golden ones (tests/data/golden, from the seed's TensorFlow)
# within 1e-4. The interpreter is $PCNN_TORCH_PYTHON (default python3);
# without numpy and torch there, the test is skipped (exit 77).
set -euo pipefail
export LC_ALL=C
bin=$1 golden=$2 tools=$3
python=${PCNN_TORCH_PYTHON:-python3}
if ! "$python" -c "import numpy, torch" 2>/dev/null; then
  echo "skipped: $python cannot import numpy and torch (set PCNN_TORCH_PYTHON to an interpreter that can)"
  exit 77
fi
tmp=$(mktemp -d /tmp/cli_torch.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
ulimit -f 2000000
fail() { echo "cli_torch: $*"; exit 1; }
run() { timeout -s KILL 120 "$@"; }
bpd() { grep '^bits_per_dim=' | cut -d= -f2; }

for name in model_tiny_gray model_tiny_rgb; do
  run "$bin" import --from "$golden/$name" --out "$name.pcnn" >/dev/null
  run "$bin" sample --checkpoint "$name.pcnn" --n 24 --seed 5 --out "$name.png" >/dev/null
  run "$bin" export --checkpoint "$name.pcnn" --to "$name.npz" >/dev/null
done
run "$bin" train --data npy:model_tiny_gray.npy --preset paper --steps 2 --batch 4 --eval-every 0 --sample-every 0 \
  --run-dir paper >/dev/null
run "$bin" export --checkpoint paper/checkpoint.pcnn --to paper_w >/dev/null

# The command line, once, on the exported directory.
want=$(run "$bin" eval --checkpoint paper/checkpoint.pcnn --data npy:model_tiny_gray.npy | bpd)
got=$(TORCH_THREADS=2 run "$python" "$tools/pcnn_torch.py" paper_w --data model_tiny_gray.npy | bpd)
echo "paper (directory): pcnn-cl eval $want, pcnn_torch.py $got"
awk -v a="$want" -v b="$got" 'BEGIN { d = a - b; exit !(d <= 1e-5 && d >= -1e-5) }' ||
  fail "paper: pcnn_torch.py gives $got bits/dim, pcnn-cl eval $want"

# The module, on the .npz files, and the golden logits.
for name in model_tiny_gray model_tiny_rgb; do
  echo "$name $(run "$bin" eval --checkpoint "$name.pcnn" --data "npy:$name.npy" | bpd)"
done >want.txt
PYTHONPATH=$tools run "$python" - "$golden" <<'EOF'
import sys
import numpy as np
import torch
import pcnn_torch

torch.set_num_threads(2)
golden = sys.argv[1]
bad = 0
for line in open("want.txt"):
    name, want = line.split()
    model = pcnn_torch.load(f"{name}.npz")
    got, _ = pcnn_torch.bits_per_dim(model, np.load(f"{name}.npy"))
    ok = abs(got - float(want)) <= 1e-5
    print(f"{name} (.npz): pcnn-cl eval {want}, pcnn_torch {got:.9g}{'' if ok else '  MISMATCH'}")
    bad += not ok
    images = np.load(f"{golden}/{name}/images.npy")
    with torch.no_grad():
        logits = model(images).permute(0, 2, 3, 1).numpy()  # [B, H, W, 256*C]
    ref = np.load(f"{golden}/{name}/logits.npy")  # [B, H, W, C, 256]
    err = float(np.abs(logits.reshape(ref.shape) - ref).max())
    print(f"{name}: logits against the golden ones, max |difference| {err:.3g}")
    bad += not err <= 1e-4
sys.exit(1 if bad else 0)
EOF
echo "cli_torch: passed"
