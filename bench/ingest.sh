#!/usr/bin/env bash
# bench/ingest.sh: webhook ingest throughput of sentia-api (release build).
#
# Starts a private Redis (AOF on, noeviction, as in production) and
# sentia-api on free ports, then measures, in one run on this machine:
#   1. redis-benchmark -t lpush -c 50: the Redis LPUSH ceiling, for scale;
#   2. wrk on GET /health: the HTTP ceiling without I/O;
#   3. wrk posting signed Twilio inbound webhooks, each with a new MessageSid
#      (bench/ingest_twilio.lua), 64 connections for 10 s, in each mode of
#      MODES: "presigned" (bodies and signatures built before the clock
#      starts, so wrk does no crypto) and "signed" (signed per request);
# and prints per mode: req/s, p50/p99/p99.9, non-2xx, jobs stored against
# requests the API answered 200 on the route (from /metrics: they must be
# equal, in-flight requests at wrk's stop included), CPU time per request of
# the API and of Redis (steadier than req/s on a shared machine), the load
# average, the API's resident memory (peak) and ingest as a share of LPUSH.
# Knobs: DURATION (s, 10), CONNS (64), WRK_THREADS (2), API_THREADS (cores),
# LOG_LEVEL (info: the access log is on, as in production), API_BIN,
# MODES ("presigned signed"), LPUSH_N (redis-benchmark requests, 1000000),
# APPENDFSYNC (everysec; "always" is the durability mode), PRESIGN_RATE
# (pre-signed requests per wrk thread and second of DURATION, 30000),
# SYSCALLS=1 (the API's syscalls per request by kind, from `perf stat` over
# the whole wrk run, pre-signing included: off by default, it costs a little).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
API_BIN=${API_BIN:-build/api/sentia-api}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
MODES=${MODES:-presigned signed}
LPUSH_N=${LPUSH_N:-1000000}
APPENDFSYNC=${APPENDFSYNC:-everysec}
PRESIGN_RATE=${PRESIGN_RATE:-30000}
SYSCALLS=${SYSCALLS:-0}
SYSCALL_KINDS=(epoll_ctl epoll_wait read write writev getpid futex)
TOKEN=bench-twilio-token
PREFIX=bench$$
METRICS_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

[ -x "$API_BIN" ] || { echo "ingest: $API_BIN not built (./dev bench ingest builds it)" >&2; exit 1; }
for tool in wrk redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "ingest: $tool missing" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { sed -nE "s/.*[ ]$1=([^ ]+).*/\1/p" <<<"$2"; }
# CPU time (user + system) a process has used, in microseconds.
cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1e6 / hz }' "/proc/$1/stat"; }
# The whole machine's busy CPU time so far (all cores, every process and the
# kernel), in microseconds, from /proc/stat; and its idle time.
machine_busy_us() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.0f", ($2 + $3 + $4 + $7 + $8 + $9) * 1e6 / hz }' /proc/stat; }
machine_idle_us() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / { printf "%.0f", ($5 + $6) * 1e6 / hz }' /proc/stat; }
# cpu_per_req BEFORE AFTER REQUESTS: microseconds of CPU per request.
cpu_per_req() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { printf "%.1f", (b - a) / n }'; }

WORK=$(mktemp -d -p /tmp --suffix=.sentia-ingest)
RP=$(free_port)
AP=$(free_port)
API_PID=""
cleanup() {
  [ -n "$API_PID" ] && kill -TERM "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null || true
  redis-cli -p "$RP" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT # so that cleanup runs when the run is stopped

# A password (docs/SECURITY.md), on stdin: redis-cli reads REDISCLI_AUTH;
# redis-benchmark only takes -a.
export REDISCLI_AUTH; REDISCLI_AUTH=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf 'requirepass %s\n' "$REDISCLI_AUTH" | redis-server - --port "$RP" --bind 127.0.0.1 --dir "$WORK" \
  --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" \
  --appendonly yes --appendfsync "$APPENDFSYNC" --maxmemory-policy noeviction --save '' >/dev/null 2>&1
for _ in $(seq 1 100); do [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done

env -i PATH="$PATH" APP_ENV=production LOG_LEVEL="${LOG_LEVEL:-info}" PORT="$AP" \
  API_THREADS="${API_THREADS:-0}" REDIS_URL="redis://:$REDISCLI_AUTH@127.0.0.1:$RP/0" QUEUE_PREFIX="$PREFIX" \
  PUBLIC_BASE_URL="http://127.0.0.1:$AP" TWILIO_AUTH_TOKEN="$TOKEN" \
  SHOPIFY_WEBHOOK_SECRET=bench XERO_WEBHOOK_KEY=bench RATE_LIMIT_PER_IP=0 METRICS_TOKEN="$METRICS_TOKEN" \
  "$API_BIN" >"$WORK/api.log" 2>"$WORK/api.err" &
API_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$AP/health/ready" >/dev/null 2>&1 && break; sleep 0.05
done
curl -sf "http://127.0.0.1:$AP/health/ready" >/dev/null || { cat "$WORK/api.err" >&2; exit 1; }

load() { cut -d' ' -f1-3 /proc/loadavg; }
# Script calls Redis has run so far (EVALSHA): the group commit sends fewer than one per request.
script_calls() { redis-cli -p "$RP" info commandstats | sed -nE 's/^cmdstat_evalsha:calls=([0-9]+).*/\1/p'; }
# Requests the API answered 200 on the webhook route, from /metrics.
answered_200() {
  curl -sf -H "Authorization: Bearer $METRICS_TOKEN" "http://127.0.0.1:$AP/metrics" |
    awk '/^sentia_http_requests_total\{/ && /status="200"/ && /whatsapp\/webhook/ { n += $2 } END { print n + 0 }'
}

echo "== machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== load average before: $(load); Redis appendfsync $APPENDFSYNC"
echo "== redis-benchmark -t lpush -c 50 -n $LPUSH_N (AOF on)"
LPUSH=$(redis-benchmark -p "$RP" -a "$REDISCLI_AUTH" -t lpush -c 50 -n "$LPUSH_N" -q 2>/dev/null | tr '\r' '\n' | grep -E '^LPUSH:' | tail -1)
echo "$LPUSH"
LPUSH_RPS=$(sed -nE 's/^LPUSH: ([0-9.]+) requests per second.*/\1/p' <<<"$LPUSH")
redis-cli -p "$RP" del mylist >/dev/null

REDIS_PID=$(cat "$WORK/redis.pid")
echo "== wrk GET /health, $CONNS connections, ${DURATION}s"
API_CPU0=$(cpu_us "$API_PID")
HEALTH=$(wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/health.lua \
  "http://127.0.0.1:$AP/health" | grep '^RESULT')
echo "$HEALTH"
API_CPU1=$(cpu_us "$API_PID")
HEALTH_CPU=$(cpu_per_req "$API_CPU0" "$API_CPU1" "$(field requests "$HEALTH")")

SUMMARY=()
for MODE in $MODES; do
  case $MODE in
    presigned) PRESIGN=$((PRESIGN_RATE * DURATION)) ;;
    signed) PRESIGN=0 ;;
    *) echo "ingest: unknown mode $MODE (presigned, signed)" >&2; exit 1 ;;
  esac
  echo "== wrk POST /api/v1/whatsapp/webhook ($MODE, unique MessageSid), $CONNS connections, ${DURATION}s; load $(load)"
  JOBS0=$(redis-cli -p "$RP" llen "$PREFIX:{webhooks}:ready")
  OK0=$(answered_200)
  API_CPU1=$(cpu_us "$API_PID"); REDIS_CPU1=$(cpu_us "$REDIS_PID"); CALLS0=$(script_calls)
  PERF_PID=""
  if [ "$SYSCALLS" = 1 ] && command -v perf >/dev/null; then
    EV=""; for s in "${SYSCALL_KINDS[@]}"; do EV+="syscalls:sys_enter_$s,"; done
    perf stat -x, -e "${EV%,}" -p "$API_PID" -o "$WORK/perf.$MODE" >/dev/null 2>&1 &
    PERF_PID=$!
  fi
  # The machine's CPU is sampled once wrk's threads start sending (GO_FILE), not over pre-signing.
  rm -f "$WORK/go.$MODE"
  ( for _ in $(seq 1 6000); do [ -e "$WORK/go.$MODE" ] && break; sleep 0.01; done
    echo "$(machine_busy_us) $(machine_idle_us) $(cpu_us "$API_PID") $(cpu_us "$REDIS_PID")" >"$WORK/cpu0.$MODE" ) &
  SAMPLER=$!
  INGEST=$(SIGN_URL="http://127.0.0.1:$AP/api/v1/whatsapp/webhook" TWILIO_TOKEN="$TOKEN" \
    RUN_TAG="$$$MODE" PRESIGN="$PRESIGN" WRK_THREADS="$WRK_THREADS" GO_FILE="$WORK/go.$MODE" \
    wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/ingest_twilio.lua \
    "http://127.0.0.1:$AP/api/v1/whatsapp/webhook" | grep '^RESULT')
  echo "$INGEST"
  API_CPU2=$(cpu_us "$API_PID"); REDIS_CPU2=$(cpu_us "$REDIS_PID")
  BUSY2=$(machine_busy_us); IDLE2=$(machine_idle_us)
  wait "$SAMPLER" 2>/dev/null || true
  [ -n "$PERF_PID" ] && { kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true; }
  # Requests still in flight when wrk stopped are answered (and stored) after it.
  for _ in $(seq 1 50); do
    [ "$(redis-cli -p "$RP" llen "$PREFIX:{webhooks}:ready")" -ge "$(answered_200)" ] && break
    sleep 0.1
  done
  JOBS=$(( $(redis-cli -p "$RP" llen "$PREFIX:{webhooks}:ready") - JOBS0 ))
  CALLS=$(( $(script_calls) - ${CALLS0:-0} ))
  OK=$(( $(answered_200) - OK0 ))
  REQS=$(field requests "$INGEST")
  RPS=$(field rps "$INGEST")
  EXACT=$([ "$JOBS" -eq "$OK" ] && echo "exact" || echo "MISMATCH")
  SUMMARY+=("$(printf '%-34s %s req/s, p50 %s ms, p99 %s ms, p99.9 %s ms' "ingest ($MODE)" "$RPS" \
    "$(field p50_ms "$INGEST")" "$(field p99_ms "$INGEST")" "$(field p999_ms "$INGEST")")")
  SUMMARY+=("$(printf '%-34s %s stored / %s answered 200 (%s); wrk: %s requests, non-2xx %s, socket errors %s, presign exhausted %s' \
    "  jobs" "$JOBS" "$OK" "$EXACT" "$REQS" "$(field non2xx "$INGEST")" "$(field socket_errors "$INGEST")" \
    "$(field presign_exhausted "$INGEST")")")
  SUMMARY+=("$(printf '%-34s API %s µs, Redis %s µs; ingest / LPUSH %s; %s jobs per Redis script call' \
    "  CPU per request" \
    "$(cpu_per_req "$API_CPU1" "$API_CPU2" "$REQS")" "$(cpu_per_req "$REDIS_CPU1" "$REDIS_CPU2" "$REQS")" \
    "$(awk -v a="$RPS" -v b="$LPUSH_RPS" 'BEGIN { printf "%.2f", a / b }')" \
    "$(awk -v j="$JOBS" -v c="$CALLS" 'BEGIN { printf "%.1f", (c > 0 ? j / c : 0) }')")")
  if [ -s "$WORK/cpu0.$MODE" ]; then
    read -r BUSY1 IDLE1 API_CPUG REDIS_CPUG <"$WORK/cpu0.$MODE"
    SUMMARY+=("$(printf '%-34s %s µs per request in all (API %s, Redis %s, the rest — wrk and the kernel — %s); idle %s %%' \
      "  machine CPU from the first request" \
      "$(cpu_per_req "$BUSY1" "$BUSY2" "$REQS")" "$(cpu_per_req "$API_CPUG" "$API_CPU2" "$REQS")" \
      "$(cpu_per_req "$REDIS_CPUG" "$REDIS_CPU2" "$REQS")" \
      "$(awk -v b="$((BUSY2 - BUSY1))" -v a="$((API_CPU2 - API_CPUG))" -v r="$((REDIS_CPU2 - REDIS_CPUG))" -v n="$REQS" 'BEGIN { printf "%.1f", (b - a - r) / n }')" \
      "$(awk -v b="$((BUSY2 - BUSY1))" -v i="$((IDLE2 - IDLE1))" 'BEGIN { printf "%.0f", 100 * i / (b + i) }')")")
  fi
  [ -n "$PERF_PID" ] && SUMMARY+=("$(printf '%-34s %s' "  API syscalls per request" \
    "$(awk -F, -v n="$REQS" '/sys_enter_/ { sub(/.*sys_enter_/, "", $3); t += $1; printf "%s %.2f, ", $3, $1 / n } END { printf "total %.2f", t / n }' "$WORK/perf.$MODE")")")
done
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$API_PID/status")

echo
echo "== summary (load average now $(load); appendfsync $APPENDFSYNC)"
printf '%-34s %s\n' "redis LPUSH (redis-benchmark)" "${LPUSH_RPS} req/s"
printf '%-34s %s req/s, p50 %s ms, p99 %s ms, API CPU %s µs per request\n' "GET /health" \
  "$(field rps "$HEALTH")" "$(field p50_ms "$HEALTH")" "$(field p99_ms "$HEALTH")" "$HEALTH_CPU"
printf '%s\n' "${SUMMARY[@]}"
printf '%-34s %s MiB\n' "sentia-api peak RSS" "$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')"
