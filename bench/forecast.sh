#!/usr/bin/env bash
# bench/forecast.sh: accuracy and speed benchmark of the forecasting engine.
#
# 1. Builds the release tree build/ if needed (meson + ninja).
# 2. Generates the weekly demand sets (bench/forecast_gen.py, fixed seeds):
#    weekly-tune (200 series, seed 1601) to develop on, weekly-score (100
#    series, seed 1602) to score on only.
# 3. Single origin: every series of the development set (FORECAST_DEV,
#    default <repo>/../shared/forecast-dev) with its README protocol, our
#    figures beside R's r_reference.csv.
# 4. Rolling origins (the last 4 windows of the horizon, each fit on at
#    least max(2h, 10) values; bench/forecast.py origins_of): the
#    development set (every 3rd intermittent series), weekly-score and
#    weekly-real (17 real weekly series of Debian's R packages that the
#    development set lacks, stored in bench/forecast-ref/weekly-real/ by
#    bench/forecast_real_weekly.R), against R forecast's methods under the same protocol from
#    bench/forecast-ref/, with 95 % bootstrap intervals over series and
#    auto - R's best paired over series. FORECAST_TUNE=1 adds weekly-tune
#    (our methods only).
# 5. Speed: 10 000 reproducible weekly series of 156 points (fixed seed),
#    auto mode, batch CLI, FORECAST_PROCS (default 2) processes at once.
#
# FORECAST_R_REF=1 first recomputes the R reference (bench/forecast_ref.R;
# installs Debian's r-cran-forecast when Rscript is missing; hours of CPU on
# a busy machine, mostly auto.arima) and rewrites bench/forecast-ref/.
# Scratch files go to build/bench-forecast/. Needs bash and /usr/bin/python3
# (standard library only).
set -euo pipefail

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
data=${FORECAST_DEV:-$root/../shared/forecast-dev}
procs=${FORECAST_PROCS:-2}
count=${FORECAST_SPEED_SERIES:-10000}
py=/usr/bin/python3
out=$root/build/bench-forecast
ref=$root/bench/forecast-ref
fpy=$root/bench/forecast.py

if [ ! -f "$root/build/build.ninja" ]; then
    meson setup "$root/build" "$root" --buildtype=release >/dev/null
fi
ninja -C "$root/build" lib/forecast/sentia-forecast >/dev/null
bin=$root/build/lib/forecast/sentia-forecast
mkdir -p "$out"

"$py" "$root/bench/forecast_gen.py" --out "$out/weekly-tune" --count 200 \
    --seed 1601 --prefix gt
"$py" "$root/bench/forecast_gen.py" --out "$out/weekly-score" --count 100 \
    --seed 1602 --prefix gs

if [ "${FORECAST_R_REF:-0}" = 1 ]; then
    command -v Rscript >/dev/null || apt-get install -y --no-install-recommends r-cran-forecast
    "$py" "$fpy" tasks --data "$out/weekly-score" --every 1 --arima-limit 0 \
        --data "$ref/weekly-real" --every 1 --arima-limit 0 \
        --data "$data" --every 3 --arima-limit 5 --out "$out/rtasks.csv"
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
        Rscript "$root/bench/forecast_ref.R" "$out/rtasks.csv" "$out/rforecasts.csv"
    mkdir -p "$ref"
    "$py" "$fpy" rscore --data "$data" --forecasts "$out/rforecasts.csv" \
        --out "$ref/r_rolling_dev.csv"
    "$py" "$fpy" rscore --data "$out/weekly-score" \
        --forecasts "$out/rforecasts.csv" --out "$ref/r_rolling_weekly_score.csv"
    "$py" "$fpy" rscore --data "$ref/weekly-real" \
        --forecasts "$out/rforecasts.csv" --out "$ref/r_rolling_weekly_real.csv"
fi

echo "# sentia-forecast benchmark"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
echo "data: $data"

"$py" "$fpy" accuracy --bin "$bin" --data "$data" \
    --jobs "$procs" --out "$out/accuracy.csv"

"$py" "$fpy" rolling --bin "$bin" --data "$data" --every 3 --jobs "$procs" \
    --ref "$ref/r_rolling_dev.csv" --methods auto,ets,theta,arima,snaive,croston,tsb \
    --title "Rolling origins: development set (every 3rd intermittent series)"
"$py" "$fpy" rolling --bin "$bin" --data "$out/weekly-score" --jobs "$procs" \
    --ref "$ref/r_rolling_weekly_score.csv" --methods auto,ets,theta,snaive \
    --title "Rolling origins: weekly-score (generated, held apart)"
"$py" "$fpy" rolling --bin "$bin" --data "$ref/weekly-real" --jobs "$procs" \
    --ref "$ref/r_rolling_weekly_real.csv" --methods auto,ets,theta,arima,snaive \
    --title "Rolling origins: weekly-real (real, held apart)"
if [ "${FORECAST_TUNE:-0}" = 1 ]; then
    "$py" "$fpy" rolling --bin "$bin" --data "$out/weekly-tune" --jobs "$procs" \
        --methods auto,ets,theta,arima,snaive \
        --title "Rolling origins: weekly-tune (generated, developed on)"
fi

"$py" "$fpy" generate --count "$count" --length 156 \
    --seed 20240601 --out "$out/weekly.csv"
"$py" "$fpy" speed --bin "$bin" --data "$data" \
    --input "$out/weekly.csv" --procs "$procs" --length 156
