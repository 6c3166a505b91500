#!/usr/bin/env bash
# The one-shot GPU check (issue 17, docs/BENCHMARKS.md): made here, run on a
# machine with a GPU and nothing installed, as one command under a time limit.
#
#   tools/gpu_check.sh --pack DIR [--build-dir B]
#       Builds pcnn-cl and the test programs with -DPCNN_NATIVE=OFF -DPCNN_MPI=OFF
#       into build-gpu/build (or takes them from an existing build B), and
#       makes a bundle in DIR: bin/ (stripped), lib/ (the shared libraries a
#       bare machine may lack, found with ldd; large ones gzipped), tests/
#       (the scripts and data the GPU tests read), tests.list (the OpenCL
#       tests as plain commands: no ctest needed there), anchors/ (the
#       PyTorch anchor), this script and its report writer. Fails if the
#       bundle is not well under 48 MiB.
#   tools/gpu_check.sh [--bundle DIR] [--out DIR]
#       On the GPU machine: finds the vendor's OpenCL library, writes a
#       private ICD file for it (OCL_ICD_VENDORS), and runs each step under its
#       own time limit (all of them under 8 minutes): devices, the OpenCL tests
#       on the GPU, bench small / paper (--profile) / seed, tune, bench paper
#       again, the PyTorch-CUDA anchor with TF32=0 and 1. Writes report.json
#       and logs/ under --out (default $OUT, else ./gpu-check-out) and prints
#       a short table. Exit 0 when every step passed, 1 when one failed, 3 when
#       there is no OpenCL library for the GPU.
#   tools/gpu_check.sh --dry-run [--build-dir B] [--bundle DIR] [--out DIR]
#       Everything above on this machine against PoCL: packs (from B if given),
#       checks the size, searches for a GPU's OpenCL library (and says where it
#       looked), then runs every step with tiny sizes and short limits. Exit 77
#       without PoCL. ctest runs it as gpu_check_dry_run.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mode=run bundle="" out="" build_dir="" pack_dir="" tests_regex=""
while [ $# -gt 0 ]; do
  case $1 in
    --pack) mode=pack pack_dir=${2:?--pack needs a directory}; shift 2 ;;
    --dry-run) mode=dry; shift ;;
    --bundle) bundle=${2:?}; shift 2 ;;
    --out) out=${2:?}; shift 2 ;;
    --build-dir) build_dir=${2:?}; shift 2 ;;
    --tests) tests_regex=${2:?}; shift 2 ;;
    --run-tests) mode=run-tests; shift ;;
    -h | --help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

say() { echo "gpu_check: $*"; }
# Nanoseconds as seconds with one decimal (no bc on a bare machine).
tenths() { local d=$(($1 / 100000000)); echo "$((d / 10)).$((d % 10))"; }
die() { echo "gpu_check: $*" >&2; exit "${2:-1}"; }

# Size limit of the bundle (the device tool carries 64 MiB in all).
MAX_BUNDLE_BYTES=$((48 * 1024 * 1024))

# ---------------------------------------------------------------- packing
# Libraries every Linux machine has (glibc itself); everything else ldd finds
# is copied. The bundle's max GLIBC_ symbol version is recorded and checked
# against the machine's glibc before anything runs.
is_system_lib() {
  case $(basename "$1") in
    linux-vdso.so* | ld-linux*.so* | libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | \
      libresolv.so.* | libutil.so.*) return 0 ;;
  esac
  return 1
}

glibc_of() {
  local f=$1 probe=""
  if [[ $f == *.gz ]]; then
    probe=$(mktemp) && gzip -dc "$f" >"$probe" && f=$probe
  fi
  objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1
  [ -z "$probe" ] || rm -f "$probe"
}

# version_le A B: A <= B as versions.
version_le() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -1)" = "$1" ]; }

pack() {
  local dir=$1 repo bdir
  repo=$(cd "$here/.." && pwd)
  if [ -n "$build_dir" ]; then
    bdir=$(cd "$build_dir" && pwd) || die "no build directory $build_dir"
  else
    bdir=$repo/build-gpu/build
    say "building into $bdir (-DPCNN_NATIVE=OFF -DPCNN_MPI=OFF)"
    cmake -S "$repo" -B "$bdir" -DCMAKE_BUILD_TYPE=Release -DPCNN_NATIVE=OFF -DPCNN_MPI=OFF >/dev/null ||
      die "cmake configure failed"
    cmake --build "$bdir" -j "$(nproc)" >"$bdir/gpu_check_build.log" 2>&1 ||
      die "build failed: see $bdir/gpu_check_build.log"
  fi
  [ -x "$bdir/pcnn-cl" ] || die "$bdir/pcnn-cl not found"
  rm -rf "$dir" && mkdir -p "$dir"/{bin,lib,tests,anchors} || die "cannot create $dir"
  dir=$(cd "$dir" && pwd)

  cp "$bdir/pcnn-cl" "$dir/bin/"
  local f
  for f in "$bdir"/tests/test_*; do
    [ -f "$f" ] && [ -x "$f" ] && cp "$f" "$dir/bin/"
  done
  strip --strip-unneeded "$dir"/bin/* 2>/dev/null

  # Shared libraries: what ldd resolves for every program, glibc aside.
  local lib
  for f in "$dir"/bin/*; do
    ldd "$f" 2>/dev/null | awk '/=> \//{print $3}'
  done | sort -u | while read -r lib; do
    is_system_lib "$lib" || cp -L "$lib" "$dir/lib/"
  done
  [ -f "$dir/lib/libOpenCL.so.1" ] || die "pcnn-cl does not link libOpenCL.so.1: built without OpenCL?"
  # The largest (OpenBLAS's every-CPU kernels, ~36 MB) travel gzipped.
  for f in "$dir"/lib/*; do
    [ "$(stat -c %s "$f")" -gt $((4 * 1024 * 1024)) ] && gzip -9 "$f"
  done
  # The newest GLIBC_ symbol version each file needs (glibc_of): the
  # programs' is checked against the machine's glibc before anything runs;
  # a library needing more (Debian's libstdc++ wants 2.36) gives way to the
  # machine's own copy where it has one.
  local glibc
  glibc=$(for f in "$dir"/bin/*; do glibc_of "$f"; done | sort -V | tail -1)
  for f in "$dir"/lib/*; do
    echo "lib $(basename "${f%.gz}") $(glibc_of "$f")"
  done >"$dir/.libs"

  # The OpenCL tests as plain commands (the GPU machine may have no ctest):
  # name, environment, skip code, then the command, tab-separated, with the
  # build and source paths replaced by @BIN@ and @TESTS@.
  cp "$repo"/tests/*.sh "$dir/tests/"
  cp -r "$repo/tests/data" "$dir/tests/"
  (cd "$bdir" && ctest --show-only=json-v1) >"$dir/.tests.json" 2>/dev/null || die "ctest --show-only failed in $bdir"
  python3 - "$dir/.tests.json" "$bdir" "$repo/tests" >"$dir/tests.list" <<'PY' || die "cannot write tests.list"
import json, os, sys
tests, bdir, tdir = json.load(open(sys.argv[1]))["tests"], sys.argv[2], sys.argv[3]
def rewrite(w):
    for prefix, token in ((tdir, "@TESTS@"), (os.path.join(bdir, "tests"), "@BIN@"), (bdir, "@BIN@")):
        if w.startswith(prefix + "/"):
            return token + w[len(prefix):]
    return w
for t in tests:
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    if "opencl" not in props.get("LABELS", []) or t["name"].startswith(("cli_mpi", "gpu_check", "test_skips")):
        continue
    env = ";".join(props.get("ENVIRONMENT", []))
    cmd = [rewrite(w) for w in t["command"]]
    print("\t".join([t["name"], env or "-", str(props.get("SKIP_RETURN_CODE", 0))] + cmd))
PY
  rm -f "$dir/.tests.json"
  local anchors=${PCNN_ANCHORS_DIR:-$repo/../shared/anchors}
  [ -d "$anchors" ] || anchors=/work/shared/anchors
  cp "$anchors/bench_torch.py" "$anchors/pixelcnn_ref.py" "$dir/anchors/" 2>/dev/null ||
    say "warning: no PyTorch anchor found in $anchors: the anchor step will be skipped"
  cp "$here/gpu_check.sh" "$here/gpu_check_report.py" "$here/gpu_check_torch.py" "$dir/"
  {
    echo "commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "date $(date -u +%FT%TZ)"
    echo "build $bdir"
    echo "glibc_needed $glibc"
    echo "tests $(wc -l <"$dir/tests.list")"
    cat "$dir/.libs"
  } >"$dir/MANIFEST"
  rm -f "$dir/.libs"

  local bytes
  bytes=$(du -sb "$dir" | cut -f1)
  echo "bytes $bytes" >>"$dir/MANIFEST"
  say "bundle $dir: $((bytes / 1024)) KiB (limit $((MAX_BUNDLE_BYTES / 1024)) KiB), needs glibc >= $glibc," \
    "$(wc -l <"$dir/tests.list") tests, libs: $(cd "$dir/lib" && echo *)"
  [ "$bytes" -le "$MAX_BUNDLE_BYTES" ] || die "bundle is $bytes bytes, over the $MAX_BUNDLE_BYTES allowed"
}

if [ "$mode" = pack ]; then
  pack "$pack_dir"
  exit $?
fi

# ---------------------------------------------------------------- running
# The test runner (a sub-mode, so that one `timeout` bounds the whole list):
# every line of tests.list under its own limit; a result line per test.
if [ "$mode" = run-tests ]; then
  : "${GPU_CHECK_BUNDLE:?}" "${GPU_CHECK_LOGS:?}"
  per_test=${GPU_CHECK_TEST_LIMIT:-120}
  # The C tests read tests/data from where the bundle carries it (test_util.c).
  export PCNN_TEST_DATA_DIR=$GPU_CHECK_BUNDLE/tests/data
  while IFS=$'\t' read -r -a f; do
    name=${f[0]} env=${f[1]} skip=${f[2]}
    [ -n "$tests_regex" ] && ! [[ $name =~ $tests_regex ]] && continue
    cmd=()
    for w in "${f[@]:3}"; do
      w=${w//@BIN@/$GPU_CHECK_BUNDLE/bin}
      cmd+=("${w//@TESTS@/$GPU_CHECK_BUNDLE/tests}")
    done
    envs=()
    [ "$env" != - ] && IFS=';' read -r -a envs <<<"$env"
    # The _cl tests use the device's default route (CLBlast on a GPU, the same
    # as the _clblast ones): on a GPU force cl/gemm.cl's kernels instead, so
    # both routes are proven there.
    if [ "${GPU_CHECK_FORCE_KERNELS:-0}" = 1 ] && ! [[ " ${envs[*]-} " == *" PCNN_GEMM="* ]]; then
      envs+=("PCNN_GEMM=kernels")
    fi
    t0=$(date +%s%N)
    (cd "$GPU_CHECK_WORK" && env "${envs[@]}" timeout -k 5 "$per_test" "${cmd[@]}") \
      >"$GPU_CHECK_LOGS/test-$name.log" 2>&1
    rc=$?
    t1=$(date +%s%N)
    case $rc in
      0) st=pass ;; "$skip") st=skip ;; 124 | 137) st=timeout ;; *) st=fail ;;
    esac
    printf '%s\t%s\t%d\t%s\n' "$name" "$st" "$rc" "$(tenths $((t1 - t0)))"
  done <"$GPU_CHECK_BUNDLE/tests.list"
  exit 0
fi

dry=0
[ "$mode" = dry ] && dry=1
out=${out:-${OUT:-$PWD/gpu-check-out}}
mkdir -p "$out/logs" || die "cannot create $out"
out=$(cd "$out" && pwd)
# Nothing of an earlier run may pass for this one's.
rm -f "$out"/logs/*.log "$out"/*.json "$out"/*.tsv "$out"/*.jsonl "$out"/*.txt
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check-XXXXXX") || die "no temporary directory"
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
TOTAL_LIMIT=${GPU_CHECK_TOTAL_S:-470}
[ $dry = 1 ] && TOTAL_LIMIT=${GPU_CHECK_TOTAL_S:-800} # a shared CPU: generous, nothing is measured
: >"$out/steps.tsv"

# The dry run needs PoCL, found where the loader would look (the caller's
# OCL_ICD_VENDORS, else /etc/OpenCL/vendors): without it, skipped.
pocl_icd=""
if [ $dry = 1 ]; then
  vendors=${OCL_ICD_VENDORS:-/etc/OpenCL/vendors}
  if [ -d "$vendors" ]; then
    pocl_icd=$(cat "$vendors"/*.icd 2>/dev/null | grep pocl | head -1)
  elif [ -f "$vendors" ]; then
    pocl_icd=$(grep pocl "$vendors" | head -1)
  fi
  if [ -z "$pocl_icd" ]; then
    echo "gpu_check: skipped: no PoCL ICD in $vendors for the dry run"
    exit 77
  fi
fi

if [ $dry = 1 ] && [ -z "$bundle" ]; then
  bundle=$work/bundle
  pack "$bundle" >"$out/logs/pack.log" 2>&1 || { cat "$out/logs/pack.log" >&2; die "packing failed"; }
  cat "$out/logs/pack.log"
fi
if [ -z "$bundle" ]; then
  for b in "$here" "$here/../build-gpu/bundle"; do
    [ -f "$b/tests.list" ] && bundle=$b && break
  done
fi
[ -n "$bundle" ] && [ -f "$bundle/tests.list" ] || die "no bundle (make one with tools/gpu_check.sh --pack DIR, pass --bundle DIR)"
bundle=$(cd "$bundle" && pwd)
cp "$bundle/MANIFEST" "$out/manifest.txt"
bundle_bytes=$(du -sb "$bundle" | cut -f1)
say "bundle $bundle ($((bundle_bytes / 1024)) KiB)"
if [ "$bundle_bytes" -gt "$MAX_BUNDLE_BYTES" ]; then
  die "bundle is $bundle_bytes bytes, over the $MAX_BUNDLE_BYTES allowed"
fi

# glibc: the bundle needs at least what it was linked against.
need=$(awk '$1 == "glibc_needed" {print $2}' "$bundle/MANIFEST")
have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
if [ -n "$need" ] && [ -n "$have" ] && ! version_le "$need" "$have"; then
  die "this machine's glibc is $have, the bundle's programs need $need: pack on an older system" 1
fi

# The libraries, unpacked where the loader finds them first; one that needs a
# newer glibc than this machine's gives way to the machine's own copy.
mkdir -p "$work/lib" "$work/icd" "$work/cache" "$work/run"
while read -r kind name lib_need; do
  [ "$kind" = lib ] || continue
  if [ -n "$have" ] && [ -n "$lib_need" ] && ! version_le "$lib_need" "$have"; then
    if ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$name "; then
      say "$name: the bundle's needs glibc $lib_need (this machine: $have), using the machine's own"
      continue
    fi
    die "$name needs glibc $lib_need, this machine has $have and no $name of its own" 1
  fi
  if [ -f "$bundle/lib/$name.gz" ]; then
    gzip -dc "$bundle/lib/$name.gz" >"$work/lib/$name"
  else
    cp "$bundle/lib/$name" "$work/lib/"
  fi
done <"$bundle/MANIFEST"
export LD_LIBRARY_PATH=$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export XDG_CACHE_HOME=$work/cache OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
unset PCNN_GEMM PCNN_NO_TUNE PCNN_CL_DIR PCNN_CL_PROFILE PCNN_CL_GEMM_TILES
pcnn=$bundle/bin/pcnn-cl

# ---------------------------------------------------------------- the ICD
# NVIDIA's library under the driver folder or on the loader's path; the
# places looked at go into the report.
find_icd() {
  local looked=() found="" d
  local dirs=(/usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/local/nvidia /usr/lib/x86_64-linux-gnu /usr/lib64
    /usr/lib /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib)
  # GPU_CHECK_ICD_DIRS: more places first (a driver mounted elsewhere; the
  # script's own test points it at a stand-in).
  IFS=: read -r -a ldp <<<"${GPU_CHECK_ICD_DIRS:-}:${LD_LIBRARY_PATH#"$work/lib"}"
  for d in "${ldp[@]}" "${dirs[@]}"; do
    [ -n "$d" ] || continue
    looked+=("$d/libnvidia-opencl.so.1")
    if [ -z "$found" ] && [ -e "$d/libnvidia-opencl.so.1" ]; then found=$d/libnvidia-opencl.so.1; fi
  done
  if [ -z "$found" ] && [ -d /usr/local/nvidia ]; then
    looked+=("find /usr/local/nvidia -name 'libnvidia-opencl.so*'")
    found=$(find /usr/local/nvidia -maxdepth 4 -name 'libnvidia-opencl.so*' 2>/dev/null | sort | head -1)
  fi
  if [ -z "$found" ]; then
    looked+=("ldconfig -p | grep libnvidia-opencl")
    found=$(ldconfig -p 2>/dev/null | awk '/libnvidia-opencl\.so/{print $NF; exit}')
  fi
  for d in /etc/OpenCL/vendors/*.icd; do
    [ -e "$d" ] || continue
    looked+=("$d")
    if [ -z "$found" ] && grep -qi nvidia "$d"; then found=$(head -1 "$d"); fi
  done
  printf '%s\n' "${looked[@]}" >"$out/icd_looked.txt"
  echo "$found"
}

icd=$(find_icd)
icd_kind=nvidia
if [ -z "$icd" ]; then
  {
    echo "no NVIDIA OpenCL library (libnvidia-opencl.so.1); looked at:"
    sed 's/^/  /' "$out/icd_looked.txt"
    if [ -d /usr/local/nvidia ]; then
      echo "the driver folder /usr/local/nvidia holds:"
      find /usr/local/nvidia -maxdepth 3 \( -name '*.so*' -o -type d \) 2>/dev/null | sort | head -60 | sed 's/^/  /'
    else
      echo "there is no /usr/local/nvidia"
    fi
  } | tee "$out/logs/icd.log"
  if [ $dry = 0 ]; then
    printf 'icd\tfail\t3\t0\t0\n' >>"$out/steps.tsv"
    python3 "$bundle/gpu_check_report.py" "$out" none "" 0 || true
    die "stopping: no OpenCL library for the GPU (the next step: PoCL's CUDA driver, see docs/BENCHMARKS.md)" 3
  fi
  # The dry run points the private ICD at PoCL instead.
  icd=$pocl_icd icd_kind=pocl
  if [[ $icd != /* ]]; then
    for d in /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/lib64 /usr/lib /usr/local/lib ""; do
      [ -n "$d" ] && [ -e "$d/$icd" ] && icd=$d/$icd && break
    done
  fi
  [[ $icd == /* ]] || icd=""
  [ -n "$icd" ] || { echo "gpu_check: skipped: PoCL's library not found"; exit 77; }
fi
# The file behind the name (libnvidia-opencl.so.1 -> .so.<driver version>):
# some drivers find their own parts next to their real path.
icd=$(readlink -f "$icd" 2>/dev/null || echo "$icd")
echo "$icd" >"$work/icd/gpu_check.icd"
export OCL_ICD_VENDORS=$work/icd
say "OpenCL library ($icd_kind): $icd; private ICD $OCL_ICD_VENDORS"

# ---------------------------------------------------------------- steps
# step NAME LIMIT_S CMD...: runs CMD under min(LIMIT_S, what is left of the
# total) seconds, logs to logs/NAME.log, appends name, status, rc, seconds,
# limit to steps.tsv.
failed=0
step() {
  local name=$1 limit=$2
  shift 2
  local left=$((TOTAL_LIMIT - ($(date +%s) - start) - 5))
  [ "$limit" -gt "$left" ] && limit=$left
  if [ "$limit" -lt 5 ]; then
    printf '%s\tnot-run\t-1\t0\t0\n' "$name" >>"$out/steps.tsv"
    say "$name: not run (the total limit of ${TOTAL_LIMIT}s is spent)"
    failed=1
    return 1
  fi
  local t0 t1 rc st
  t0=$(date +%s%N)
  (cd "$work/run" && timeout -k 5 "$limit" "$@") >"$out/logs/$name.log" 2>&1
  rc=$?
  t1=$(date +%s%N)
  case $rc in 0) st=pass ;; 77) st=skip ;; 124 | 137) st=timeout ;; *) st=fail ;; esac
  [ "$st" = pass ] || [ "$st" = skip ] || failed=1
  local secs
  secs=$(tenths $((t1 - t0)))
  printf '%s\t%s\t%d\t%s\t%d\n' "$name" "$st" "$rc" "$secs" "$limit" >>"$out/steps.tsv"
  say "$(printf '%-18s %-7s %6s s (limit %d s)' "$name" "$st" "$secs" "$limit")"
  return $rc
}

gpu=1 # the private ICD holds one platform: device 1 is its first device
if [ $dry = 1 ]; then
  # Tiny shapes: every step runs, none measures anything.
  size=(--batch 2 --height 8 --width 8)
  bench_common=("${size[@]}" --reps 1 --naive-steps 0 --sample-n 2 --no-compile --peak-size 256)
  small_args=() paper_args=(--profile) seed_args=()
  tune_budget=${GPU_CHECK_TUNE_BUDGET:-4} tests_regex=${tests_regex:-^(test_conv_golden_cl|test_optim_golden_cl)$}
  lim_devices=30 lim_tests=150 lim_small=150 lim_paper=150 lim_seed=150 lim_tune=60 lim_paper2=150 lim_torch=120
  torch_device=cpu torch_args=(2 1 8 3)
  export GPU_CHECK_TEST_LIMIT=100
else
  size=()
  bench_common=(--no-compile)
  small_args=(--reps 5) paper_args=(--profile --reps 3 --naive-steps 1) seed_args=(--reps 1 --naive-steps 1)
  tune_budget=${GPU_CHECK_TUNE_BUDGET:-120}
  lim_devices=15 lim_tests=90 lim_small=40 lim_paper=55 lim_seed=45 lim_torch=45 lim_tune=130 lim_paper2=35
  torch_device=cuda torch_args=(16 5 32 3)
  export GPU_CHECK_TEST_LIMIT=60 GPU_CHECK_FORCE_KERNELS=1
fi
export PCNN_DEVICE=$gpu

step devices "$lim_devices" "$pcnn" devices
if ! grep -q "^$gpu " "$out/logs/devices.log"; then
  sed 's/^/  /' "$out/logs/devices.log"
  python3 "$bundle/gpu_check_report.py" "$out" "$icd_kind" "$icd" "$dry" || true
  die "stopping: the OpenCL library $icd loaded but gives no device (logs/devices.log)" 3
fi
if ! grep "^$gpu " "$out/logs/devices.log" | grep -qw GPU && [ $dry = 0 ]; then
  say "warning: device $gpu is not listed as a GPU (see logs/devices.log)"
fi
export GPU_CHECK_BUNDLE=$bundle GPU_CHECK_LOGS=$out/logs GPU_CHECK_WORK=$work/run
step tests "$lim_tests" bash "$bundle/gpu_check.sh" --run-tests ${tests_regex:+--tests "$tests_regex"}
cp "$out/logs/tests.log" "$out/tests.tsv"
awk -F'\t' '{n[$2]++} END {for (s in n) printf "%s %d  ", s, n[s]; print ""}' "$out/tests.tsv" | sed 's/^/gpu_check: tests: /'
awk -F'\t' '$2 == "fail" || $2 == "timeout" {bad = 1} END {exit !bad}' "$out/tests.tsv" && failed=1
step bench-small "$lim_small" "$pcnn" bench --devices all --preset small "${bench_common[@]}" "${small_args[@]}" \
  --json "$out/bench-small.json"
step bench-paper "$lim_paper" "$pcnn" bench --devices all --preset paper "${bench_common[@]}" "${paper_args[@]}" \
  --json "$out/bench-paper.json"
step bench-seed "$lim_seed" "$pcnn" bench --devices all --preset seed "${bench_common[@]}" "${seed_args[@]}" \
  --json "$out/bench-seed.json"
py=${PYTHON:-python3}
if [ -f "$bundle/anchors/bench_torch.py" ] && "$py" -c 'import torch' 2>/dev/null; then
  export TORCH_DEVICE=$torch_device
  step torch "$lim_torch" "$py" "$bundle/gpu_check_torch.py" "$bundle/anchors" \
    "$out/torch.jsonl" "${torch_args[@]}" small paper seed
else
  printf 'torch\tskip\t77\t0\t0\n' >>"$out/steps.tsv"
  say "torch: skipped (no PyTorch for $py, or no anchor in the bundle)"
fi

step tune "$lim_tune" "$pcnn" tune --device "$gpu" --preset paper "${size[@]}" --budget "$tune_budget"
step bench-paper-tuned "$lim_paper2" "$pcnn" bench --devices "$gpu" --preset paper "${bench_common[@]}" \
  "${paper_args[@]}" --json "$out/bench-paper-tuned.json"
python3 "$bundle/gpu_check_report.py" "$out" "$icd_kind" "$icd" "$dry" || failed=1
exit $failed
