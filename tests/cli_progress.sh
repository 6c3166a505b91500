#!/usr/bin/env bash
# What `pcnn-cl train` prints (issue 18 item 2): with stdout not a terminal,
# plain lines for every phase (loading, "evaluating test N/M", drawing
# samples), no \r redraws, a short header without the OpenBLAS build string,
# and a final summary with the files (samples/ too) and the next commands;
# --quiet prints only that summary, --json it as one JSON object; on a pty
# of 50 columns (script) every redrawn line fits. Grids are upscaled (--scale).
set -euo pipefail
bin=$1
tmp=$(mktemp -d /tmp/cli_progress-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cli_progress: $*"; exit 1; }
ulimit -f 2000000
run() { timeout -s KILL 120 "$bin" --device 0 train "${common[@]}" "$@"; }

# 64 images of 8x8 (IDX), trained on and evaluated on.
images="$tmp/images"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x40\x00\x00\x00\x08\x00\x00\x00\x08'
  head -c $((64 * 8 * 8)) /dev/urandom; } > "$images"
common=(--data "idx:$images" --test-data "idx:$images" --preset tiny --batch 4 --steps 12 --eval-every 5
        --sample-every 100 --ckpt-every 0)

run --run-dir "$tmp/plain" > "$tmp/plain.out" 2>&1 || { cat "$tmp/plain.out"; fail "plain run failed"; }
out=$(cat "$tmp/plain.out")
! grep -q $'\r' "$tmp/plain.out" || fail "\\r redraws when stdout is not a terminal"
for want in "loading training images (idx:$images)..." "step 5/12: evaluating test 0/64" \
            "step 5/12: drawing 16 samples..." "step 12/12: drawing 16 samples..." "done: 12 steps in " \
            "next:" "sample:  $bin sample --checkpoint $tmp/plain/checkpoint.pcnn" \
            "eval:    $bin eval --checkpoint $tmp/plain/checkpoint.pcnn --data idx:$images" "index.html"; do
  grep -qF -- "$want" <<<"$out" || { echo "$out"; fail "no '$want' in the output"; }
done
header=$(grep '^training ' <<<"$out")
short=${header//$tmp/T} # the paths are the test's, not the header's
[ "${#short}" -lt 170 ] || fail "header is ${#short} characters beside its paths: $header"
! grep -q OpenBLAS <<<"$header" || fail "header holds the OpenBLAS build string: $header"
grep -q '^device=CPU (OpenBLAS' "$tmp/plain/train.txt" || fail "train.txt lacks the device's full name"
# The short run has a grid at its first evaluation and one of the final model, named in the summary.
[ -f "$tmp/plain/samples/step_0000005.png" ] && [ -f "$tmp/plain/samples/step_0000012.png" ] ||
  fail "grids: $(ls "$tmp/plain/samples")"
grep -qF "samples/: 2 grids, step_0000005.png .. step_0000012.png" <<<"$out" || fail "summary lacks the grids"
# 8x8 images: scale 8 (64 pixels a side); 16 images in 4 columns: 8 * (4 * 9 - 1) = 280.
size=$(od -An -tu1 -j16 -N8 "$tmp/plain/samples/step_0000012.png" | tr -s ' ')
[ "$size" = " 0 0 1 24 0 0 1 24" ] || fail "grid PNG size bytes: $size (expected 280x280)"

# sample draws its grid the same way: 4 images of 8x8 in 2 columns, 8 * (2 * 9 - 1) = 136; --scale 3: 51.
"$bin" --device 0 sample --checkpoint "$tmp/plain/checkpoint.pcnn" --n 4 --out "$tmp/s.png" > /dev/null
size=$(od -An -tu1 -j16 -N8 "$tmp/s.png" | tr -s ' ')
[ "$size" = " 0 0 0 136 0 0 0 136" ] || fail "sample grid size bytes: $size (expected 136x136)"
"$bin" --device 0 sample --checkpoint "$tmp/plain/checkpoint.pcnn" --n 4 --out "$tmp/s3.png" --scale 3 > /dev/null
size=$(od -An -tu1 -j16 -N8 "$tmp/s3.png" | tr -s ' ')
[ "$size" = " 0 0 0 51 0 0 0 51" ] || fail "sample --scale 3 grid size bytes: $size (expected 51x51)"

# --quiet: the summary alone; --scale 2: a 70x70 grid.
run --run-dir "$tmp/quiet" --quiet --scale 2 > "$tmp/quiet.out" 2>&1 || fail "quiet run failed"
head -1 "$tmp/quiet.out" | grep -q '^done: 12 steps' || fail "--quiet printed more: $(head -3 "$tmp/quiet.out")"
! grep -q 'evaluating\|^step ' "$tmp/quiet.out" || fail "--quiet printed progress"
size=$(od -An -tu1 -j16 -N8 "$tmp/quiet/samples/step_0000012.png" | tr -s ' ')
[ "$size" = " 0 0 0 70 0 0 0 70" ] || fail "--scale 2 grid size bytes: $size (expected 70x70)"

# --json: one JSON object on stdout.
run --run-dir "$tmp/json" --json > "$tmp/json.out" 2>/dev/null || fail "json run failed"
[ "$(wc -l < "$tmp/json.out")" = 1 ] || fail "--json printed $(wc -l < "$tmp/json.out") lines"
python3 - "$tmp/json.out" "$tmp/json" <<'PY' || fail "--json: $(cat "$tmp/json.out")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["status"] == "done" and s["steps"] == 12 and s["total_steps"] == 12, s
assert s["run_dir"] == sys.argv[2] and "checkpoint.pcnn" in s["files"] and "index.html" in s["files"], s
assert s["samples"] == ["samples/step_0000005.png", "samples/step_0000012.png"], s
assert s["test_bits_per_dim"] > 0 and s["elapsed_s"] >= 0 and "--resume" in s["next"]["resume"], s
assert "sample --checkpoint" in s["next"]["sample"] and "eval --checkpoint" in s["next"]["eval"], s
PY

# A pty of 50 columns: redrawn lines (split at \r and \n, ESC[K removed) fit in 49.
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
  script -qec "stty cols 50 rows 20; $bin --device 0 train ${common[*]} --run-dir $tmp/pty" /dev/null \
    > "$tmp/pty.out" 2>&1 < /dev/null || { cat "$tmp/pty.out"; fail "run under script failed"; }
  grep -q $'\r' "$tmp/pty.out" || fail "no \\r redraws on a terminal"
  long=$(sed 's/\x1b\[K//g' "$tmp/pty.out" | tr '\r' '\n' | grep -E '^(step |[0-9]+/[0-9]+)' |
         awk 'length($0) > 49' | head -3)
  [ -z "$long" ] || fail "lines wider than the 50-column terminal: $long"
  echo "cli_progress: pty lines fit 50 columns"
fi
echo "cli_progress: ok"
