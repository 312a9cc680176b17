#!/usr/bin/python3
"""bench/forecast_plot.py: an SVG dot-and-whisker chart of rolling-origin
accuracy (mean MASE, RMSSE for intermittent groups, with 95 % bootstrap
intervals over series) from the summary CSV that `bench/forecast.py rolling
--summary` appends to. Standard library only.

Usage: forecast_plot.py SUMMARY.csv OUT.svg [METHOD ...]
"""
import csv
import sys


def main():
    rows = list(csv.DictReader(open(sys.argv[1])))
    keep = sys.argv[3:] or ["ours auto", "R thetaf", "R ets", "R auto.arima"]
    rows = [r for r in rows if r["method"] in keep]
    panels = []
    for r in rows:
        key = (r["set"].split(": ")[-1], r["group"])
        if key not in [p[0] for p in panels]:
            panels.append((key, []))
        dict(panels)[key].append(r)
    colours = {"ours auto": "#c0392b", "R thetaf": "#2e86c1",
               "R ets": "#28b463", "R auto.arima": "#7d3c98"}
    label_w, plot_w, row_h = 330, 420, 16
    height = 40 + sum(len(p[1]) * row_h + 24 for p in panels)
    top = max(float(r["hi"]) for r in rows) * 1.05
    x = lambda v: label_w + plot_w * float(v) / top
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="11">' % (
               label_w + plot_w + 20, height),
           '<rect width="100%" height="100%" fill="white"/>']
    y = 20
    for (title, group), items in panels:
        out.append('<text x="4" y="%d" font-weight="bold">%s - %s (%s)</text>'
                   % (y + 10, title, group, items[0]["score"]))
        y += 16
        for r in items:
            c = colours.get(r["method"], "#555")
            out.append('<text x="20" y="%d">%s %.3f [%.3f, %.3f]</text>' % (
                y + 10, r["method"], float(r["mean"]), float(r["lo"]),
                float(r["hi"])))
            out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="%s" '
                       'stroke-width="2"/>' % (x(r["lo"]), x(r["hi"]), y + 6,
                                               y + 6, c))
            out.append('<circle cx="%.1f" cy="%d" r="4" fill="%s"/>' % (
                x(r["mean"]), y + 6, c))
            y += row_h
        y += 8
    for v in [i * 0.5 for i in range(int(top / 0.5) + 1)]:
        out.append('<line x1="%.1f" x2="%.1f" y1="16" y2="%d" stroke="#ddd"/>'
                   % (x(v), x(v), height - 14))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%.1f</text>' % (
            x(v), height - 2, v))
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
