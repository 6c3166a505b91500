#!/usr/bin/env python3
"""Draws test bits/dim against wall-clock seconds from compare_pytorch.py --e2e-csv as an SVG (no dependencies).

    python3 tools/results_chart.py e2e.csv docs/results_fmnist.svg
"""
import csv
import sys

W, H, L, R, T, B = 640, 400, 70, 20, 30, 50
COLOURS = ["#1f77b4", "#d62728", "#2ca02c"]


def main():
    src, dst = sys.argv[1], sys.argv[2]
    series = {}
    for row in csv.DictReader(open(src)):
        series.setdefault(row["program"], []).append((float(row["seconds"]), float(row["test_bpd"])))
    xs = [x for s in series.values() for x, _ in s]
    ys = [y for s in series.values() for _, y in s]
    x1 = max(xs) * 1.05
    y0, y1 = min(ys) - 0.02, max(ys) + 0.02

    def px(x):
        return L + (W - L - R) * x / x1

    def py(y):
        return T + (H - T - B) * (y1 - y) / (y1 - y0)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2}" y="18" text-anchor="middle">Fashion-MNIST, small preset: test bits/dim vs wall-clock</text>',
           f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>',
           f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>',
           f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">seconds since training began</text>',
           f'<text x="16" y="{(T + H - B) / 2}" transform="rotate(-90 16 {(T + H - B) / 2})" '
           'text-anchor="middle">test bits/dim</text>']
    for i in range(6):
        x = x1 * i / 5
        out.append(f'<text x="{px(x):.1f}" y="{H - B + 16}" text-anchor="middle">{x:.0f}</text>')
        y = y0 + (y1 - y0) * i / 5
        out.append(f'<text x="{L - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
        out.append(f'<line x1="{L}" y1="{py(y):.1f}" x2="{W - R}" y2="{py(y):.1f}" stroke="#ddd"/>')
    goal = 3.09
    if y0 < goal < y1:
        out.append(f'<line x1="{L}" y1="{py(goal):.1f}" x2="{W - R}" y2="{py(goal):.1f}" stroke="#888" '
                   'stroke-dasharray="4 4"/>')
        out.append(f'<text x="{W - R - 4}" y="{py(goal) - 4:.1f}" text-anchor="end" fill="#888">3.09</text>')
    for k, (name, pts) in enumerate(series.items()):
        c = COLOURS[k % len(COLOURS)]
        pts.sort()
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for x, y in pts:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{c}"/>')
        out.append(f'<text x="{W - R - 200}" y="{T + 20 + 16 * k}" fill="{c}">{name}</text>')
    out.append("</svg>")
    open(dst, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
