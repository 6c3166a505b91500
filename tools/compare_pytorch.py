#!/usr/bin/env python3
"""pcnn-cl against the strongest PyTorch we know, measured honestly: quiet machine, alternating rounds.

    python3 tools/compare_pytorch.py [--bin build/pcnn-cl] [--anchors ../shared/anchors]
        [--python /tmp/vt/bin/python] [--rounds 3] [--workloads small32,small28,paper]
        [--no-contention] [--e2e] [--force]

The PyTorch side is the anchors themselves (../shared/anchors, read-only, run as they are, never copied):
bench_torch.py (the fastest eager formulation found: NHWC in, conv2d on permuted views, 2 threads),
bench_ort.py (the same forward pass in ONNX Runtime, when `onnxruntime` imports: the eval anchor is the
faster of the two) and fmnist_ref.py (the default job end to end). They run under the --python
interpreter (a venv with numpy and torch) with tcmalloc preloaded when it is installed, as PyTorch's CPU
tuning guide advises. pcnn-cl runs as `pcnn-cl bench --devices 0 --json` with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset (that command alone).

A round runs every workload once, each program after the other (pcnn-cl, PyTorch, ONNX Runtime), then
the contention pair: small 32x32x3 training with one `yes > /dev/null` competing, both programs, against
the same round's quiet figures. Before a round the script waits (up to --settle seconds) for the 1-minute
load average to fall to --max-load; it prints `uptime` before and after each round and measures, from
/proc/stat, the CPU that processes other than its own children used during the round. A round whose
load average before it, or whose foreign CPU during it, is above --max-load (0.5) does not count: no
ratio is reported from it unless --force, and then the output says so. (The load average after a round
includes the round's own two busy cores; the foreign CPU is the measure of who else was there.)

Ratios (median and min..max over the rounds that count), with the goals of issue 16:
- train images/s, pcnn-cl / PyTorch, and eval images/s, pcnn-cl / max(PyTorch, ONNX Runtime): >= 1.5
- paper: live GFLOP/s of training / the sgemm peak (bench's figures): >= 0.6
- training under contention / quiet (each program against itself): >= 0.6
- fast sampler / naive sampler (bench's definition, small 32x32x3, 16 images): >= 1000, and fast
  sampler / eval forward images/s: >= 0.5
- --e2e: `pcnn-cl train --data fashion-mnist --preset small --steps 10000` against fmnist_ref.py 10000,
  both evaluating the full test split every --e2e-eval-every steps (the same schedule; 10000 = once, at
  the end, as fmnist_ref.py alone does); whole-process wall-clock, anchor / pcnn-cl >= 1.5, and the
  final test bits/dim <= 3.09. --e2e-csv FILE writes both curves (seconds since training began, test
  bits/dim) for docs/RESULTS.md.
"""
import argparse
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

TCMALLOC = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKLOADS = {  # name: (preset, height/width, colours, bench reps)
    "small32": ("small", 32, 3, 5),
    "small28": ("small", 28, 1, 9),
    "paper": ("paper", 32, 3, 3),
}
GOALS = {"train": 1.5, "eval": 1.5, "live_peak": 0.6, "contention": 0.6, "fast_naive": 1000.0, "fast_eval": 0.5,
         "e2e": 1.5}


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def busy_seconds():
    """Seconds of CPU the whole machine has spent busy (all cores), from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_seconds():
    r = os.times()
    return r.children_user + r.children_system


def run(cmd, env=None, timeout=3600):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if r.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    return r.stdout


def last_json(text):
    return json.loads([l for l in text.splitlines() if l.startswith("{")][-1])


class Sides:
    def __init__(self, a):
        self.a = a
        self.bench_env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        self.torch_env = dict(os.environ, TORCH_THREADS="2")
        if os.path.exists(TCMALLOC):
            self.torch_env["LD_PRELOAD"] = TCMALLOC
        probe = subprocess.run([a.python, "-c", "import onnxruntime"], capture_output=True, env=self.torch_env)
        self.ort = probe.returncode == 0 and os.path.exists(os.path.join(a.anchors, "bench_ort.py"))

    def pcnn_bench(self, w, naive=True):
        preset, hw, c, reps = WORKLOADS[w]
        with tempfile.TemporaryDirectory() as tmp:
            js = os.path.join(tmp, "b.json")
            run([self.a.bin, "bench", "--devices", "0", "--preset", preset, "--height", str(hw), "--width", str(hw),
                 "--colours", str(c), "--reps", str(reps), "--naive-steps", "3" if naive else "0", "--peak-size",
                 "2048" if preset == "paper" else "1024", "--json", js], env=self.bench_env)
            d = json.load(open(js))["devices"][0]
        s = d["sampling"]
        return dict(train=d["train_images_per_s"]["median"], eval=d["eval_images_per_s"]["median"],
                    fast=(s.get("fast_images_per_s") or {}).get("median"),
                    naive=s.get("naive_images_per_s_extrapolated"), live=d["train_live_gflops"],
                    peak=d["gemm"]["peak_sgemm_gflops"])

    def torch_bench(self, w):
        preset, hw, c, reps = WORKLOADS[w]
        d = last_json(run([self.a.python, os.path.join(self.a.anchors, "bench_torch.py"), preset, "16", str(reps),
                           str(hw), str(c)], env=self.torch_env))
        return dict(train=d["train_img_s"], eval=d["forward_img_s"])

    def ort_bench(self, w):
        preset, hw, c, reps = WORKLOADS[w]
        d = last_json(run([self.a.python, os.path.join(self.a.anchors, "bench_ort.py"), preset, "16",
                           str(max(reps, 5)), str(hw), str(c)], env=self.torch_env))
        return d["forward_img_s"]


def with_yes(fn):
    """fn() while one `yes > /dev/null` competes for the cores."""
    yes = subprocess.Popen(["yes"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        return fn()
    finally:
        yes.send_signal(signal.SIGTERM)
        yes.wait()


def settle(a):
    t0 = time.time()
    while load_average()[0] > a.max_load and time.time() - t0 < a.settle:
        time.sleep(5)
    return load_average()


def summary(values):
    return statistics.median(values), min(values), max(values)


def round_gate(a, before, foreign, label):
    ok = before[0] <= a.max_load and foreign <= a.max_load
    why = "" if ok else (f" -- load average {before[0]:.2f} before / other processes' CPU {foreign:.2f} cores "
                         f"during: above {a.max_load}, {'counted anyway (--force)' if a.force else 'not counted'}")
    print(f"{label}: load average before {before[0]:.2f}, other processes used {foreign:.2f} cores during{why}",
          flush=True)
    return ok or a.force


def speed_rounds(a, s):
    ws = a.workloads.split(",")
    keys = []
    for w in ws:
        keys += [(w, "train"), (w, "eval")]
        if WORKLOADS[w][0] == "paper":
            keys.append((w, "live_peak"))
    if "small32" in ws:
        keys += [("small32", "fast_naive"), ("small32", "fast_eval")]
    if a.contention:
        keys += [("small32", "contention"), ("small32", "contention_torch")]
    ratios = {k: [] for k in keys}
    figures = {k: [] for k in keys}
    counted = 0
    for rnd in range(1, a.rounds + 1):
        before = settle(a)
        print(f"\nround {rnd}: before: {uptime()}", flush=True)
        busy0, own0, t0 = busy_seconds(), children_seconds(), time.time()
        got = {}
        quiet = {}
        for w in ws:
            pc = s.pcnn_bench(w, naive=(w == "small32"))
            pt = s.torch_bench(w)
            ort = s.ort_bench(w) if s.ort else None
            best_eval = max(pt["eval"], ort or 0)
            line = (f"  {w}: train {pc['train']:.4g} vs {pt['train']:.4g} img/s; eval {pc['eval']:.4g} vs PyTorch "
                    f"{pt['eval']:.4g}" + (f", ONNX Runtime {ort:.4g}" if ort else ""))
            got[(w, "train")] = (pc["train"] / pt["train"], f"{pc['train']:.4g} vs {pt['train']:.4g}")
            got[(w, "eval")] = (pc["eval"] / best_eval, f"{pc['eval']:.4g} vs {best_eval:.4g}")
            if (w, "live_peak") in ratios:
                got[(w, "live_peak")] = (pc["live"] / pc["peak"], f"{pc['live']:.4g} of {pc['peak']:.4g} GFLOP/s")
                line += f"; live {pc['live']:.4g} of peak {pc['peak']:.4g} GFLOP/s"
            if w == "small32" and pc["fast"] and pc["naive"]:
                got[(w, "fast_naive")] = (pc["fast"] / pc["naive"], f"{pc['fast']:.4g} vs {pc['naive']:.4g}")
                got[(w, "fast_eval")] = (pc["fast"] / pc["eval"], f"{pc['fast']:.4g} vs {pc['eval']:.4g}")
                line += f"; fast sampler {pc['fast']:.4g}, naive {pc['naive']:.3g} img/s"
            quiet[w] = (pc, pt)
            print(line, flush=True)
        if a.contention and "small32" in quiet:
            pc_c = with_yes(lambda: s.pcnn_bench("small32", naive=False))
            pt_c = with_yes(lambda: s.torch_bench("small32"))
            pc_q, pt_q = quiet["small32"]
            got[("small32", "contention")] = (pc_c["train"] / pc_q["train"], f"{pc_c['train']:.4g} vs {pc_q['train']:.4g}")
            got[("small32", "contention_torch")] = (pt_c["train"] / pt_q["train"],
                                                    f"{pt_c['train']:.4g} vs {pt_q['train']:.4g}")
            print(f"  small32 train with `yes` competing: pcnn-cl {pc_c['train']:.4g} img/s "
                  f"({pc_c['train'] / pc_q['train']:.2f} of quiet), PyTorch {pt_c['train']:.4g} "
                  f"({pt_c['train'] / pt_q['train']:.2f} of quiet)", flush=True)
        wall = time.time() - t0
        foreign = max(0.0, (busy_seconds() - busy0) - (children_seconds() - own0)) / wall
        print(f"round {rnd}: after: {uptime()}", flush=True)
        if round_gate(a, before, foreign, f"round {rnd}"):
            counted += 1
            for k, (r, fig) in got.items():
                ratios[k].append(r)
                figures[k].append(fig)
    return ratios, figures, counted


def fmnist_child(a):
    """Runs the anchor's fmnist_ref.py unchanged, with its test split evaluated every --e2e-eval-every steps
    (the anchor evaluates only after its last step): prints one JSON line per evaluation."""
    sys.path.insert(0, a.anchors)
    import numpy as np
    import torch
    import fmnist_ref
    every, steps = a.e2e_eval_every, a.e2e_steps
    test = fmnist_ref.idx(fmnist_ref.D + "t10k-images-idx3-ubyte.gz")
    model = {}
    base_model, base_adam = fmnist_ref.PixelCNN, torch.optim.Adam

    class Captured(base_model):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            model["m"] = self

    class EvalAdam(base_adam):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            self.n, self.t0 = 0, time.time()

        def step(self, *args, **kw):
            r = super().step(*args, **kw)
            self.n += 1
            if self.n % every == 0 and self.n < steps:  # the anchor itself evaluates after the last step
                with torch.no_grad():
                    tot = 0.0
                    for i in range(0, len(test), 500):
                        b = torch.from_numpy(test[i:i + 500])
                        tot += fmnist_ref.loss_fn(model["m"](b), b).item() * len(b)
                print(json.dumps(dict(step=self.n, seconds=time.time() - self.t0,
                                      test_bpd=tot / len(test) / math.log(2))), flush=True)
            return r

    fmnist_ref.PixelCNN, torch.optim.Adam = Captured, EvalAdam
    sys.argv = ["fmnist_ref.py", str(steps)]
    fmnist_ref.main()


def e2e(a, s):
    curves = {}
    rows = []
    for rnd in range(1, a.e2e_rounds + 1):
        before = settle(a)
        print(f"\nend to end, round {rnd}: before: {uptime()}", flush=True)
        busy0, own0, t0 = busy_seconds(), children_seconds(), time.time()
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = os.path.join(tmp, "run")
            cmd = [a.bin, "--device", "0", "train", "--data", "fashion-mnist", "--preset", "small", "--steps",
                   str(a.e2e_steps), "--eval-every", str(a.e2e_eval_every), "--sample-every", "0", "--ckpt-every", "0",
                   "--run-dir", run_dir]
            t = time.time()
            run(cmd, env=s.bench_env, timeout=7200)
            pc_wall = time.time() - t
            pc_curve = []
            with open(os.path.join(run_dir, "log.csv")) as f:
                head = f.readline().strip().split(",")
                for line in f:
                    v = dict(zip(head, line.strip().split(",")))
                    tb = v.get("test_bpd") or v.get("test_bits_per_dim") or ""
                    if tb and tb.lower() != "nan":
                        pc_curve.append((int(v["step"]), float(v["seconds"]), float(tb)))
        t = time.time()
        out = run([a.python, os.path.abspath(__file__), "--anchors", a.anchors, "--e2e-steps", str(a.e2e_steps),
                   "--e2e-eval-every", str(a.e2e_eval_every), "--fmnist-child"], env=s.torch_env, timeout=7200)
        pt_wall = time.time() - t
        pt_curve = []
        for line in out.splitlines():
            if line.startswith("{"):
                d = json.loads(line)
                if "step" in d:
                    pt_curve.append((d["step"], d["seconds"], d["test_bpd"]))
                else:
                    pt_curve.append((d["steps"], d["train_seconds"], d["test_bpd"]))
        wall = time.time() - t0
        foreign = max(0.0, (busy_seconds() - busy0) - (children_seconds() - own0)) / wall
        print(f"end to end, round {rnd}: after: {uptime()}", flush=True)
        pc_bpd, pt_bpd = pc_curve[-1][2], pt_curve[-1][2]
        print(f"  pcnn-cl: {pc_wall:.1f} s wall, test bits/dim {pc_bpd:.4f}; fmnist_ref.py: {pt_wall:.1f} s wall "
              f"(training {pt_curve[-1][1]:.1f} s), test bits/dim {pt_bpd:.4f}; ratio {pt_wall / pc_wall:.2f}",
              flush=True)
        if round_gate(a, before, foreign, f"end to end, round {rnd}"):
            rows.append((pt_wall / pc_wall, pc_wall, pt_wall, pc_bpd, pt_bpd))
        curves = {"pcnn-cl": pc_curve, "PyTorch fmnist_ref.py": pt_curve}
    if a.e2e_csv and curves:
        with open(a.e2e_csv, "w") as f:
            f.write("program,step,seconds,test_bpd\n")
            for name, c in curves.items():
                for step, sec, bpd in c:
                    f.write(f"{name},{step},{sec:.2f},{bpd:.5f}\n")
        print(f"wrote {a.e2e_csv}")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "pcnn-cl"))
    ap.add_argument("--anchors", default=os.path.join(os.path.dirname(ROOT), "shared", "anchors"),
                    help="the PyTorch anchors (default: ../shared/anchors beside the checkout)")
    ap.add_argument("--python", default=sys.executable, help="the interpreter with numpy and torch")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workloads", default="small32,small28,paper")
    ap.add_argument("--no-contention", dest="contention", action="store_false")
    ap.add_argument("--e2e", action="store_true", help="also the Fashion-MNIST run end to end")
    ap.add_argument("--e2e-only", action="store_true", help="only the Fashion-MNIST run")
    ap.add_argument("--e2e-rounds", type=int, default=1)
    ap.add_argument("--e2e-steps", type=int, default=10000)
    ap.add_argument("--e2e-eval-every", type=int, default=10000)
    ap.add_argument("--e2e-csv", help="write both test bits/dim curves here")
    ap.add_argument("--max-load", type=float, default=0.5)
    ap.add_argument("--settle", type=float, default=240, help="seconds to wait for a quiet machine before a round")
    ap.add_argument("--force", action="store_true", help="report ratios from rounds on a loaded machine (says so)")
    ap.add_argument("--fmnist-child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    a.anchors = os.path.abspath(a.anchors)
    if a.fmnist_child:
        return fmnist_child(a)
    if not os.path.exists(os.path.join(a.anchors, "bench_torch.py")):
        sys.exit(f"no anchors at {a.anchors} (bench_torch.py): pass --anchors DIR")
    s = Sides(a)
    print(f"pcnn-cl {a.bin}; anchors {a.anchors} under {a.python}"
          f"{' with tcmalloc' if 'LD_PRELOAD' in s.torch_env else ' (no tcmalloc)'}; ONNX Runtime "
          f"{'yes' if s.ort else 'not installed (eval anchor = PyTorch alone)'}; batch 16; counted rounds need "
          f"load average <= {a.max_load} before and other processes' CPU <= {a.max_load} cores during"
          f"{'; --force: loaded rounds counted too' if a.force else ''}")
    table = []
    if not a.e2e_only:
        ratios, figures, counted = speed_rounds(a, s)
        for (w, k), v in ratios.items():
            goal = GOALS.get(k)
            if not v:
                table.append((w, k, "not reported: no round counted (machine not quiet; --force to report)", "", ""))
                continue
            med, lo, hi = summary(v)
            fmt = ".0f" if k == "fast_naive" else ".2f"
            met = "" if goal is None else ("met" if med >= goal else "NOT met")
            table.append((w, k, f"{med:{fmt}} ({lo:{fmt}}..{hi:{fmt}})", "; ".join(figures[(w, k)]),
                          f">= {goal:g}: {met}" if goal else "(reference)"))
        print(f"\n{counted} of {a.rounds} rounds counted{' (--force: load ignored)' if a.force else ''}")
    if a.e2e or a.e2e_only:
        rows = e2e(a, s)
        if rows:
            med, lo, hi = summary([r[0] for r in rows])
            ok = med >= GOALS["e2e"] and all(r[3] <= 3.09 for r in rows)
            table.append(("fashion-mnist 10k", "e2e anchor/pcnn-cl wall", f"{med:.2f} ({lo:.2f}..{hi:.2f})",
                          "; ".join(f"{r[1]:.0f} s vs {r[2]:.0f} s, bpd {r[3]:.4f} vs {r[4]:.4f}" for r in rows),
                          f">= 1.5 and bpd <= 3.09: {'met' if ok else 'NOT met'}"))
        else:
            table.append(("fashion-mnist 10k", "e2e", "not reported: machine not quiet (--force to report)", "", ""))
    print("\n| workload | ratio | median (min..max) | figures per round | goal |")
    print("|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    if a.force:
        print("\nFORCED: rounds on a machine whose load average or foreign CPU was above "
              f"{a.max_load} were counted; these are not quiet-machine figures.")


if __name__ == "__main__":
    main()
