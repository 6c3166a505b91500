#!/usr/bin/env bash
# Devices end to end: `pcnn-cl devices` lists the CPU backend with the
# machine's cores and memory, every name in full, the same as --json (and says
# why there is no OpenCL device when there is none); `--device 1 eval` of every
# golden model case is within 1e-5 (relative) of the golden bits_per_dim and
# of device 0; PCNN_DEVICE (trimmed, a number never matched as a name) and a
# name substring select the same device; a bad --device is refused in one line.
#   cli_devices.sh BIN GOLDEN 0: the list and the refusals (and, without
#     OpenCL, that the list says why there is none);
#   cli_devices.sh BIN GOLDEN 1: device 1 against the golden cases; exit 77
#     (ctest: skipped) without OpenCL.
set -euo pipefail
bin=$1 golden=$2 device=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
list=$("$bin" devices)
echo "$list"
if [ "$device" = 0 ]; then
  grep -Eq '^0 +cpu ' <<<"$list" || { echo "device 0 (cpu) is not listed"; exit 1; }
  set +e; err=$("$bin" --device no-such-device-name eval --checkpoint x --data npy:x 2>&1 >/dev/null); rc=$?; set -e
  [ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || { echo "bad --device name: rc $rc: $err"; exit 1; }
  set +e; err=$("$bin" --device 99 eval --checkpoint x --data npy:x 2>&1 >/dev/null); rc=$?; set -e
  [ "$rc" = 2 ] && [ "$(wc -l <<<"$err")" = 1 ] || { echo "bad --device index: rc $rc: $err"; exit 1; }
  if ! grep -Eq '^1 +opencl ' <<<"$list"; then
    grep -q '^no OpenCL device: ' <<<"$list" || { echo "devices does not say why there is no OpenCL device"; exit 1; }
  fi
  # The CPU row: the machine's cores and memory; names in full (the CPU backend's is long), also as JSON.
  cores=$(getconf _NPROCESSORS_ONLN) mem_mib=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 }' /proc/meminfo)
  awk -v c="$cores" -v m="$mem_mib" '$1 == 0 && $2 == "cpu" { found = 1; ok = $4 == c && ($5 - m) ^ 2 <= 4 }
    END { exit !(found && ok) }' <<<"$list" || { echo "device 0 row lacks $cores cores or $mem_mib MiB"; exit 1; }
  "$bin" devices --json >"$tmp/d.json"
  python3 - "$tmp/d.json" "$list" <<'PY'
import json, sys
devs = json.load(open(sys.argv[1]))
assert devs[0]["index"] == 0 and devs[0]["backend"] == "cpu" and devs[0]["compute_units"] > 0, devs[0]
assert devs[0]["global_mem_bytes"] > 0, devs[0]
for d in devs:  # every name whole on its table row
    assert d["name"] and any(l.endswith("  " + d["name"]) for l in sys.argv[2].splitlines()), d["name"]
print("devices --json:", [d["name"] for d in devs])
PY
  echo "1 passed, 0 failed"
  exit 0
fi
if ! grep -Eq '^1 +opencl ' <<<"$list"; then
  echo "no OpenCL device: skipped"
  exit 77
fi
# Selection by name: "opencl" (the backend column) matches the first OpenCL device.
name=opencl
bpd() { sed -n 's/^bits_per_dim=//p' <<<"$1"; }
for case_dir in "$golden"/*/; do
  case=$(basename "$case_dir")
  "$bin" --device 0 import --from "$case_dir" --out "$tmp/$case.pcnn" >/dev/null
  args=(eval --checkpoint "$tmp/$case.pcnn" --data "npy:$case_dir/images.npy" --batch 2)
  cpu=$(bpd "$("$bin" --device 0 "${args[@]}")")
  out=$("$bin" --device 1 "${args[@]}")
  grep -q '^images=.*device=.*OpenCL' <<<"$out" || { echo "$case: device 1 is not the OpenCL device: $out"; exit 1; }
  cl=$(bpd "$out")
  env_cl=$(bpd "$(PCNN_DEVICE=1 "$bin" "${args[@]}")")
  # A number is an index, spaces and all: "1 " is device 1, never a device
  # whose name holds "1" (device 0's OpenBLAS build string does).
  spaced=$(PCNN_DEVICE="1 " "$bin" "${args[@]}")
  grep -q '^images=.*device=.*OpenCL' <<<"$spaced" || { echo "$case: PCNN_DEVICE='1 ' is not device 1: $spaced"; exit 1; }
  spaced0=$(PCNN_DEVICE=" 0" "$bin" "${args[@]}")
  grep -q '^images=.*device=native CPU' <<<"$spaced0" || { echo "$case: PCNN_DEVICE=' 0' is not device 0: $spaced0"; exit 1; }
  name_cl=$(bpd "$("$bin" --device "$name" "${args[@]}")")
  want=$(sed -n 's/^bits_per_dim=//p' "$case_dir/loss.txt")
  awk -v c="$cl" -v d="$cpu" -v w="$want" -v n="$case" 'BEGIN {
      rg = (c - w) / w; if (rg < 0) rg = -rg; rd = (c - d) / d; if (rd < 0) rd = -rd;
      printf "%s: device 1 bits_per_dim %s, golden %s (relative %.3g), device 0 %s (relative %.3g)\n", n, c, w, rg, d, rd;
      exit !(rg <= 1e-5 && rd <= 1e-5) }'
  [ "$env_cl" = "$cl" ] || { echo "$case: PCNN_DEVICE=1 gave $env_cl, --device 1 gave $cl"; exit 1; }
  [ "$name_cl" = "$cl" ] || { echo "$case: --device $name gave $name_cl, --device 1 gave $cl"; exit 1; }
done
echo "1 passed, 0 failed"
