#!/usr/bin/env bash
# Tests that say what they skipped (docs/RELIABILITY.md): every test whose
# subject is absent exits 77, which ctest reports as skipped, never as passed.
# Runs each registered test labelled "opencl" with the OpenCL drivers hidden
# (OCL_ICD_VENDORS pointing at an empty directory) and each labelled
# "fashion-mnist" with the dataset hidden (PCNN_FASHION_MNIST_DIR), and checks
# that it exits 77 and says "skipped". The tests the issue found passing
# without their subject must be among them, and every NAME_cl test must carry
# the label. (The device-0 halves run, and must pass, in the suite itself.)
#   test_skips.sh BUILD_DIR
set -euo pipefail
build=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/no-icd" "$tmp/no-dataset"
(cd "$build" && ctest --show-only=json-v1) >"$tmp/tests.json"
python3 - "$tmp/tests.json" "$tmp" <<'EOF'
import json, os, subprocess, sys

tests = json.load(open(sys.argv[1]))["tests"]
tmp = sys.argv[2]
hide = {"opencl": {"OCL_ICD_VENDORS": os.path.join(tmp, "no-icd")},
        "fashion-mnist": {"PCNN_FASHION_MNIST_DIR": os.path.join(tmp, "no-dataset")}}
required = {"test_conv_golden_cl", "test_model_golden_cl", "test_cl_program_device", "test_data_fashion_mnist",
            "cli_resume_devices_cl", "test_nonfinite_cl", "test_optim_golden_cl", "test_ckpt_cl"}
failures, checked = [], set()
for t in tests:
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    labels = props.get("LABELS", [])
    name = t["name"]
    if name.endswith("_cl") and "opencl" not in labels:
        failures.append(f"{name}: an OpenCL test without the label opencl")
    for label, env_hidden in hide.items():
        if label not in labels:
            continue
        env = dict(os.environ)
        for kv in props.get("ENVIRONMENT", []):
            k, _, v = kv.partition("=")
            env[k] = v
        env.update(env_hidden)
        if str(props.get("SKIP_RETURN_CODE")) != "77":
            failures.append(f"{name}: SKIP_RETURN_CODE is {props.get('SKIP_RETURN_CODE')}, not 77")
        r = subprocess.run(t["command"], env=env, cwd=tmp, capture_output=True, text=True, timeout=600)
        said = (r.stdout + r.stderr).strip().splitlines()
        last = said[-1] if said else ""
        if r.returncode != 77 or "skipped" not in (r.stdout + r.stderr):
            failures.append(f"{name} without its {label}: exit {r.returncode} (expected 77, saying skipped): {last}")
        else:
            print(f"{name:28s} without its {label}: skipped (77): {[l for l in said if 'skipped' in l][0].strip()}")
        checked.add(name)
for name in sorted(required - checked):
    failures.append(f"{name}: not registered as a test of its subject")
for f in failures:
    print("FAIL", f)
print(f"{len(checked)} tests checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
EOF
echo "1 passed, 0 failed"
