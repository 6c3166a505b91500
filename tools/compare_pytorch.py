#!/usr/bin/env python3
"""Same PixelCNN in PyTorch and pcnn-cl: same weights, same bits/dim, speed side by side.

Optional dependency, installed only for this tool (CPU build of PyTorch, plus NumPy):
    python3 -m venv .venv-torch && .venv-torch/bin/pip install numpy torch \\
        --index-url https://download.pytorch.org/whl/cpu      # or plain: pip install torch numpy
    .venv-torch/bin/python tools/compare_pytorch.py [--bin build/pcnn-cl] [--presets small,paper]

What it does, per preset (batch 16, 32x32x3, torch.set_num_threads(2)):
 1. builds the model of docs/ARCHITECTURE.md in PyTorch (masked convs, colour-split masks) with random
    weights, writes them as a weights directory (config.txt + raw HWIO .npy), imports it with
    `pcnn-cl import` and checks that `pcnn-cl eval` and PyTorch give the same bits/dim on the same
    random images (within 1e-4);
 2. times a training step (forward + backward + Adam) and the naive sampler (one forward pass of 16
    images per sub-pixel, a few sub-pixels, extrapolated to 32*32*3) in PyTorch, and runs
    `pcnn-cl bench --devices 0` in the same run, printing ratios pcnn-cl / PyTorch; --rounds N alternates
    the two N times and reports medians (the machines are shared and noisy);
 3. prints peak memory: pcnn-cl's analytic need, device bytes and host RSS next to PyTorch's peak RSS
    (PyTorch runs in a child process per preset, so its peak is that preset's).
Benchmark runs unset OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for pcnn-cl (as tools/bench_sample.sh).
"""
import argparse, json, math, os, statistics, subprocess, sys, tempfile, time

import numpy as np
import torch
import torch.nn.functional as F

PRESETS = {"tiny": (4, 8, 2), "small": (16, 32, 5), "paper": (43, 342, 15), "seed": (128, 1024, 15)}


def mask(kh, kw, fin, fout, colours, mode):
    """HWIO mask: taps above the centre and left of it live; at the centre input group i feeds
    output group j iff i < j (A) or i <= j (B); groups are contiguous channel blocks."""
    m = np.zeros((kh, kw, fin, fout), np.float32)
    cy, cx = kh // 2, kw // 2
    m[:cy] = 1
    m[cy, :cx] = 1
    gi = np.arange(fin) * colours // fin
    go = np.arange(fout) * colours // fout
    m[cy, cx] = (gi[:, None] < go[None, :]) if mode == "A" else (gi[:, None] <= go[None, :])
    return m


class PixelCNN(torch.nn.Module):
    def __init__(self, hidden, out, layers, C, seed=1):
        super().__init__()
        rng = np.random.default_rng(seed)
        H2, Hd, O = 2 * hidden * C, hidden * C, out * C
        self.C = C
        self.spec = [("input_conv", 7, C, H2, "A")]
        for i in range(layers):
            self.spec += [(f"res.{i}.conv_in", 1, H2, Hd, "B"), (f"res.{i}.conv_mid", 3, Hd, Hd, "B"),
                          (f"res.{i}.conv_out", 1, Hd, H2, "B")]
        self.spec += [("output_conv1", 1, H2, O, "B"), ("output_conv2", 1, O, O, "B"), ("final_conv", 1, O, 256 * C, "B")]
        self.w, self.b, self.masks = torch.nn.ParameterList(), torch.nn.ParameterList(), []
        for name, k, fin, fout, mode in self.spec:
            lim = math.sqrt(6 / (k * k * (fin + fout)))
            m = mask(k, k, fin, fout, C, mode)
            w = rng.uniform(-lim, lim, (k, k, fin, fout)).astype(np.float32) * m
            self.masks.append(torch.from_numpy(m).permute(3, 2, 0, 1).contiguous())
            self.w.append(torch.nn.Parameter(torch.from_numpy(w).permute(3, 2, 0, 1).contiguous()))
            self.b.append(torch.nn.Parameter(torch.from_numpy(
                rng.uniform(-math.sqrt(3 / fout), math.sqrt(3 / fout), fout).astype(np.float32))))

    def conv(self, i, x):
        k = self.spec[i][1]
        return F.conv2d(x, self.w[i] * self.masks[i], self.b[i], padding=k // 2)

    def forward(self, pixels):  # pixels uint8 [B,H,W,C] -> logits [B,C,256,H,W]
        x = pixels.permute(0, 3, 1, 2).float() / 255.0
        y = self.conv(0, x)
        n = (len(self.spec) - 4) // 3
        for i in range(n):
            h = F.relu(self.conv(1 + 3 * i, y))
            h = F.relu(self.conv(2 + 3 * i, h))
            y = y + F.relu(self.conv(3 + 3 * i, h))
        o1 = self.conv(len(self.spec) - 3, F.relu(y))
        o2 = self.conv(len(self.spec) - 2, F.relu(o1))
        z = self.conv(len(self.spec) - 1, o2)
        B, _, H, W = z.shape
        return z.view(B, self.C, 256, H, W)

    def loss(self, pixels):  # mean nats per sub-pixel
        z = self.forward(pixels)
        return F.cross_entropy(z.permute(0, 1, 3, 4, 2).reshape(-1, 256),
                               pixels.permute(0, 3, 1, 2).reshape(-1).long())

    def save_weights_dir(self, d, cfg):
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.txt"), "w") as f:
            f.write("".join(f"{k}={v}\n" for k, v in cfg.items()))
        for i, (name, *_r) in enumerate(self.spec):
            np.save(os.path.join(d, name + ".kernel.npy"),
                    (self.w[i] * self.masks[i]).detach().permute(2, 3, 1, 0).contiguous().numpy())
            np.save(os.path.join(d, name + ".bias.npy"), self.b[i].detach().numpy())


def timed(fn, reps):
    fn()  # warm-up
    t = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return statistics.median(t)


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r.stdout


def torch_only(preset, reps, naive_steps):
    """Times PyTorch alone (run in a child process, so that its peak RSS is this preset's)."""
    import resource
    torch.set_num_threads(2)
    B, Hh, Ww, C = 16, 32, 32, 3
    images = torch.from_numpy(np.random.default_rng(7).integers(0, 256, (B, Hh, Ww, C), dtype=np.uint8))
    torch.zeros(1) + 1  # load the kernels before the baseline
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    model = PixelCNN(*PRESETS[preset], C)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)

    def step():
        opt.zero_grad(set_to_none=True)
        model.loss(images).backward()
        opt.step()

    def fwd():
        with torch.no_grad():
            model.forward(images)

    t_step = timed(step, reps)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # the training steps' peak
    t_fwd = timed(fwd, reps)
    t_naive = timed(lambda: [fwd() for _ in range(naive_steps)], 1) / naive_steps * Hh * Ww * C
    print(json.dumps(dict(train=B / t_step, eval=B / t_fwd, naive=B / t_naive, rss=rss, rss_base=base)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "build", "pcnn-cl"))
    ap.add_argument("--presets", default="small,paper")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate pcnn-cl and PyTorch this many times; the table gives the medians")
    ap.add_argument("--naive-steps", type=int, default=2)
    ap.add_argument("--torch-only", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.torch_only:
        return torch_only(a.torch_only, a.reps, a.naive_steps)
    torch.set_num_threads(2)
    bench_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    B, Hh, Ww, C = 16, 32, 32, 3
    images = torch.from_numpy(np.random.default_rng(7).integers(0, 256, (B, Hh, Ww, C), dtype=np.uint8))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; batch {B}, {Hh}x{Ww}x{C}; "
          f"{a.rounds} round(s), each pcnn-cl then PyTorch")
    rows, mem = [], []
    for preset in a.presets.split(","):
        hidden, out, layers = PRESETS[preset]
        model = PixelCNN(hidden, out, layers, C)
        ours, theirs = {k: [] for k in ("train", "eval", "naive")}, {k: [] for k in ("train", "eval", "naive")}
        ratios = {k: [] for k in ("train", "eval", "naive")}
        with tempfile.TemporaryDirectory() as tmp:
            cfg = dict(hidden_dim=hidden, out_dim=out, n_layers=layers, channels=C, height=Hh, width=Ww)
            model.save_weights_dir(os.path.join(tmp, "w"), cfg)
            np.save(os.path.join(tmp, "images.npy"), images.numpy())
            run([a.bin, "--device", "0", "import", "--from", os.path.join(tmp, "w"), "--out", os.path.join(tmp, "m.pcnn")])
            ev = run([a.bin, "--device", "0", "eval", "--checkpoint", os.path.join(tmp, "m.pcnn"),
                      "--data", "npy:" + os.path.join(tmp, "images.npy"), "--batch", str(B)])
            bpd = float([l for l in ev.splitlines() if l.startswith("bits_per_dim=")][-1].split("=")[1])
            with torch.no_grad():
                ref = model.loss(images).item() / math.log(2)
            ok = abs(bpd - ref) <= 1e-4
            print(f"{preset}: bits/dim pcnn-cl {bpd:.7f} PyTorch {ref:.7f} diff {abs(bpd - ref):.2e} "
                  f"{'OK' if ok else 'MISMATCH'}")
            if not ok:
                sys.exit(1)
            js = os.path.join(tmp, "bench.json")
            for rnd in range(a.rounds):
                run([a.bin, "bench", "--devices", "0", "--preset", preset, "--reps", str(a.reps), "--naive-steps",
                     str(a.naive_steps), "--peak-size", "512", "--json", js], env=bench_env)
                d = json.load(open(js))["devices"][0]
                pt = json.loads(run([sys.executable, __file__, "--torch-only", preset, "--reps", str(a.reps),
                                     "--naive-steps", str(a.naive_steps)]))
                pc = dict(train=d["train_images_per_s"]["median"], eval=d["eval_images_per_s"]["median"],
                          naive=d["sampling"]["naive_images_per_s_extrapolated"] or float("nan"))
                for k in ratios:
                    ours[k].append(pc[k])
                    theirs[k].append(pt[k])
                    ratios[k].append(pc[k] / pt[k])
                print(f"  round {rnd + 1}: " + ", ".join(f"{k} {pc[k]:.4g} vs {pt[k]:.4g} img/s ({pc[k] / pt[k]:.2f}x)"
                                                          for k in ratios))
        for k in ("train", "eval", "naive"):
            rows.append((preset, k, statistics.median(ours[k]), statistics.median(theirs[k]),
                         statistics.median(ratios[k]), min(ratios[k]), max(ratios[k])))
        m = d["memory"]
        mem.append((preset, m["analytic_bytes"], m["device_bytes_peak"], m["host_rss_peak_bytes"] - m["host_rss_base_bytes"],
                    pt["rss"] - pt["rss_base"]))
    print(f"\n| preset | workload (images/s) | pcnn-cl device 0 | PyTorch | ratio pcnn-cl / PyTorch (median; min..max) |")
    print("|---|---|---|---|---|")
    for p, k, x, y, r, lo, hi in rows:
        print(f"| {p} | {k} | {x:.4g} | {y:.4g} | {r:.2f} ({lo:.2f}..{hi:.2f}) |")
    mib = 1 / 1048576
    print("\n| preset | analytic need, MiB | pcnn-cl device bytes peak | pcnn-cl host RSS added by training | "
          "PyTorch RSS added by training |")
    print("|---|---|---|---|---|")
    for p, need, dev, rss, prss in mem:
        print(f"| {p} | {need * mib:.1f} | {dev * mib:.1f} ({dev / need:.2f}x) | {rss * mib:.1f} ({rss / need:.2f}x) | "
              f"{prss * mib:.1f} ({prss / need:.2f}x) |")


if __name__ == "__main__":
    main()
