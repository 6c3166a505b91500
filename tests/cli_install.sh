#!/usr/bin/env bash
# `cmake --install` into a temporary prefix (issue 18 item 1): the installed
# pcnn-cl runs on its own (--help, devices, a tiny training run) and, found
# through PATH, prints its commands under the name typed ("pcnn-cl ..."); the
# build tree's binary, called by its path, prints that path.
set -euo pipefail
bin=$1
build=$2
tmp=$(mktemp -d /tmp/cli_install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cli_install: $*"; exit 1; }
ulimit -f 2000000

cmake --install "$build" --prefix "$tmp/prefix" > "$tmp/install.out" || { cat "$tmp/install.out"; fail "install failed"; }
installed="$tmp/prefix/bin/pcnn-cl"
[ -x "$installed" ] || fail "no $installed after cmake --install"
"$installed" --help | grep -q '^usage: pcnn-cl' || fail "installed --help"
"$installed" devices > "$tmp/devices.out" || fail "installed devices: $(cat "$tmp/devices.out")"
grep -q '^0 ' "$tmp/devices.out" || fail "installed devices lacks device 0: $(cat "$tmp/devices.out")"

images="$tmp/images"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x10\x00\x00\x00\x04\x00\x00\x00\x04'; head -c 256 /dev/urandom; } > "$images"
flags=(--device 0 train --data "idx:$images" --preset tiny --batch 4 --steps 2 --sample-every 0 --quiet)
# Called by name through PATH (from another directory, as a user would).
(cd "$tmp" && PATH="$tmp/prefix/bin:$PATH" timeout -s KILL 120 pcnn-cl "${flags[@]}" --run-dir a > a.out) ||
  fail "installed train: $(cat "$tmp/a.out")"
grep -q '^  sample:  pcnn-cl sample --checkpoint a/checkpoint.pcnn' "$tmp/a.out" || fail "by name: $(cat "$tmp/a.out")"
# By its full path while PATH finds it: the short name works too.
PATH="$tmp/prefix/bin:$PATH" timeout -s KILL 120 "$installed" "${flags[@]}" --run-dir "$tmp/b" > "$tmp/b.out"
grep -q "^  longer:  pcnn-cl train --resume $tmp/b" "$tmp/b.out" || fail "full path on PATH: $(cat "$tmp/b.out")"
# The build tree's binary, not on PATH: the path typed.
timeout -s KILL 120 "$bin" "${flags[@]}" --run-dir "$tmp/c" > "$tmp/c.out"
grep -q "^  longer:  $bin train --resume $tmp/c" "$tmp/c.out" || fail "by path: $(cat "$tmp/c.out")"
echo "cli_install: ok ($installed)"
