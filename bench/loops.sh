#!/usr/bin/env bash
# bench/loops.sh: h2o's libuv build against its evloop build (issue 15).
#
# bench/h2o_loops.c built twice (build/bench/h2o_loops_uv, h2o_loops_evloop):
# the same server, the same work per request, only the event loop differs.
# Per build, in rounds that alternate the builds (RUNS, 3), on a private
# Redis (AOF on, as in production):
#   GET /health   answered in the handler, no I/O;
#   POST /hook    one LPUSH per request, answered when Redis replied (the
#                 shape of Sentia's webhook path, without its parsing,
#                 signature check and script);
# wrk -t2 -c64 for DURATION s (8) each: req/s, p50/p99, the server's CPU µs
# per request; then a short run (3 s) of each under `perf stat` for the
# syscalls per request by kind (skipped without perf).
# Knobs: RUNS, DURATION, CONNS (64), THREADS (server threads, 2).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$BENCH_ROOT"
RUNS=${RUNS:-3}
DURATION=${DURATION:-8}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
SYSCALLS=(epoll_ctl epoll_wait read write writev recvfrom sendto sendmsg accept4)
bench_require bench/h2o_loops_uv
[ -x "$BENCH_BUILD/bench/h2o_loops_evloop" ] || {
  echo "loops: h2o_loops_evloop not built: install libh2o-evloop-dev, then meson setup --reconfigure build" >&2; exit 1; }

cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1e6 / hz }' "/proc/$1/stat"; }
field() { sed -nE "s/.*[ ]$1=([^ ]+).*/\1/p" <<<"$2"; }

# wrk_run PID URL SCRIPT SECONDS: one RESULT line plus " cpu_us=<µs per request>".
wrk_run() {
  local c0 c1 out
  c0=$(cpu_us "$1")
  out=$(wrk -t2 -c"$CONNS" -d"$4s" --latency -s "$3" "$2" | grep '^RESULT')
  c1=$(cpu_us "$1")
  printf '%s cpu_us=%s\n' "$out" "$(awk -v a="$c0" -v b="$c1" -v n="$(field requests "$out")" 'BEGIN { printf "%.1f", (b - a) / n }')"
}

# syscalls_per_req PID URL SCRIPT: "epoll_ctl=… …" per request over a 3 s run under perf stat.
syscalls_per_req() {
  command -v perf >/dev/null || { echo "perf=missing"; return; }
  local ev="" s out reqs
  for s in "${SYSCALLS[@]}"; do ev+="syscalls:sys_enter_$s,"; done
  perf stat -x, -e "${ev%,}" -p "$1" -o "$WORK/perf.txt" -- sleep 3.5 >/dev/null 2>&1 &
  local pp=$!
  sleep 0.25
  out=$(wrk -t2 -c"$CONNS" -d3s -s "$3" "$2" | grep '^RESULT')
  wait "$pp" || { echo "perf=refused"; return; }
  reqs=$(field requests "$out")
  awk -F, -v n="$reqs" '/sys_enter_/ { sub(/.*sys_enter_/, "", $3); t += $1; printf "%s=%.2f ", $3, $1 / n } END { printf "total=%.2f\n", t / n }' "$WORK/perf.txt"
}

WORK=$(mktemp -d -p /tmp --suffix=.sentia-loops)
BENCH_DIRS+=("$WORK")
bench_redis
bench_machine
echo "wrk -t2 -c$CONNS, ${DURATION}s per run; server threads $THREADS; Redis AOF everysec"
for run in $(seq 1 "$RUNS"); do
  for build in uv evloop; do
    port=$(bench_free_port)
    REDIS_PASSWORD="$REDISCLI_AUTH" "$BENCH_BUILD/bench/h2o_loops_$build" "$port" "$BENCH_REDIS_PORT" "$THREADS" &
    pid=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.05; done
    h=$(wrk_run "$pid" "http://127.0.0.1:$port/health" bench/health.lua "$DURATION")
    p=$(wrk_run "$pid" "http://127.0.0.1:$port/hook" bench/loops_post.lua "$DURATION")
    hs=$(syscalls_per_req "$pid" "http://127.0.0.1:$port/health" bench/health.lua)
    ps=$(syscalls_per_req "$pid" "http://127.0.0.1:$port/hook" bench/loops_post.lua)
    kill "$pid"; wait "$pid" 2>/dev/null || true
    printf '\n== run %s, %s build; %s\n' "$run" "$build" "$(bench_load)"
    printf '  GET /health  %7s req/s  p50 %s ms  p99 %s ms  %s µs CPU/req  syscalls/req: %s\n' \
      "$(field rps "$h")" "$(field p50_ms "$h")" "$(field p99_ms "$h")" "$(field cpu_us "$h")" "$hs"
    printf '  POST /hook   %7s req/s  p50 %s ms  p99 %s ms  %s µs CPU/req  syscalls/req: %s\n' \
      "$(field rps "$p")" "$(field p50_ms "$p")" "$(field p99_ms "$p")" "$(field cpu_us "$p")" "$ps"
  done
done
echo; echo "LPUSHed: $(redis-cli -p "$BENCH_REDIS_PORT" llen loops:hook) requests"
