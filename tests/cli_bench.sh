#!/usr/bin/env bash
# pcnn-cl bench and tune from the command line, with no timing assertions
# (speed lives in the numbers bench prints): bench on device 0, tiny preset,
# two reps, small images, prints its table first and alone on stdout (the
# GEMM lines only with --verbose, "wrote" lines on stderr), writes a JSON
# report with the required fields (the sgemm peak the best GEMM the device
# has, so a step's share of it is at most 100%) and a well-formed SVG with
# min..max whiskers; tune refuses device 0 with exit 2 and one line; bad
# flags exit 2.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" bench --devices 0 --preset tiny --reps 2 --height 8 --width 8 --sample-n 2 --naive-steps 1 \
  --peak-size 64 --json "$tmp/b.json" --svg "$tmp/b.svg" >"$tmp/out.txt" 2>"$tmp/err.txt"
cat "$tmp/out.txt"
grep -q "^train step, images/s" "$tmp/out.txt" || { echo "no table"; exit 1; }
[ "$(head -1 "$tmp/out.txt" | cut -d: -f1)" = machine ] || { echo "stdout does not start with the table"; exit 1; }
! grep -q "^gemm " "$tmp/out.txt" || { echo "GEMM lines without --verbose"; exit 1; }
! grep -q "^wrote\|note:" "$tmp/out.txt" || { echo "wrote/note lines on stdout"; exit 1; }
grep -q "wrote $tmp/b.json" "$tmp/err.txt" || { echo "no 'wrote' line on stderr"; cat "$tmp/err.txt"; exit 1; }
frac=$(awk '/^train, % of sgemm peak/ { print $NF }' "$tmp/out.txt")
awk -v f="$frac" 'BEGIN { exit !(f > 0 && f <= 100) }' || { echo "% of sgemm peak is $frac"; exit 1; }
"$bin" bench --devices 0 --preset tiny --reps 1 --height 8 --width 8 --sample-n 1 --naive-steps 0 \
  --peak-size 32 --verbose >"$tmp/verbose.txt" 2>/dev/null
grep -q "^gemm device=0 " "$tmp/verbose.txt" || { echo "--verbose printed no GEMM lines"; exit 1; }
python3 - "$tmp/b.json" "$tmp/b.svg" <<'PY'
import json, sys, xml.etree.ElementTree as ET
r = json.load(open(sys.argv[1]))
for k in ("machine", "versions", "date", "settings", "devices"):
    assert k in r, k
for k in ("cpu_model", "cores", "memory_bytes"):
    assert k in r["machine"], k
for k in ("pcnn_cl", "openblas", "clblast", "opencl"):
    assert k in r["versions"], k
s = r["settings"]
assert (s["preset"], s["reps"], s["height"], s["width"], s["colours"]) == ("tiny", 2, 8, 8, 1), s
assert len(r["devices"]) == 1
d = r["devices"][0]
assert d["index"] == 0 and d["backend"] == "cpu", d
for k in ("train_images_per_s", "eval_images_per_s"):
    assert d[k]["n"] == 2 and d[k]["median"] > 0 and d[k]["min"] <= d[k]["median"] <= d[k]["max"], (k, d[k])
smp = d["sampling"]
assert smp["supported"] is True and smp["fast_images_per_s"]["median"] > 0, smp
assert smp["naive_images_per_s_extrapolated"] > 0, smp
g = d["gemm"]
assert len(g["model_shapes"]) > 0 and g["peak_sgemm_gflops"] > 0 and g["model_step_gflops"] > 0, g
for sh in g["model_shapes"]:
    assert sh["op"] in ("NN", "TN", "NT") and sh["m"] > 0 and sh["n"] > 0 and sh["k"] > 0 and sh["count"] >= 1, sh
assert d["train_live_gflops"] > 0 and 0 < d["train_fraction_of_peak"] <= 1, d
# The peak is the best of the device's GEMMs: no model product beats it.
assert g["peak_sgemm_gflops"] >= max(sh["gflops"]["median"] for sh in g["model_shapes"]), g
assert g["peak_sgemm_gflops"] >= max(g["peak_plain_gemm_gflops"], g["peak_masked_gflops"]), g
assert g["peak_source"] in ("gemm", "masked", "model"), g
assert d["live_macs_per_step"] > 0
assert d["compile"] is None  # device 0 compiles nothing
m = d["memory"]
assert m["host_rss_peak_bytes"] > 0 and m["device_bytes_peak"] > 0 and m["analytic_bytes"] > 0, m
root = ET.parse(sys.argv[2]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) >= 7
whiskers = [e for e in root.iter("{http://www.w3.org/2000/svg}g") if e.get("class") == "whisker"]
assert len(whiskers) >= 2, len(whiskers)  # train and eval (fast sampling too), 2 reps each
for w in whiskers:
    assert len(w.findall("{http://www.w3.org/2000/svg}line")) == 3
print("json and svg ok")
PY
# On an OpenCL device (PoCL here) too, a training step's share of the peak is a share: the peak
# comes from the device's best GEMM (cl/gemm.cl's kernels), not untuned CLBlast alone.
if "$bin" devices | awk '$1 == 1' | grep -q opencl; then
  timeout -s KILL 300 "$bin" bench --devices 1 --no-compile --preset tiny --reps 1 --height 8 --width 8 \
    --sample-n 1 --naive-steps 0 --peak-size 128 --json "$tmp/cl.json" >/dev/null 2>&1
  python3 - "$tmp/cl.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["devices"][0]
g = d["gemm"]
assert 0 < d["train_fraction_of_peak"] <= 1, (d["train_fraction_of_peak"], g)
assert g["peak_masked_gflops"] > 0, g  # cl/gemm.cl's kernels were measured
print("device 1: %.1f%% of a %.1f GFLOP/s peak (%s)" % (100 * d["train_fraction_of_peak"], g["peak_sgemm_gflops"], g["peak_source"]))
PY
fi
source "$(cd "$(dirname "$0")" && pwd)/expect_fail.sh"
expect_fail 2 "$bin" tune --device 0
expect_fail 2 "$bin" tune
expect_fail 2 "$bin" tune --device 1 --preset huge
expect_fail 2 "$bin" bench --devices 0,99
expect_fail 2 "$bin" bench --preset huge
expect_fail 2 "$bin" bench --reps 0
echo "1 passed, 0 failed"
