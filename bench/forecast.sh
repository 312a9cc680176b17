#!/usr/bin/env bash
# bench/forecast.sh: accuracy and speed benchmark of the forecasting engine.
#
# 1. Builds the release tree build/ if needed (meson + ninja).
# 2. Accuracy: runs build/lib/forecast/sentia-forecast over every series of the
#    development set (FORECAST_DEV, default <repo>/../shared/forecast-dev)
#    with the README protocol and prints our figures beside R's.
# 3. Speed: 10 000 reproducible weekly series of 156 points (fixed seed),
#    auto mode, batch CLI, FORECAST_PROCS (default 2) processes at once.
# Scratch files go to build/bench-forecast/. Needs bash and /usr/bin/python3
# (standard library only).
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
data=${FORECAST_DEV:-$root/../shared/forecast-dev}
procs=${FORECAST_PROCS:-2}
count=${FORECAST_SPEED_SERIES:-10000}
py=/usr/bin/python3
out=$root/build/bench-forecast

if [ ! -f "$root/build/build.ninja" ]; then
    meson setup "$root/build" "$root" --buildtype=release >/dev/null
fi
ninja -C "$root/build" lib/forecast/sentia-forecast >/dev/null
bin=$root/build/lib/forecast/sentia-forecast
mkdir -p "$out"

echo "# sentia-forecast benchmark"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
echo "data: $data"

"$py" "$root/bench/forecast.py" accuracy --bin "$bin" --data "$data" \
    --jobs "$procs" --out "$out/accuracy.csv"

"$py" "$root/bench/forecast.py" generate --count "$count" --length 156 \
    --seed 20240601 --out "$out/weekly.csv"
"$py" "$root/bench/forecast.py" speed --bin "$bin" --data "$data" \
    --input "$out/weekly.csv" --procs "$procs" --length 156
