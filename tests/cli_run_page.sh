#!/usr/bin/env bash
# The run page in a real browser (issue 18 item 4): a short run's index.html,
# rendered by headless Chromium with every host unresolvable, is not blank
# (the loss chart's orange test points and the sample grids' grey levels are
# on the screenshot) and its DOM holds the chart, one image per grid in step
# order with its caption, the latest figures and the resume command.
# Skipped (77) where Debian's chromium is not installed (PCNN_SETUP_BROWSER=1
# tools/setup.sh installs it).
set -euo pipefail
bin=$1
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "cli_run_page: no chromium: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/cli_run_page-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "cli_run_page: $*"; exit 1; }
ulimit -f 2000000

images="$tmp/images"
{ printf '\x00\x00\x08\x03\x00\x00\x00\x40\x00\x00\x00\x08\x00\x00\x00\x08'; head -c 4096 /dev/urandom; } > "$images"
timeout -s KILL 120 "$bin" --device 0 train --data "idx:$images" --test-data "idx:$images" --preset tiny --batch 4 \
  --steps 30 --eval-every 10 --sample-every 20 --run-dir "$tmp/run" --quiet > "$tmp/train.out" ||
  fail "train: $(cat "$tmp/train.out")"
page="$tmp/run/index.html"
[ -s "$page" ] || fail "no index.html"
! grep -q '<script' "$page" || fail "index.html has a script"

chrome=("$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$tmp/profile"
        --host-resolver-rules="MAP * ~NOTFOUND" --window-size=1000,1600)
timeout -s KILL 90 "${chrome[@]}" --dump-dom "file://$page" > "$tmp/dom.html" 2> "$tmp/chrome.err" ||
  fail "chromium --dump-dom: $(tail -3 "$tmp/chrome.err")"
timeout -s KILL 90 "${chrome[@]}" --screenshot="$tmp/shot.png" "file://$page" > /dev/null 2>> "$tmp/chrome.err" ||
  fail "chromium --screenshot: $(tail -3 "$tmp/chrome.err")"
[ -s "$tmp/shot.png" ] || fail "no screenshot"

python3 - "$tmp/dom.html" "$tmp/shot.png" "$tmp/run" "$bin" <<'PY'
import re, struct, sys, zlib
dom, shot, run, binary = sys.argv[1:5]
html = open(dom).read()
def need(cond, what):
    if not cond:
        sys.exit("cli_run_page: " + what)
need(html.count("<svg") == 1 and 'class="test-point"' in html, "the DOM lacks the inline chart")
imgs = re.findall(r'<img src="(samples/step_\d+\.png)"', html)
need(imgs == ["samples/step_0000010.png", "samples/step_0000020.png", "samples/step_0000030.png"],
     "grids in the DOM: %s" % imgs)
need("<figcaption>step 30</figcaption>" in html, "no caption for step 30")
need('id="test-bpd"' in html and 'id="status">finished<' in html, "no latest figures")
need("%s train --resume %s" % (binary, run) in html, "no resume command")

# The screenshot: an 8-bit RGB(A) PNG, decoded here (no imaging library needed).
data = open(shot, "rb").read()
need(data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG")
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        need(depth == 8 and ctype in (2, 6), "screenshot PNG type %d/%d" % (depth, ctype))
        bpp = 3 if ctype == 2 else 4
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, pixels = bytearray(stride), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    pixels.append(line)
    prev = line
orange = grey = nonwhite = 0
greys = set()
for line in pixels:
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        nonwhite += (r, g, b) != (255, 255, 255)
        orange += r > 220 and 90 < g < 170 and b < 60
        if r == g == b:
            greys.add(r)
print("cli_run_page: screenshot %dx%d, %d non-white pixels, %d orange, %d grey levels" % (w, h, nonwhite, orange, len(greys)))
need(nonwhite > w * h // 50, "the screenshot is (nearly) blank")
need(orange > 20, "the chart's test points are not on the screenshot")
need(len(greys) > 40, "the sample grids are not on the screenshot")
PY
echo "cli_run_page: ok"
