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


ORIGINS = 4


def origins_of(n_full, h, count=ORIGINS):
    """Rolling forecast origins of a series of n_full values (train + test):
    the last `count` windows of h values, stepping back by h, each fit on at
    least max(2h, 10) values. The latest origin is the README's split."""
    least = max(2 * h, 10)
    return [n_full - k * h for k in range(1, count + 1)
            if n_full - k * h >= least]


def load_set(data):
    """index rows and {id: full series (train + test)} of a data set."""
    index = list(csv.DictReader(open(os.path.join(data, "index.csv"))))
    full = {}
    for row in index:
        full[row["id"]] = (
            read_values(os.path.join(data, "train", row["id"] + ".csv")) +
            read_values(os.path.join(data, "test", row["id"] + ".csv")))
    return index, full


def subsample(index, every):
    """Every `every`-th series of each group of more than 20 series (the
    intermittent groups and generated sets); all of the smaller groups."""
    seen, kept, size = {}, [], {}
    for row in index:
        size[group_of(row)] = size.get(group_of(row), 0) + 1
    for row in index:
        g = group_of(row)
        if size[g] <= 20 or seen.get(g, 0) % max(every, 1) == 0:
            kept.append(row)
        seen[g] = seen.get(g, 0) + 1
    return kept


def tasks(args):
    """Writes the rolling-origin fits of the data sets for bench/forecast_ref.R."""
    with open(args.out, "w") as f:
        f.write("id,dir,origin,period,horizon,group,arima_limit\n")
        for data, every, limit in zip(args.data, args.every, args.arima_limit):
            index, full = load_set(data)
            # the groups that matter most first, so that a run cut short
            # still has them: weekly, the other regular groups, then the
            # intermittent ones (R's croston takes up to 2 s a fit)
            order = ["weekly", "monthly", "quarterly", "yearly", "daily"]
            rows = sorted(subsample(index, every), key=lambda r: (
                order.index(r["group"]) if r["group"] in order else 9))
            for row in rows:
                h = int(row["horizon"])
                # R's auto.arima with period 52 hits any sensible limit on
                # long series (32 s a fit on the development set)
                lim = 0 if int(row["period"]) > 24 else limit
                for o in origins_of(len(full[row["id"]]), h):
                    f.write("%s,%s,%d,%s,%d,%s,%g\n" % (
                        row["id"], os.path.abspath(data), o, row["period"], h,
                        row["group"], lim))


# ---- rolling-origin evaluation ---------------------------------------------

def batch_forecasts(binary, jobs, method, period, horizon, histories):
    """Forecasts of every history (list of value lists) by one batch CLI
    run per chunk, `jobs` chunks at once; returns a list of row lists. A
    history with negative values is shifted up by -min and back."""
    shifts = [-min(x) if min(x) < 0 else 0.0 for x in histories]
    chunks = [list(range(i, len(histories), jobs)) for i in range(jobs)]

    def run(idx):
        text = "".join(",".join("%.17g" % (v + shifts[i]) for v in
                                histories[i]) + "\n" for i in idx)
        proc = subprocess.run([binary, "--batch", "--period", str(period),
                               "--horizon", str(horizon), "--method", method],
                              input=text.encode(), capture_output=True)
        if proc.returncode != 0:
            raise RuntimeError("%s: %s" % (method, proc.stderr.decode()))
        out = [[] for _ in idx]
        for line in proc.stdout.decode().split("\n")[1:]:
            if line:
                f = line.split(",")
                k = int(f[0]) - 1
                out[k].append([float(x) - shifts[idx[k]] for x in f[2:]])
        return idx, out

    result = [None] * len(histories)
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        for idx, out in pool.map(run, [c for c in chunks if c]):
            for i, rows in zip(idx, out):
                result[i] = rows
    return result


def scale_period(row, n_train):
    """m for MASE/RMSSE: the period (1 for intermittent), or 1 when the
    history holds no full period of differences."""
    m = 1 if row["group"] == "intermittent" else int(row["period"])
    return m if n_train > m else 1


def rolling_ours(args, index, full, methods):
    """{(id, origin, method): score tuple} of our CLI's methods."""
    table = {}
    for method in methods:
        keys = {}
        for row in index:
            if method == "snaive" and int(row["period"]) == 1:
                continue
            if method in ("croston", "sba", "tsb") and \
                    row["group"] != "intermittent":
                continue
            h = int(row["horizon"])
            for o in origins_of(len(full[row["id"]]), h):
                keys.setdefault((row["period"], h), []).append((row, o))
        for (period, h), items in keys.items():
            fcs = batch_forecasts(args.bin, args.jobs, method, period, h,
                                  [full[r["id"]][:o] for r, o in items])
            for (row, o), fc in zip(items, fcs):
                y = full[row["id"]]
                table[(row["id"], o, method)] = score(
                    y[:o], y[o:o + h], fc, scale_period(row, o)) + (0.0,)
                if args.keep_forecasts is not None:
                    args.keep_forecasts[(row["id"], o, method)] = fc
    return table


def read_rolling_ref(path):
    ref = {}
    if not os.path.exists(path):
        return ref
    for r in csv.DictReader(open(path)):
        vals = tuple(float("nan") if r[k] == "NA" else float(r[k]) for k in
                     ["mase", "rmsse", "smape", "cov80", "cov95", "seconds"])
        ref[(r["id"], int(r["origin"]), r["method"])] = vals
    return ref


def per_series(table, index, full, method):
    """{id: mean score tuple over its origins}; a series with a missing or
    NaN MASE/RMSSE at any origin is left out."""
    out = {}
    for row in index:
        h = int(row["horizon"])
        rows = [table.get((row["id"], o, method)) for o in
                origins_of(len(full[row["id"]]), h)]
        if not rows or any(r is None or math.isnan(r[1]) for r in rows):
            continue
        out[row["id"]] = tuple(mean([r[k] for r in rows]) for k in range(6))
    return out


def bootstrap(values, reps=2000, seed=16):
    """Mean and 95 % percentile bootstrap interval over the values."""
    rng = random.Random(seed)
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n
                   for _ in range(reps))
    return (sum(values) / n, means[int(0.025 * reps)],
            means[int(0.975 * reps) - 1])


def fmt_ci(v, digits=3):
    m, lo, hi = v
    return "%s [%s, %s]" % (fmt(m, digits), fmt(lo, digits), fmt(hi, digits))


def rolling_report(index, full, ours, ref, our_names, title):
    """Per group: each method's mean with bootstrap CIs, then auto against
    R's best (paired differences over series)."""
    print("\n## %s\n" % title)
    groups = [g for g in GROUPS + ["weekly-generated"]
              if any(group_of2(r) == g for r in index)]
    summary_rows = []
    for g in groups:
        rows = [r for r in index if group_of2(r) == g]
        ids = [r["id"] for r in rows]
        key = 1 if g.startswith("intermittent") else 0
        n_or = sum(len(origins_of(len(full[i]), int(r["horizon"])))
                   for i, r in zip(ids, rows))
        print("### %s (%d series, %d origins)\n" % (g, len(ids), n_or))
        print("| method | series | MASE [95 % CI] | RMSSE [95 % CI] | sMAPE |"
              " cov80 [95 % CI] | cov95 [95 % CI] |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        scored = {}
        for name, table, m in ([("ours " + m, ours, m) for m in our_names] +
                               [("R " + m, ref, m) for m in R_METHODS]):
            ps = per_series(table, rows, full, m)
            if not ps:
                continue
            scored[name] = ps
            vals = [ps[i] for i in ids if i in ps]
            if SUMMARY is not None and len(vals) == len(ids):
                SUMMARY.append((title, g, name, bootstrap(
                    [v[key] for v in vals]), "RMSSE" if key else "MASE"))
            print("| %s | %d | %s | %s | %s | %s | %s |" % (
                name, len(vals), fmt_ci(bootstrap([v[0] for v in vals])),
                fmt_ci(bootstrap([v[1] for v in vals])),
                fmt(mean([v[2] for v in vals]), 2),
                fmt_ci(bootstrap([v[3] for v in vals])),
                fmt_ci(bootstrap([v[4] for v in vals]))))
        print()
        complete = [n for n in scored if n.startswith("R ") and
                    len(scored[n]) == len(ids)]
        if "ours auto" not in scored or not complete:
            continue
        best = min(complete, key=lambda n: mean([scored[n][i][key]
                                                 for i in ids]))
        both = [i for i in ids if i in scored["ours auto"]]
        diff = bootstrap([scored["ours auto"][i][key] - scored[best][i][key]
                          for i in both])
        a = scored["ours auto"]
        summary_rows.append((g, len(ids), key, bootstrap([a[i][key] for i in both]),
                             best, bootstrap([scored[best][i][key] for i in both]),
                             diff, bootstrap([a[i][3] for i in both]),
                             bootstrap([a[i][4] for i in both])))
    print("### Summary: auto against R's best method (paired over series)\n")
    print("| group | series | score | auto | R best | auto - R best [95 % CI] |"
          " verdict | auto cov80 | auto cov95 | coverage within 5 points |")
    print("|---|---:|---|---:|---:|---:|---|---:|---:|---|")
    for g, n, key, a, best, b, d, c80, c95 in summary_rows:
        verdict = ("better" if d[2] < 0 else "worse" if d[1] > 0 else "tie")
        cov_ok = abs(c80[0] - 0.8) <= 0.05 and abs(c95[0] - 0.95) <= 0.05
        print("| %s | %d | %s | %s | %s (%s) | %s | %s | %s | %s | %s |" % (
            g, n, "RMSSE" if key else "MASE", fmt(a[0]), fmt(b[0]),
            best[2:], fmt_ci(d), verdict, fmt_ci(c80), fmt_ci(c95),
            "met" if cov_ok else "MISSED"))
    print()


SUMMARY = None


def group_of2(row):
    if row["kind"] == "generated":
        return "weekly-generated"
    return group_of(row)


def rolling(args):
    args.keep_forecasts = {} if args.dump else None
    index, full = load_set(args.data)
    index = subsample(index, args.every)
    methods = args.methods.split(",")
    ours = rolling_ours(args, index, full, methods)
    ref = read_rolling_ref(args.ref) if args.ref else {}
    if ref:  # compare on the series R covers at every origin
        covered = {}
        for sid, o, _ in ref:
            covered.setdefault(sid, set()).add(o)
        index = [r for r in index if set(origins_of(
            len(full[r["id"]]), int(r["horizon"]))) <= covered.get(r["id"], set())]
    if args.dump:
        with open(args.dump, "w") as f:
            f.write("id,origin,method,step,point,lo80,hi80,lo95,hi95\n")
            for (sid, o, m), fc in sorted(args.keep_forecasts.items()):
                for k, r in enumerate(fc):
                    f.write("%s,%d,%s,%d,%s\n" % (sid, o, m, k + 1, ",".join(
                        "%.10g" % x for x in r)))
    global SUMMARY
    SUMMARY = [] if args.summary else None
    rolling_report(index, full, ours, ref, methods, args.title)
    if args.summary:
        new = not os.path.exists(args.summary)
        with open(args.summary, "a") as f:
            if new:
                f.write("set,group,method,score,mean,lo,hi\n")
            for t, g, name, (m, lo, hi), sc in SUMMARY:
                f.write('"%s",%s,%s,%s,%.4f,%.4f,%.4f\n' % (t, g, name, sc,
                                                           m, lo, hi))


def rscore(args):
    """Scores R's forecasts (bench/forecast_ref.R's output) into the
    reference table: id,origin,method,mase,rmsse,smape,cov80,cov95,seconds."""
    sets = [load_set(d) for d in args.data]
    rows_by_id = {r["id"]: (r, full) for index, full in sets for r in index}
    fc, secs = {}, {}
    for r in csv.DictReader(open(args.forecasts)):
        k = (r["id"], int(r["origin"]), r["method"])
        fc.setdefault(k, []).append([float("nan") if r[c] == "NA" else
                                     float(r[c]) for c in
                                     ["point", "lo80", "hi80", "lo95", "hi95"]])
        secs[k] = float(r["seconds"])
    with open(args.out, "w") as f:
        f.write("id,origin,method,mase,rmsse,smape,cov80,cov95,seconds\n")
        for k in sorted(fc):
            if k[0] not in rows_by_id:
                continue
            row, full = rows_by_id[k[0]]
            y, o, h = full[k[0]], k[1], int(row["horizon"])
            rows = fc[k]
            if any(math.isnan(r[0]) for r in rows):
                vals = [float("nan")] * 5
            else:
                vals = list(score(y[:o], y[o:o + h], rows,
                                  scale_period(row, o)))
                if math.isnan(rows[0][1]):
                    vals[3] = vals[4] = float("nan")
            f.write("%s,%d,%s,%s,%.4f\n" % (k + (",".join(
                "NA" if math.isnan(v) else "%.6g" % v for v in vals),
                secs[k])))


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
    t = sub.add_parser("tasks")
    t.add_argument("--data", action="append", required=True)
    t.add_argument("--every", action="append", type=int, required=True)
    t.add_argument("--arima-limit", action="append", type=float,
                   required=True)
    t.add_argument("--out", required=True)
    r = sub.add_parser("rolling")
    r.add_argument("--bin", required=True)
    r.add_argument("--data", required=True)
    r.add_argument("--ref")
    r.add_argument("--jobs", type=int, default=2)
    r.add_argument("--every", type=int, default=1)
    r.add_argument("--methods", default="auto,ets,theta,arima,naive,snaive")
    r.add_argument("--title", default="Rolling-origin accuracy")
    r.add_argument("--dump")
    r.add_argument("--summary", help="append per-group means and CIs here")
    c = sub.add_parser("rscore")
    c.add_argument("--data", action="append", required=True)
    c.add_argument("--forecasts", required=True)
    c.add_argument("--out", required=True)
    args = ap.parse_args()
    {"rolling": rolling, "rscore": rscore, "tasks": tasks, "accuracy": accuracy, "generate": generate, "speed": speed}[args.cmd](args)


if __name__ == "__main__":
    main()
