#!/usr/bin/env bash
# pcnn-cl bench and tune from the command line, with no timing assertions
# (speed lives in the numbers bench prints): bench on device 0, tiny preset,
# one rep, small images, writes a JSON report with the required fields and a
# well-formed SVG; tune refuses device 0 with exit 2 and one line; bad flags
# exit 2.
set -euo pipefail
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" bench --devices 0 --preset tiny --reps 1 --height 8 --width 8 --sample-n 2 --naive-steps 1 \
  --peak-size 64 --json "$tmp/b.json" --svg "$tmp/b.svg" >"$tmp/out.txt"
grep -q "^train step, images/s" "$tmp/out.txt" || { echo "no table"; cat "$tmp/out.txt"; exit 1; }
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
assert (s["preset"], s["reps"], s["height"], s["width"]) == ("tiny", 1, 8, 8), s
assert len(r["devices"]) == 1
d = r["devices"][0]
assert d["index"] == 0 and d["backend"] == "cpu", d
for k in ("train_images_per_s", "eval_images_per_s"):
    assert d[k]["n"] == 1 and d[k]["median"] > 0 and d[k]["min"] <= d[k]["median"] <= d[k]["max"], (k, d[k])
smp = d["sampling"]
assert smp["supported"] is True and smp["fast_images_per_s"]["median"] > 0, smp
assert smp["naive_images_per_s_extrapolated"] > 0, smp
g = d["gemm"]
assert len(g["model_shapes"]) > 0 and g["peak_sgemm_gflops"] > 0 and g["model_step_gflops"] > 0, g
for sh in g["model_shapes"]:
    assert sh["op"] in ("NN", "TN", "NT") and sh["m"] > 0 and sh["n"] > 0 and sh["k"] > 0 and sh["count"] >= 1, sh
assert d["train_live_gflops"] > 0 and d["train_fraction_of_peak"] > 0, d
assert d["live_macs_per_step"] > 0
assert d["compile"] is None  # device 0 compiles nothing
m = d["memory"]
assert m["host_rss_peak_bytes"] > 0 and m["device_bytes_peak"] > 0 and m["analytic_bytes"] > 0, m
root = ET.parse(sys.argv[2]).getroot()
assert root.tag == "{http://www.w3.org/2000/svg}svg", root.tag
assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) >= 7
print("json and svg ok")
PY
source "$(cd "$(dirname "$0")" && pwd)/expect_fail.sh"
expect_fail 2 "$bin" tune --device 0
expect_fail 2 "$bin" tune
expect_fail 2 "$bin" tune --device 1 --preset huge
expect_fail 2 "$bin" bench --devices 0,99
expect_fail 2 "$bin" bench --preset huge
expect_fail 2 "$bin" bench --reps 0
echo "1 passed, 0 failed"
