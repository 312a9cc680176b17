#!/usr/bin/python3
"""bench/forecast_gen.py: reproducible manufacturer-like weekly demand series.

Writes a data set in the layout of the development set (index.csv, train/,
test/) plus truth/<id>.csv, the expected demand of every week (history and
test), so that accuracy against the truth is known too. Python standard
library only; the same seed gives byte-identical files.

Each series (period 52, horizon 13) is drawn as:
  length     1-4 years of history (52-208 weeks) plus the 13 test weeks,
             starting in any week of the year (mid-year starts);
  level      log-uniform, 10 to 3000 units a week;
  season     none (a quarter of the series) or 1-3 yearly harmonics plus,
             for half of the seasonal ones, a year-end peak or dip, scaled
             to a strength of 5-60 % of the level; the year is 52.18 weeks
             long, so the season drifts against a 52-week period;
  trend      none (40 %) or -30 % to +50 % a year, compounding;
  level shift 30 %: once, by a factor 0.6-1.6, at a random week;
  promotions 40 %: each week starts a 1-2 week promotion with chance 3 %,
             lifting demand 1.3-2.5x and followed by a week at 0.8x;
  noise      Poisson demand with a gamma-distributed rate (negative
             binomial), shape 5-100: counts at low levels, 10-45 % noise at
             high ones;
  stock-outs 25 %: each week starts a 1-3 week stock-out with chance 1.5 %;
             sales are then 0-30 % of demand (the truth stays the demand).

Usage: forecast_gen.py --out DIR --count N --seed S --prefix NAME
"""
import argparse
import math
import os
import random

PERIOD = 52
HORIZON = 13
YEAR = 365.25 / 7.0  # 52.18 weeks


def poisson(rng, lam):
    """Poisson deviate: Knuth's product method below 30, else normal."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


def season_profile(rng):
    """A function week -> multiplicative yearly factor (mean about 1)."""
    if rng.random() < 0.25:
        return lambda t: 1.0, 0.0
    harmonics = [(k, rng.uniform(0.2, 1.0) / k, rng.uniform(0, 2 * math.pi))
                 for k in range(1, rng.randint(1, 3) + 1)]
    peak = rng.choice([0.0, 0.0, 1.5, -1.0])
    raw = []
    for w in range(520):
        x = sum(a * math.sin(2 * math.pi * k * w / YEAR + ph)
                for k, a, ph in harmonics)
        day = (w % YEAR) / YEAR
        if peak and day > 0.94:
            x += peak
        raw.append(x)
    top = max(abs(x) for x in raw) or 1.0
    strength = rng.uniform(0.05, 0.6)
    return (lambda t: max(0.05, 1.0 + strength * raw[t] / top)), strength


def series(rng):
    """(values, truth, description) of one series."""
    n = rng.randint(PERIOD, 4 * PERIOD) + HORIZON
    start = rng.randint(0, PERIOD - 1)
    level = math.exp(rng.uniform(math.log(10), math.log(3000)))
    season, strength = season_profile(rng)
    growth = 0.0 if rng.random() < 0.4 else rng.uniform(-0.3, 0.5)
    shift_at = rng.randint(1, n - 1) if rng.random() < 0.3 else n
    shift = rng.uniform(0.6, 1.6)
    promo = rng.random() < 0.4
    stockout = rng.random() < 0.25
    shape = math.exp(rng.uniform(math.log(5), math.log(100)))
    truth, values = [], []
    promo_left = dip = out_left = 0
    for t in range(n):
        mu = level * (1 + growth) ** (t / YEAR) * season(start + t)
        mu *= shift if t >= shift_at else 1.0
        if promo and promo_left == 0 and rng.random() < 0.03:
            promo_left, lift = rng.randint(1, 2), rng.uniform(1.3, 2.5)
        if promo_left > 0:
            mu *= lift
            promo_left -= 1
            dip = promo_left == 0
        elif dip:
            mu *= 0.8
            dip = False
        rate = mu * rng.gammavariate(shape, 1.0 / shape)
        sales = poisson(rng, rate)
        if stockout and out_left == 0 and rng.random() < 0.015:
            out_left, keep = rng.randint(1, 3), rng.uniform(0.0, 0.3)
        if out_left > 0:
            sales = int(sales * keep)
            out_left -= 1
        truth.append(mu)
        values.append(sales)
    desc = ("weeks %d start %d level %.0f season %.2f growth %+.2f shift %s "
            "promo %s stockout %s shape %.0f" % (
                n - HORIZON, start, level, strength, growth,
                "%.2f@%d" % (shift, shift_at) if shift_at < n else "no",
                "yes" if promo else "no", "yes" if stockout else "no", shape))
    return values, truth, desc


def write_lines(path, xs, fmt):
    with open(path, "w") as f:
        f.writelines(fmt % x + "\n" for x in xs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--prefix", required=True)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    for sub in ("train", "test", "truth"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    with open(os.path.join(args.out, "index.csv"), "w") as idx:
        idx.write("id,period,horizon,group,kind,source\n")
        for i in range(1, args.count + 1):
            sid = "%s_%04d" % (args.prefix, i)
            values, truth, desc = series(rng)
            write_lines(os.path.join(args.out, "train", sid + ".csv"),
                        values[:-HORIZON], "%d")
            write_lines(os.path.join(args.out, "test", sid + ".csv"),
                        values[-HORIZON:], "%d")
            write_lines(os.path.join(args.out, "truth", sid + ".csv"), truth,
                        "%.4f")
            idx.write("%s,%d,%d,weekly,generated,forecast_gen.py seed %d: %s\n"
                      % (sid, PERIOD, HORIZON, args.seed, desc))


if __name__ == "__main__":
    main()
