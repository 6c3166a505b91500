#!/usr/bin/env bash
# The command line: every command answers --help (exit 0, its usage, what it
# does, its flags with metavars that say what a value is (N, X, FILE, DIR,
# SPEC; never VALUE), the global --device and --gemm, no internal flags, on
# stdout, nothing on stderr), and every bad command line in the table below
# gets exit code 2 and exactly one line on stderr, whether the flag parser
# catches it or the job only finds out when it looks at the value (a data
# spec, a run directory, a device, a size that cannot fit).
set -euo pipefail
bin=$1 golden=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
unset PCNN_DEVICE # the tests below choose the device themselves
failed=0

# --help for every command the program lists.
commands=$("$bin" --help | sed -n '/^commands:/,$p' | awk 'NF && $1 != "commands:" { print $1 }')
for want in devices train eval import export masks summary sample bench tune; do
  grep -qx "$want" <<<"$commands" || { echo "pcnn-cl --help does not list $want"; failed=1; }
done
for cmd in $commands; do
  for flag in --help -h; do
    set +e; "$bin" "$cmd" "$flag" >out 2>err; rc=$?; set -e
    if [ "$rc" != 0 ] || [ -s err ] || [ "$(head -1 out | cut -d' ' -f1-3)" != "usage: pcnn-cl $cmd" ]; then
      echo "$cmd $flag: exit $rc, stdout '$(head -1 out)', stderr '$(cat err)'"; failed=1
    elif [ "$cmd" != devices ] && ! grep -q '^  --[a-z]' out; then
      echo "$cmd $flag: no flags listed"; failed=1
    fi
  done
  # What it does (the line after the usage), the globals, honest metavars.
  [ -n "$(sed -n 3p out)" ] || { echo "$cmd --help: no description"; failed=1; }
  grep -q '^  --device SPEC' out || { echo "$cmd --help: no --device SPEC"; failed=1; }
  grep -q '^  --gemm ROUTE' out || { echo "$cmd --help: no --gemm ROUTE"; failed=1; }
  ! grep -Eq ' (VALUE|TEXT)( |$)' out || { echo "$cmd --help: a metavar says nothing: $(grep -E ' (VALUE|TEXT)( |$)' out)"; failed=1; }
  ! grep -q 'internal' out || { echo "$cmd --help lists an internal flag: $(grep internal out)"; failed=1; }
  echo "$cmd --help: $(grep -c '^  --' out || true) flags"
done
# Metavars by kind: whole numbers N, floats X, paths FILE/DIR, data SPEC; required flags marked.
help_has() { # COMMAND PATTERN
  "$bin" "$1" --help | grep -Eq -- "$2" || { echo "$1 --help: no line matching '$2'"; failed=1; }
}
help_has train '^  --lr X '
help_has train '^  --batch N '
help_has train '^  --data SPEC '
help_has train '^  --run-dir DIR '
help_has eval '^  --checkpoint FILE\|DIR .*\(required\)'
help_has sample '^  --temperature X '
help_has sample '^  --first-pixel model\|uniform '
help_has sample 'uniform: the +seed|the seed.s rule'
help_has sample '^  --method fast\|naive '
help_has import '^  --out FILE .*\(required\)'
help_has tune '^  --budget X '
help_has devices '^  --json '
! "$bin" bench --help | grep -q -- '--probe-open' || { echo "bench --help lists --probe-open"; failed=1; }
help_has bench '^  --verbose '
help_has bench '^  --run-dir DIR '
help_has summary '^  --run-dir DIR '
# The version: the commit and what was compiled in.
"$bin" --version >out
for want in '^pcnn-cl [0-9]' '^commit: [0-9a-f]{7,}|^commit: unknown' '^backends: cpu' '^openblas: [0-9]' '^mpi: '; do
  grep -Eq "$want" out || { echo "--version: no line matching '$want'"; cat out; failed=1; }
done

# Data and a run for the cases that need real files.
"$bin" import --from "$golden/model_tiny_gray" --out gray.pcnn >/dev/null
"$bin" import --from "$golden/model_tiny_rgb" --out rgb.pcnn >/dev/null
"$bin" sample --checkpoint gray.pcnn --n 8 --out gray.png >/dev/null
"$bin" sample --checkpoint rgb.pcnn --n 8 --out rgb.png >/dev/null
echo "not a directory" > plain
train=(--device 0 train --data npy:gray.npy --preset tiny --batch 2 --eval-every 0 --sample-every 0)
"$bin" "${train[@]}" --steps 1 --run-dir run >/dev/null
mkdir empty

# bad ARGS...: exit 2 and one line on stderr.
bad() {
  set +e; "$@" >/dev/null 2>err; local rc=$?; set -e
  local lines; lines=$(wc -l <err)
  if [ "$rc" != 2 ] || [ "$lines" != 1 ]; then
    echo "FAIL (exit $rc, $lines lines): ${*#"$bin"}"; sed 's/^/    /' err; failed=1
  else
    echo "ok: ${*#"$bin"} -> $(cat err)"
  fi
}
b=$bin
# Global flags and commands.
bad "$b"
bad "$b" frobnicate
bad "$b" --bogus devices
bad "$b" --device
bad "$b" --device "" devices
bad "$b" --device=
bad "$b" --device 99 eval --checkpoint gray.pcnn --data npy:gray.npy
bad "$b" --device no-such-device eval --checkpoint gray.pcnn --data npy:gray.npy
bad "$b" devices --all
bad "$b" devices extra
bad "$b" devices --json=1
bad "$b" eval --device 0 --checkpoint gray.pcnn --data npy:gray.npy
bad "$b" sample --gemm kernels --checkpoint gray.pcnn --out x.png
# train: the flag table.
bad "$b" train --bogus
bad "$b" train --batch
bad "$b" train --batch -1
bad "$b" train --batch 0
bad "$b" train --batch 1.5
bad "$b" train --batch 2000000
bad "$b" train --layers -1
bad "$b" train --hidden-dim 0
bad "$b" train --out-dim 70000
bad "$b" train --steps 0
bad "$b" train --epochs -2
bad "$b" train --lr abc
bad "$b" train --lr -0.1
bad "$b" train --lr-decay 2
bad "$b" train --seed -1
bad "$b" train --eval-every=
bad "$b" train --ckpt-every 1e300
bad "$b" train --preset huge
bad "$b" train --optimizer sgd
bad "$b" train --split other
bad "$b" train --run-dir ""
bad "$b" train --resume
# train: values the job checks when it gets to them.
bad "$b" "${train[@]}" --steps 1 --run-dir run
bad "$b" "${train[@]}" --steps 1 --data bogus:x --run-dir r1
bad "$b" "${train[@]}" --steps 1 --split seed --run-dir r2
bad "$b" "${train[@]}" --steps 1 --test-data npy:rgb.npy --run-dir r3
bad "$b" --device 0 train --resume nowhere
bad "$b" --device 0 train --resume plain
bad "$b" --device 0 train --resume run --batch 8
bad "$b" --device 0 train --resume run --preset small
bad "$b" --device 0 train --resume run --run-dir elsewhere
# eval, import, export.
bad "$b" eval
bad "$b" eval --data npy:gray.npy
bad "$b" eval --checkpoint gray.pcnn --data npy:gray.npy --batch 0
bad "$b" --device 0 eval --checkpoint gray.pcnn
bad "$b" --device 0 eval --checkpoint run
bad "$b" --device 0 eval --checkpoint empty --data npy:gray.npy
bad "$b" export --checkpoint empty --to out-dir
bad "$b" --device 0 eval --checkpoint gray.pcnn --data bogus:x
bad "$b" --device 0 eval --checkpoint rgb.pcnn --data npy:gray.npy
bad "$b" import --from "$golden/model_tiny_gray"
bad "$b" import --out x.pcnn --from
bad "$b" export --checkpoint gray.pcnn
# masks.
bad "$b" masks --kernel 4 --in 3 --out 3 --mode A
bad "$b" masks --kernel 5x --in 3 --out 3 --mode A
bad "$b" masks --kernel 5 --in 4 --out 3 --mode A
bad "$b" masks --kernel 5 --in 3 --out 3 --mode C
bad "$b" masks --kernel 5 --in 3 --out 3 --mode A --colours 2
bad "$b" masks --kernel 5 --in 0 --out 3 --mode A
bad "$b" masks --kernel 63 --in 65535 --out 65535 --mode A
# summary.
bad "$b" summary --preset huge
bad "$b" summary --colours 2
bad "$b" summary --height 0
bad "$b" summary --batch -4
bad "$b" summary --preset tiny --checkpoint gray.pcnn
bad "$b" --device 0 summary --checkpoint gray.pcnn --colours 3
bad "$b" summary --preset tiny --run-dir run
bad "$b" summary --checkpoint gray.pcnn --run-dir run
bad "$b" summary --run-dir empty
bad "$b" --device 0 summary --preset seed --height 65536 --width 65536 --batch 1048576
# sample.
bad "$b" sample --n 4
bad "$b" sample --checkpoint gray.pcnn
bad "$b" sample --checkpoint gray.pcnn --out x.png --n 0
bad "$b" sample --checkpoint gray.pcnn --out x.png --method slow
bad "$b" sample --checkpoint gray.pcnn --out x.png --temperature 0
bad "$b" sample --checkpoint gray.pcnn --out x.jpg
bad "$b" sample --checkpoint gray.pcnn --out .png
bad "$b" sample --checkpoint gray.pcnn --out x.png --first-pixel seed
bad "$b" sample --checkpoint empty --out x.png
bad "$b" sample --bench --channels 4
bad "$b" --device 0 sample --checkpoint gray.pcnn --out x.png --n 16777216 --height 65536 --width 65536
# bench and tune (refused before anything is measured).
bad "$b" bench --colours 2
bad "$b" bench --devices 99
bad "$b" bench --devices 0,no-such-device
bad "$b" bench --devices 0,,1
bad "$b" --gemm fast devices
bad "$b" --gemm= devices
bad "$b" bench --preset huge
bad "$b" bench --reps 0
bad "$b" bench --height 5000
bad "$b" bench --checkpoint gray.pcnn --run-dir run
bad "$b" bench --preset tiny --checkpoint gray.pcnn
bad "$b" bench --run-dir empty
bad "$b" bench --checkpoint gray.pcnn --colours 3
bad "$b" tune
bad "$b" tune --device 0
bad "$b" tune --device 99 --budget 1
bad "$b" tune --device -1
bad "$b" tune --device 1 --budget 0
bad "$b" tune --device 1 --preset huge

[ "$failed" = 0 ] || { echo "cli_usage: failures above"; exit 1; }
echo "1 passed, 0 failed"
