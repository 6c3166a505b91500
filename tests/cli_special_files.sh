#!/usr/bin/env bash
# Special files and paths (docs/RELIABILITY.md §2, §9). Every command under a
# hard timeout and a file-size limit: a regression that blocks on a FIFO or
# reads /dev/zero fails here instead of hanging or eating the memory.
# - Outputs that are not regular files are never replaced: a symlink has its
#   target written (the link stays; a symlinked checkpoint.pcnn stays one
#   across saves), a FIFO and a device are written in place;
# - a FIFO or /dev/zero given as data, checkpoint or tensor is refused at
#   once in one line ("is not a regular file");
# - a run started with a relative --data resumes from another directory, and
#   a data file changed since the run started is refused in one line.
set -euo pipefail
bin=$1 golden=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/expect_fail.sh"
tmp=$(mktemp -d)
trap 'jobs -p | xargs -r kill -9 2>/dev/null || true; rm -rf "$tmp"' EXIT
cd "$tmp"
fail() { echo "cli_special_files: $*"; exit 1; }
ulimit -f 2000000
t() { timeout -s KILL 60 "$@"; }
is_link_to() { [ -L "$1" ] && [ "$(readlink "$1")" = "$2" ] || fail "$1 is no longer a link to $2: $(ls -l "$1")"; }
t "$bin" import --from "$golden/model_tiny_gray" --out g.pcnn >/dev/null
t "$bin" sample --checkpoint g.pcnn --n 64 --out data.png --seed 3 >/dev/null

# --json through a link to a descriptor (what /dev/stdout is; a copy here, so
# a regression replaces nothing in /dev): the JSON comes out of the pipe.
ln -s /proc/self/fd/1 stdout_link
t "$bin" bench --devices 0 --preset tiny --reps 1 --height 8 --width 8 --no-compile --json stdout_link 2>/dev/null |
  cat >bench.out
is_link_to stdout_link /proc/self/fd/1
grep -q '"devices"\|"device"' bench.out || fail "bench --json LINK-TO-STDOUT: no JSON on stdout: $(head -c 300 bench.out)"
echo "--json to a link to /proc/self/fd/1: JSON on stdout, the link stays"

# sample --out FIFO: the PNG goes through it (a reader waits), the FIFO stays.
mkfifo grid.png
t cat grid.png >got.png &
t "$bin" sample --checkpoint g.pcnn --n 4 --out grid.png >/dev/null
wait
[ -p grid.png ] || fail "sample --out FIFO replaced the FIFO: $(ls -l grid.png)"
[ "$(head -c 4 got.png | od -An -tx1 | tr -d ' ')" = 89504e47 ] || fail "no PNG came through the FIFO"
echo "sample --out FIFO: the PNG came through, the FIFO stays"
# ... and with no reader: one line, at once.
rm -f grid.npy
expect_fail 1 t "$bin" sample --checkpoint g.pcnn --n 4 --out grid.png
grep -q "grid.png: is a FIFO with no reader" <<<"$err" || fail "sample --out FIFO without a reader: $err"
[ -p grid.png ] || fail "the FIFO was replaced"

# import --out a character device (a null device made here, when allowed).
if mknod null c 1 3 2>/dev/null; then
  t "$bin" import --from "$golden/model_tiny_gray" --out null >/dev/null
  [ -c null ] || fail "import --out DEVICE replaced the device: $(ls -l null)"
  echo "import --out a device: written in place, still a device"
fi
! ls | grep -q '\.tmp\.' || fail "temporary files left: $(ls)"

# A symlinked checkpoint.pcnn (its file kept on another disk) stays a symlink
# across saves; prev gets the old bytes, not a second link.
train() { t "$bin" --device 0 train --preset tiny --batch 4 --eval-every 0 --sample-every 0 "$@"; }
train --data npy:data.npy --steps 4 --ckpt-every 2 --run-dir run >/dev/null
mkdir store
mv run/checkpoint.pcnn store/ck.pcnn
ln -s ../store/ck.pcnn run/checkpoint.pcnn
train --resume run --steps 8 --ckpt-every 2 >/dev/null
is_link_to run/checkpoint.pcnn ../store/ck.pcnn
[ -f run/checkpoint.prev.pcnn ] && [ ! -L run/checkpoint.prev.pcnn ] || fail "prev: $(ls -l run/checkpoint.prev.pcnn)"
cmp -s store/ck.pcnn run/checkpoint.prev.pcnn && fail "prev holds the latest checkpoint"
grep -q '^8,' run/log.csv || fail "the resumed run did not reach step 8"
t "$bin" eval --checkpoint run/checkpoint.prev.pcnn --data npy:data.npy >/dev/null || fail "prev does not load"
! ls store run | grep -q 'next\|\.tmp' || fail "temporary files left: $(ls store run)"
train --resume run --steps 10 >/dev/null # it loads through the link
is_link_to run/checkpoint.pcnn ../store/ck.pcnn
echo "symlinked checkpoint.pcnn: still a link after saves at steps 6, 8 and 10; prev a file"

# FIFOs and /dev/zero as inputs: refused at once, one line.
mkfifo fifo.npy fifo.gz fifo.pcnn
refused() {
  expect_fail "$1" t "${@:2}"
  grep -q "is not a regular file" <<<"$err" || fail "$*: $err"
}
refused 1 "$bin" eval --checkpoint g.pcnn --data npy:fifo.npy
refused 1 "$bin" eval --checkpoint g.pcnn --data npy:/dev/zero
refused 1 "$bin" eval --checkpoint g.pcnn --data idx:fifo.gz
refused 1 "$bin" eval --checkpoint fifo.pcnn --data npy:data.npy
refused 1 "$bin" eval --checkpoint /dev/zero --data npy:data.npy
refused 1 "$bin" --device 0 train --data npy:fifo.npy --preset tiny --steps 1 --run-dir r_fifo
cp -r "$golden/model_tiny_gray" w && chmod -R u+w w
rm w/final_conv.bias.npy && mkfifo w/final_conv.bias.npy
refused 1 "$bin" import --from w --out w.pcnn
rm w/final_conv.bias.npy && ln -s /dev/zero w/final_conv.bias.npy
refused 1 "$bin" import --from w --out w.pcnn

# A relative --data resumes from another directory; changed data is refused.
mkdir -p a/b
cp data.npy a/data.npy
(cd a && train --data npy:data.npy --steps 4 --run-dir rel >/dev/null)
grep -qx "data=npy:$tmp/a/data.npy" a/rel/train.txt || fail "train.txt: $(grep '^data=' a/rel/train.txt)"
(cd a/b && train --resume ../rel --steps 6 >/dev/null) || fail "resume from another directory failed"
(cd a/b && train --resume ../rel --data npy:../data.npy --steps 7 >/dev/null) || fail "--data as another relative path refused"
size=$(stat -c %s a/data.npy)
printf '\x01' | dd of=a/data.npy bs=1 seek=$((size - 1)) conv=notrunc status=none
expect_fail 2 train --resume a/rel --steps 8
grep -q "the training data npy:$tmp/a/data.npy changed since the run started" <<<"$err" || fail "changed data: $err"
echo "relative --data: resumed from a/b; changed data refused"
