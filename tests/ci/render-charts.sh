#!/usr/bin/env bash
# Renders chart SVGs (src/reports/chart.rs) in headless Chromium and checks that each draws:
# the file is well-formed XML with an <svg> root, and its screenshot is not blank (at least 2%
# of the pixels not white, and some dark ones: text and axes). The window is 900 wide and 700
# high, or taller when the SVG is (a bar chart grows with its bars), so the whole chart is
# checked. Exits non-zero on the first file that fails.
#
# Usage: bash tests/ci/render-charts.sh FILE.svg|DIR [FILE.svg|DIR ...]
#   A DIR stands for the *.svg files in it. OUT=DIR sets where the screenshots go (default
#   target/ci/charts): NAME.png for NAME.svg.
#
# Samples without a server (the chart tests write one bar chart and one trend when asked):
#   CHART_SAMPLES_DIR=$PWD/target/ci/chart-samples cargo test --locked --lib reports::chart
#   bash tests/ci/render-charts.sh target/ci/chart-samples
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 FILE.svg|DIR [FILE.svg|DIR ...]" >&2
    exit 2
fi

CHROMIUM=/usr/bin/chromium
if [ ! -x "$CHROMIUM" ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

OUT=${OUT:-target/ci/charts}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

files=()
for arg in "$@"; do
    if [ -d "$arg" ]; then
        while IFS= read -r -d '' f; do
            files+=("$f")
        done < <(find "$arg" -maxdepth 1 -type f -name '*.svg' -print0 | sort -z)
    elif [ -f "$arg" ]; then
        files+=("$arg")
    else
        echo "no such file or directory: $arg" >&2
        exit 2
    fi
done
if [ "${#files[@]}" -eq 0 ]; then
    echo "no SVG files in: $*" >&2
    exit 1
fi

# check.py svg FILE | png FILE: well-formedness of an SVG; blankness of a PNG (decoded with
# the standard library: zlib and the five PNG row filters).
checker=$(mktemp --suffix=.py)
trap 'rm -f "$checker"' EXIT
cat >"$checker" <<'PY'
import struct, sys, zlib
import xml.etree.ElementTree as ET

def check_svg(path):
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as e:
        sys.exit(f"{path}: not well-formed XML: {e}")
    if root.tag != "{http://www.w3.org/2000/svg}svg":
        sys.exit(f"{path}: root element is {root.tag}, not svg")
    # The window height that shows all of it (charts grow with their bars).
    height = float(root.get("height", "0").removesuffix("px") or 0)
    print(max(700, int(height) + 20))

def decode_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        sys.exit(f"{path}: unsupported PNG (depth {depth}, color type {color}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                line[i] = (line[i] + line[i - channels]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - channels] if i >= channels else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - channels] if i >= channels else 0
                b, c = prev[i], (prev[i - channels] if i >= channels else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        elif kind != 0:
            sys.exit(f"{path}: bad PNG filter {kind}")
        rows.append(line)
        prev = line
    return width, height, channels, rows

def check_png(path):
    width, height, channels, rows = decode_png(path)
    colour = min(channels, 3)  # gray, or RGB (alpha ignored)
    total = width * height
    non_white = dark = 0
    for line in rows:
        for x in range(0, len(line), channels):
            px = line[x:x + colour]
            if min(px) < 245:
                non_white += 1
                if max(px) < 96:
                    dark += 1
    share, dark_share = non_white / total, dark / total
    print(f"{path}: {width}x{height}, {share:.1%} not white, {dark_share:.2%} dark")
    if share < 0.02 or dark_share < 0.001:
        sys.exit(f"{path}: blank or nearly blank (needs >= 2% not white and >= 0.1% dark)")

{"svg": check_svg, "png": check_png}[sys.argv[1]](sys.argv[2])
PY

for f in "${files[@]}"; do
    svg=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
    png="$OUT/$(basename "$f" .svg).png"
    # Well-formed (a parse error page would not be blank), and tall enough a window for all.
    window_h=$(python3 "$checker" svg "$svg")
    rm -f "$png"
    profile=$(mktemp -d)
    # Chromium prints DBus and GPU noise on stderr; kept only when it fails.
    if ! timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --user-data-dir="$profile" --screenshot="$png" --window-size="900,$window_h" \
        "file://$svg" >"$profile.log" 2>&1; then
        cat "$profile.log" >&2
        rm -rf "$profile" "$profile.log"
        echo "chromium failed on $svg" >&2
        exit 1
    fi
    rm -rf "$profile" "$profile.log"
    if [ ! -s "$png" ]; then
        echo "no screenshot of $svg" >&2
        exit 1
    fi
    python3 "$checker" png "$png"
done
echo "${#files[@]} chart(s) rendered and drawn"
