#!/usr/bin/env bash
# bench/drain.sh: how fast one sentia-worker process drains a queue, and how
# long an isolated job waits between its enqueue and its start.
#
#   ./dev bench drain            (release build; or bash bench/drain.sh)
#   JOBS=100000 SLOTS=32 RATE=200 LATENCY_JOBS=1000 bash bench/drain.sh
#
# 1. redis-benchmark (lpush, rpop, 50 clients) against the same private Redis,
#    for scale: what this machine's Redis does with the simplest commands.
# 2. Drain: JOBS sys.noop jobs enqueued first (sentia-queue enqueue --count),
#    then one worker (WORKER_QUEUES=bench:SLOTS) started; the time from its
#    start until stats say every job completed gives jobs/s. The worker's
#    peak RSS is VmHWM from /proc.
# 3. Latency: LATENCY_JOBS sys.noop jobs pushed one at a time at RATE/s onto
#    an idle worker; the worker's debug line "job started" gives wait_us =
#    its start time − the envelope's created_ms (same host clock; created_ms
#    has ms resolution, so each figure is over-stated by up to 1 ms).
# Redis runs with AOF on (appendfsync everysec) and noeviction, as in production.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SENTIA_BUILD:-$ROOT/build}
PY=/usr/bin/python3
JOBS=${JOBS:-100000}
SLOTS=${SLOTS:-32}
RATE=${RATE:-200}
LATENCY_JOBS=${LATENCY_JOBS:-1000}

WORK=$(mktemp -d /tmp/sentia-bench-drain.XXXXXX)
PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
WORKER_PID=""
cleanup() {
  [ -n "$WORKER_PID" ] && kill -TERM "$WORKER_PID" 2>/dev/null && wait "$WORKER_PID" 2>/dev/null || true
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

redis-server --port "$PORT" --bind 127.0.0.1 --dir "$WORK" --daemonize yes \
  --appendonly yes --appendfsync everysec --maxmemory-policy noeviction --save '' \
  --logfile "$WORK/redis.log" --pidfile "$WORK/redis.pid" >/dev/null
for _ in $(seq 1 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

export REDIS_URL="redis://127.0.0.1:$PORT/0" QUEUE_PREFIX=bench APP_ENV=development
export PII_REDACTION_ENABLED=false

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "redis: $(redis-server --version | cut -d' ' -f3), AOF everysec, noeviction"
echo
echo "== redis-benchmark -t lpush,rpop -c 50 -n 200000 -q (for scale)"
redis-benchmark -p "$PORT" -t lpush,rpop -c 50 -n 200000 -q | tr '\r' '\n' | grep -E 'requests per second' || true
redis-cli -p "$PORT" flushall >/dev/null

echo
echo "== drain: $JOBS sys.noop jobs, one worker, WORKER_QUEUES=bench:$SLOTS"
"$BUILD/queue/sentia-queue" enqueue bench sys.noop --count "$JOBS" >/dev/null
WORKER_QUEUES="bench:$SLOTS" LOG_LEVEL=warn "$BUILD/worker/sentia-worker" >"$WORK/drain.log" 2>&1 &
WORKER_PID=$!
"$PY" - "$PORT" "$JOBS" "$WORKER_PID" <<'PY'
import sys, time, redis
port, jobs, pid = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
r = redis.Redis(port=port)
t0 = time.monotonic()
while int(r.hget("bench:{bench}:stats", "completed") or 0) < jobs:
    time.sleep(0.005)
    if time.monotonic() - t0 > 300:
        sys.exit("drain did not finish in 300 s")
dt = time.monotonic() - t0
hwm = [l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM")][0]
print(f"drained {jobs} jobs in {dt:.3f} s: {jobs / dt:,.0f} jobs/s; worker peak RSS {int(hwm) / 1024:.1f} MiB")
PY
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" || { echo "worker exited non-zero"; exit 1; }
WORKER_PID=""

echo
echo "== latency: $LATENCY_JOBS isolated sys.noop jobs at $RATE/s, enqueue -> start"
redis-cli -p "$PORT" flushall >/dev/null
WORKER_QUEUES="bench:$SLOTS" LOG_LEVEL=debug "$BUILD/worker/sentia-worker" >"$WORK/latency.log" 2>&1 &
WORKER_PID=$!
sleep 0.5
"$PY" - "$PORT" "$LATENCY_JOBS" "$RATE" "$WORK/latency.log" <<'PY'
import json, sys, time, uuid, redis
port, n, rate, log = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
r = redis.Redis(port=port)
ids = set()
t_next = time.monotonic()
for _ in range(n):
    t_next += 1.0 / rate
    while time.monotonic() < t_next:
        time.sleep(max(0.0, min(0.001, t_next - time.monotonic())))
    job_id = uuid.uuid4().hex
    ids.add(job_id)
    env = {"id": job_id, "type": "sys.noop", "queue": "bench", "attempt": 0, "max_attempts": 20,
           "created_ms": int(time.time() * 1000), "dedup_key": None, "request_id": None,
           "payload": {}}
    r.lpush("bench:{bench}:ready", json.dumps(env, separators=(",", ":")))
deadline = time.monotonic() + 30
waits = []
while time.monotonic() < deadline:
    waits = [rec["wait_us"] for rec in map(json.loads, open(log))
             if rec.get("msg") == "job started" and rec.get("job_id") in ids]
    if len(waits) == n:
        break
    time.sleep(0.1)
waits.sort()
pct = lambda p: waits[min(len(waits) - 1, int(p / 100 * len(waits)))] / 1000
print(f"{len(waits)} jobs: p50 {pct(50):.2f} ms, p99 {pct(99):.2f} ms, max {waits[-1] / 1000:.2f} ms")
PY
kill -TERM "$WORKER_PID"; wait "$WORKER_PID" || { echo "worker exited non-zero"; exit 1; }
WORKER_PID=""
