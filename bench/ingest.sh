#!/usr/bin/env bash
# bench/ingest.sh: webhook ingest throughput of sentia-api (release build).
#
# Starts a private Redis (AOF on, noeviction, as in production) and
# sentia-api on free ports, then measures, in one run on this machine:
#   1. redis-benchmark -t lpush -c 50: the Redis LPUSH ceiling, for scale;
#   2. wrk on GET /health: the HTTP ceiling without I/O;
#   3. wrk posting signed Twilio inbound webhooks, each with a new MessageSid
#      (bench/ingest_twilio.lua signs per request through LuaJIT's FFI and
#      libcrypto), 64 connections for 10 s;
# and prints req/s, p50, p99, non-2xx, jobs stored (LLEN of the ready list),
# CPU time per request of the API and of Redis (steadier than req/s on a
# shared machine),
# the API's resident memory (peak), and ingest as a share of LPUSH.
# Knobs: DURATION (s, 10), CONNS (64), WRK_THREADS (2), API_THREADS (cores),
# LOG_LEVEL (info: the access log is on, as in production), API_BIN.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
API_BIN=${API_BIN:-build/api/sentia-api}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}
TOKEN=bench-twilio-token
PREFIX=bench$$

[ -x "$API_BIN" ] || { echo "ingest: $API_BIN not built (./dev bench ingest builds it)" >&2; exit 1; }
for tool in wrk redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "ingest: $tool missing" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { sed -nE "s/.*[ ]$1=([^ ]+).*/\1/p" <<<"$2"; }
# CPU time (user + system) a process has used, in microseconds.
cpu_us() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.0f", ($14 + $15) * 1e6 / hz }' "/proc/$1/stat"; }
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

# A password (docs/SECURITY.md), on stdin: redis-cli reads REDISCLI_AUTH;
# redis-benchmark only takes -a.
export REDISCLI_AUTH; REDISCLI_AUTH=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
printf 'requirepass %s\n' "$REDISCLI_AUTH" | redis-server - --port "$RP" --bind 127.0.0.1 --dir "$WORK" \
  --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" \
  --appendonly yes --maxmemory-policy noeviction --save '' >/dev/null 2>&1
for _ in $(seq 1 100); do [ "$(redis-cli -p "$RP" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done

env -i PATH="$PATH" APP_ENV=production LOG_LEVEL="${LOG_LEVEL:-info}" PORT="$AP" \
  API_THREADS="${API_THREADS:-0}" REDIS_URL="redis://:$REDISCLI_AUTH@127.0.0.1:$RP/0" QUEUE_PREFIX="$PREFIX" \
  PUBLIC_BASE_URL="http://127.0.0.1:$AP" TWILIO_AUTH_TOKEN="$TOKEN" \
  SHOPIFY_WEBHOOK_SECRET=bench XERO_WEBHOOK_KEY=bench RATE_LIMIT_PER_IP=0 \
  "$API_BIN" >"$WORK/api.log" 2>"$WORK/api.err" &
API_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$AP/health/ready" >/dev/null 2>&1 && break; sleep 0.05
done
curl -sf "http://127.0.0.1:$AP/health/ready" >/dev/null || { cat "$WORK/api.err" >&2; exit 1; }

echo "== machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== redis-benchmark -t lpush -c 50 -n 2000000 (AOF on)"
LPUSH=$(redis-benchmark -p "$RP" -a "$REDISCLI_AUTH" -t lpush -c 50 -n 2000000 -q 2>/dev/null | tr '\r' '\n' | grep -E '^LPUSH:' | tail -1)
echo "$LPUSH"
LPUSH_RPS=$(sed -nE 's/^LPUSH: ([0-9.]+) requests per second.*/\1/p' <<<"$LPUSH")
redis-cli -p "$RP" del mylist >/dev/null

REDIS_PID=$(cat "$WORK/redis.pid")
echo "== wrk GET /health, $CONNS connections, ${DURATION}s"
API_CPU0=$(cpu_us "$API_PID")
HEALTH=$(wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/health.lua \
  "http://127.0.0.1:$AP/health" | grep '^RESULT')
echo "$HEALTH"
API_CPU1=$(cpu_us "$API_PID"); REDIS_CPU1=$(cpu_us "$REDIS_PID")

echo "== wrk POST /api/v1/whatsapp/webhook (signed, unique MessageSid), $CONNS connections, ${DURATION}s"
INGEST=$(SIGN_URL="http://127.0.0.1:$AP/api/v1/whatsapp/webhook" TWILIO_TOKEN="$TOKEN" RUN_TAG="$$" \
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency -s bench/ingest_twilio.lua \
  "http://127.0.0.1:$AP/api/v1/whatsapp/webhook" | grep '^RESULT')
echo "$INGEST"
API_CPU2=$(cpu_us "$API_PID"); REDIS_CPU2=$(cpu_us "$REDIS_PID")
JOBS=$(redis-cli -p "$RP" llen "$PREFIX:{webhooks}:ready")
RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$API_PID/status")

REQS=$(field requests "$INGEST")
NON2XX=$(field non2xx "$INGEST")
RPS=$(field rps "$INGEST")
echo
echo "== summary"
printf '%-34s %s\n' "redis LPUSH (redis-benchmark)" "${LPUSH_RPS} req/s"
printf '%-34s %s req/s, p50 %s ms, p99 %s ms\n' "GET /health" "$(field rps "$HEALTH")" \
  "$(field p50_ms "$HEALTH")" "$(field p99_ms "$HEALTH")"
printf '%-34s %s req/s, p50 %s ms, p99 %s ms\n' "webhook ingest" "$RPS" \
  "$(field p50_ms "$INGEST")" "$(field p99_ms "$INGEST")"
printf '%-34s %s of %s (non-2xx %s, socket errors %s)\n' "jobs stored / requests" "$JOBS" "$REQS" \
  "$NON2XX" "$(field socket_errors "$INGEST")"
printf '%-34s %s µs /health, %s µs ingest; Redis %s µs ingest\n' "CPU per request: API" \
  "$(cpu_per_req "$API_CPU0" "$API_CPU1" "$(field requests "$HEALTH")")" \
  "$(cpu_per_req "$API_CPU1" "$API_CPU2" "$REQS")" \
  "$(cpu_per_req "$REDIS_CPU1" "$REDIS_CPU2" "$REQS")"
printf '%-34s %s\n' "ingest / LPUSH" "$(awk -v a="$RPS" -v b="$LPUSH_RPS" 'BEGIN { printf "%.0f %%", 100 * a / b }')"
printf '%-34s %s MiB\n' "sentia-api peak RSS" "$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')"
