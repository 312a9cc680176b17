#!/usr/bin/python3
"""bench/forecast.py: accuracy and speed benchmark of sentia-forecast.

Driven by bench/forecast.sh; Python standard library only.

  accuracy: runs the CLI on every series of the development set with the
            protocol of its README (fit on train/, forecast the horizon,
            score against test/) and prints our figures beside R's.
  speed:    generates reproducible weekly series, forecasts them in batch
            mode with N parallel processes and reports wall and CPU time.
"""
import argparse
import concurrent.futures
import csv
import math
import os
import random
import resource
import subprocess
import sys
import time

GROUPS = ["monthly", "quarterly", "yearly", "weekly", "daily",
          "intermittent-real", "intermittent-synthetic"]
R_METHODS = ["naive", "snaive", "croston", "ets", "auto.arima", "thetaf"]


def read_values(path):
    with open(path) as f:
        return [float(line) for line in f if line.strip()]


def group_of(row):
    if row["group"] == "intermittent":
        return "intermittent-" + row["kind"]
    return row["group"]


def scale_denominators(train, m):
    """Mean absolute and mean squared m-step differences of the history."""
    d = [train[t] - train[t - m] for t in range(m, len(train))]
    return (sum(abs(x) for x in d) / len(d), sum(x * x for x in d) / len(d))


def score(train, test, fc, m):
    """MASE, RMSSE, sMAPE, cov80, cov95 of one forecast (README protocol)."""
    mad, msd = scale_denominators(train, m)
    h = len(test)
    err = [test[i] - fc[i][0] for i in range(h)]
    mae = sum(abs(e) for e in err) / h
    mse = sum(e * e for e in err) / h
    smape = 0.0
    for i in range(h):
        den = abs(test[i]) + abs(fc[i][0])
        smape += 0.0 if den == 0 else 200.0 * abs(err[i]) / den
    cov80 = sum(fc[i][1] <= test[i] <= fc[i][2] for i in range(h)) / h
    cov95 = sum(fc[i][3] <= test[i] <= fc[i][4] for i in range(h)) / h
    mase = mae / mad if mad > 0 else float("nan")
    rmsse = math.sqrt(mse / msd) if msd > 0 else float("nan")
    return mase, rmsse, smape / h, cov80, cov95


def run_cli(binary, train, period, horizon, method):
    """Runs one forecast of the history `train` through stdin; returns
    (rows, wall_seconds). The engine accepts only non-negative data, so a
    history with negative values (one log-scale yearly series) is shifted
    up by -min before forecasting and the forecasts shifted back."""
    shift = -min(train) if min(train) < 0 else 0.0
    text = "".join("%.17g\n" % (v + shift) for v in train)
    start = time.monotonic()
    proc = subprocess.run([binary, "--period", str(period), "--horizon",
                           str(horizon), "--method", method],
                          input=text.encode(), capture_output=True)
    if proc.returncode != 0:
        raise RuntimeError("%s: %s" % (method, proc.stderr.decode().strip()))
    lines = proc.stdout.decode().strip().split("\n")[1:]
    rows = [[float(x) - shift for x in line.split(",")] for line in lines]
    return rows, time.monotonic() - start


def our_methods(row):
    methods = ["auto", "ets", "arima", "theta", "naive"]
    if int(row["period"]) > 1:
        methods.append("snaive")
    if row["group"] == "intermittent":
        methods += ["croston", "sba", "tsb"]
    return methods


def accuracy(args):
    index = list(csv.DictReader(open(os.path.join(args.data, "index.csv"))))
    tasks = []
    for row in index:
        for method in our_methods(row):
            tasks.append((row, method))
    results = {}
    series = {}
    for row in index:
        series[row["id"]] = (
            read_values(os.path.join(args.data, "train", row["id"] + ".csv")),
            read_values(os.path.join(args.data, "test", row["id"] + ".csv")))
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futs = {}
        for row, method in tasks:
            futs[pool.submit(run_cli, args.bin, series[row["id"]][0],
                             row["period"], row["horizon"], method)] = (row,
                                                                     method)
        for fut in concurrent.futures.as_completed(futs):
            row, method = futs[fut]
            fc, secs = fut.result()
            train, test = series[row["id"]]
            m = 1 if row["group"] == "intermittent" else int(row["period"])
            results[(row["id"], method)] = score(train, test, fc, m) + (secs,)
    if args.out:
        with open(args.out, "w") as f:
            f.write("id,method,mase,rmsse,smape,cov80,cov95,seconds\n")
            for (sid, method), v in sorted(results.items()):
                f.write("%s,%s,%s\n" % (sid, method,
                                        ",".join("%.6g" % x for x in v)))
    report(index, results, read_r(args.data))


def read_r(data):
    ref = {}
    for r in csv.DictReader(open(os.path.join(data, "r_reference.csv"))):
        if r["mase"] == "NA":
            continue
        vals = []
        for k in ["mase", "rmsse", "smape", "cov80", "cov95", "seconds"]:
            vals.append(float("nan") if r[k] == "NA" else float(r[k]))
        ref[(r["id"], r["method"])] = tuple(vals)
    return ref


def mean(xs):
    xs = [x for x in xs if not math.isnan(x)]
    return sum(xs) / len(xs) if xs else float("nan")


def group_means(index, table, group, method):
    ids = [r["id"] for r in index if group_of(r) == group]
    rows = [table[(i, method)] for i in ids if (i, method) in table]
    if len(rows) < len(ids):
        return None
    return [mean([r[k] for r in rows]) for k in range(6)]


def fmt(x, digits=3):
    return "-" if x is None or math.isnan(x) else "%.*f" % (digits, x)


def report(index, ours, ref):
    our_names = ["auto", "ets", "arima", "theta", "naive", "snaive", "croston", "sba",
                 "tsb"]
    print("\n## Accuracy per group (mean over series; README protocol)\n")
    print("s/series: ours = wall time of one CLI run including process "
          "start-up (2 at a time); R = CPU seconds from r_reference.csv.\n")
    for g in GROUPS:
        n = sum(1 for r in index if group_of(r) == g)
        print("### %s (%d series)\n" % (g, n))
        print("| method | MASE | RMSSE | sMAPE | cov80 | cov95 | s/series |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, table, key in ([("ours " + m, ours, m) for m in our_names] +
                                 [("R " + m, ref, m) for m in R_METHODS]):
            v = group_means(index, table, g, key)
            if v is None:
                continue
            print("| %s | %s | %s | %s | %s | %s | %s |" % (
                name, fmt(v[0]), fmt(v[1]), fmt(v[2], 2), fmt(v[3]),
                fmt(v[4]), fmt(v[5], 4)))
        print()
    summary(index, ours, ref)


def summary(index, ours, ref):
    print("## Summary: ours (auto) against R's best method per group\n")
    print("| group | auto MASE | R best MASE | auto RMSSE | R best RMSSE |"
          " cov80 | cov95 | MASE target | coverage target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    all80, all95 = [], []
    for g in GROUPS:
        a = group_means(index, ours, g, "auto")
        best = {}
        for k in (0, 1):
            cands = [(group_means(index, ref, g, m), m) for m in R_METHODS]
            cands = [(v[k], m) for v, m in cands if v is not None]
            best[k] = min(cands)
        key = 1 if g.startswith("intermittent") else 0
        ok = a[key] <= best[key][0] + 1e-9
        cov_ok = abs(a[3] - 0.8) <= 0.05 and abs(a[4] - 0.95) <= 0.05
        all80.append(a[3])
        all95.append(a[4])
        print("| %s | %s | %s (%s) | %s | %s (%s) | %s | %s | %s | %s |" % (
            g, fmt(a[0]), fmt(best[0][0]), best[0][1], fmt(a[1]),
            fmt(best[1][0]), best[1][1], fmt(a[3]), fmt(a[4]),
            ("met" if ok else "MISSED") + (" (RMSSE)" if key else ""),
            "met" if cov_ok else "MISSED"))
    ids = [r["id"] for r in index]
    c80 = mean([ours[(i, "auto")][3] for i in ids])
    c95 = mean([ours[(i, "auto")][4] for i in ids])
    print("\nAll %d series: auto cov80 %.3f, cov95 %.3f.\n" % (len(ids), c80,
                                                             c95))


def generate(args):
    """Weekly series: level, trend, annual cycle, noise; fixed seed."""
    rng = random.Random(args.seed)
    with open(args.out, "w") as f:
        for _ in range(args.count):
            level = rng.uniform(20, 2000)
            trend = rng.uniform(-0.002, 0.004) * level
            amp = rng.uniform(0.0, 0.4) * level
            phase = rng.uniform(0, 2 * math.pi)
            noise = rng.uniform(0.03, 0.25) * level
            vals = []
            for t in range(args.length):
                v = (level + trend * t +
                     amp * math.sin(2 * math.pi * t / 52 + phase) +
                     rng.gauss(0, noise))
                vals.append("%.2f" % max(v, 0.0))
            f.write(",".join(vals) + "\n")


def speed(args):
    with open(args.input) as f:
        lines = f.readlines()
    parts = []
    for p in range(args.procs):
        path = "%s.part%d" % (args.input, p)
        with open(path, "w") as f:
            f.writelines(lines[p::args.procs])
        parts.append(path)
    outs = ["%s.out" % p for p in parts]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    procs = []
    for part, out in zip(parts, outs):
        with open(out, "wb") as f:
            procs.append(subprocess.Popen(
                [args.bin, "--batch", "--period", "52", "--horizon", "13",
                 "--method", "auto", part], stdout=f))
    for p in procs:
        p.wait()
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if any(p.returncode != 0 for p in procs):
        sys.exit("speed run failed")
    rows = bad = 0
    for out in outs:
        with open(out, "rb") as f:
            data = f.read()
        rows += data.count(b"\n") - 1
        bad += data.count(b"nan") + data.count(b"inf")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime -
                                                before.ru_stime)
    n = len(lines)
    ref = read_r(args.data)
    r_all = mean([v[5] for (i, m), v in ref.items() if m == "ets"])
    r_week = mean([v[5] for (i, m), v in ref.items()
                   if m == "ets" and i.startswith("w_")])
    per = cpu / n
    print("## Speed: %d weekly series x %d points, auto, horizon 13\n" %
          (n, args.length))
    print("| figure | value |")
    print("|---|---:|")
    print("| processes in parallel | %d |" % args.procs)
    print("| wall time | %.2f s |" % wall)
    print("| CPU time (user+sys, all processes) | %.2f s |" % cpu)
    print("| CPU per series | %.3f ms |" % (per * 1000))
    print("| forecast rows written / NaN or inf | %d / %d |" % (rows, bad))
    print("| R ets() mean s/series, whole set (r_reference.csv) | %.4f s |" %
          r_all)
    print("| R ets() mean s/series, weekly group | %.4f s |" % r_week)
    print("| speed-up vs R ets, whole-set mean | %.0fx |" % (r_all / per))
    print("| speed-up vs R ets, weekly-group mean | %.0fx |" % (r_week / per))
    print("| target: 10 000 series under 60 s wall | %s |" %
          ("met" if wall * 10000 / n < 60 else "MISSED"))
    print("| target: 100x R ets per series, whole-set / weekly-group mean "
          "| %s / %s |" % ("met" if r_all / per >= 100 else "MISSED",
                           "met" if r_week / per >= 100 else "MISSED"))
    for p in parts + outs:
        os.unlink(p)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("accuracy")
    a.add_argument("--bin", required=True)
    a.add_argument("--data", required=True)
    a.add_argument("--jobs", type=int, default=2)
    a.add_argument("--out")
    g = sub.add_parser("generate")
    g.add_argument("--count", type=int, default=10000)
    g.add_argument("--length", type=int, default=156)
    g.add_argument("--seed", type=int, default=20240601)
    g.add_argument("--out", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--bin", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--input", required=True)
    s.add_argument("--procs", type=int, default=2)
    s.add_argument("--length", type=int, default=156)
    args = ap.parse_args()
    {"accuracy": accuracy, "generate": generate, "speed": speed}[args.cmd](args)


if __name__ == "__main__":
    main()
