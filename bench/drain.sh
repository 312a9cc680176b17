#!/usr/bin/env bash
# bench/drain.sh: how fast one sentia-worker process drains its queues —
# no-op jobs, then WhatsApp orders end to end — with Redis' and Postgres' own
# figures from the same run for scale.
#
#   ./dev bench drain            (release build; or bash bench/drain.sh)
#   JOBS=100000 SLOTS=32 RATE=200 LATENCY_JOBS=1000 ORDERS=20000 bash bench/drain.sh
#
# 1. redis-benchmark (lpush, rpop, 50 clients) against the same private Redis.
# 2. Drain: JOBS sys.noop jobs enqueued first (sentia-queue enqueue --count),
#    then one worker (WORKER_QUEUES=bench:SLOTS) started; the time from its
#    launch (taken before the exec, so its start-up counts) until stats say
#    every job completed gives jobs/s. The worker's peak RSS is VmHWM from /proc.
# 3. Latency: LATENCY_JOBS sys.noop jobs pushed one at a time at RATE/s onto
#    an idle worker; the worker's debug line "job started" gives wait_us =
#    its start time − the envelope's created_ms (same host clock; created_ms
#    has ms resolution, so each figure is over-stated by up to 1 ms).
# 4. WhatsApp orders: a private PostgreSQL (fsync and synchronous_commit on),
#    migrated, 100 products. ORDERS whatsapp.inbound jobs exactly as
#    sentia-api builds them (payload = Twilio's form fields, dedup key
#    twilio:<MessageSid>, request_id; 2 items each, 2 000 customers) are put
#    on `webhooks` through queue/lua/enqueue.lua, the script the API runs —
#    not posted through the API, so the figure is the worker's alone
#    (bench/ingest.sh measures the API; bench/e2e.sh both together). Then one
#    worker (WORKER_QUEUES=webhooks:32,notify:16, PG_POOL_SIZE 4) against the
#    fake Twilio (tests/fakes/twilio.py, status callbacks off) runs until
#    SELECT count(*) FROM orders reaches ORDERS and every reply is sent
#    (notifications with a provider id). One order is 3 commits: the
#    inbound statement, the notification's claim and its sent record.
# 5. Postgres for scale: pgbench -S (4 clients) and single-row INSERT
#    commits per second with 1 and 4 connections on the same server.
# Redis runs with AOF on (appendfsync everysec) and noeviction, as in production.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
JOBS=${JOBS:-100000}
SLOTS=${SLOTS:-32}
RATE=${RATE:-200}
LATENCY_JOBS=${LATENCY_JOBS:-1000}
ORDERS=${ORDERS:-20000}

bench_require queue/sentia-queue worker/sentia-worker lib/migrate/sentia-migrate
bench_redis
WORK=$(mktemp -d -p "$BENCH_ROOT/.local" --suffix=.bench-drain)
BENCH_DIRS+=("$WORK")
export REDIS_URL=$BENCH_REDIS_URL QUEUE_PREFIX=bench APP_ENV=development
export PII_REDACTION_ENABLED=false
WORKER="$BENCH_BUILD/worker/sentia-worker"

# start_worker LOG QUEUES LEVEL [VAR=value …]: one worker in the background;
# sets WORKER_PID and WORKER_T0 (wall clock just before the launch, s).
start_worker() {
  local log=$1 queues=$2 level=$3
  shift 3
  WORKER_T0=$(date +%s.%N)
  env WORKER_QUEUES="$queues" LOG_LEVEL="$level" "$@" "$WORKER" >"$log" 2>&1 &
  WORKER_PID=$!
  BENCH_PIDS+=("$WORKER_PID")
}

bench_machine
echo "redis: $(redis-server --version | cut -d' ' -f3), AOF everysec, noeviction"
echo
echo "== redis-benchmark -t lpush,rpop -c 50 -n 200000 -q (for scale)"
SCALE=$(redis-benchmark -p "$BENCH_REDIS_PORT" -a "$REDISCLI_AUTH" -t lpush,rpop -c 50 -n 200000 -q 2>/dev/null | tr '\r' '\n' \
  | grep -E 'requests per second')
echo "$SCALE"
LPUSH=$(awk '/^LPUSH/ {print $2}' <<<"$SCALE")
redis-cli -p "$BENCH_REDIS_PORT" flushall >/dev/null

echo
echo "== drain: $JOBS sys.noop jobs, one worker, WORKER_QUEUES=bench:$SLOTS"
"$BENCH_BUILD/queue/sentia-queue" enqueue bench sys.noop --count "$JOBS" >/dev/null
start_worker "$WORK/drain.log" "bench:$SLOTS" warn
NOOP=$("$BENCH_PY" - "$BENCH_REDIS_PORT" "$JOBS" "$WORKER_PID" "$WORKER_T0" <<'PY'
import sys, time
from benchlib import Redis, peak_rss_mib
port, jobs, pid, t0 = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
r = Redis(port)
while r.hget_int("bench:{bench}:stats", "completed") < jobs:
    time.sleep(0.002)
    if time.time() - t0 > 300:
        sys.exit("drain did not finish in 300 s")
dt = time.time() - t0
print(f"drained {jobs} jobs in {dt:.3f} s: {jobs / dt:,.0f} jobs/s; worker peak RSS {peak_rss_mib(pid):.1f} MiB",
      file=sys.stderr)
print(f"{jobs / dt:.0f}")
PY
)
bench_stop "$WORKER_PID" worker

echo
echo "== latency: $LATENCY_JOBS isolated sys.noop jobs at $RATE/s, enqueue -> start"
redis-cli -p "$BENCH_REDIS_PORT" flushall >/dev/null
start_worker "$WORK/latency.log" "bench:$SLOTS" debug
sleep 0.5
"$BENCH_PY" - "$BENCH_REDIS_PORT" "$LATENCY_JOBS" "$RATE" "$WORK/latency.log" <<'PY'
import json, sys, time, uuid
from benchlib import Redis, percentile
port, n, rate, log = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
r = Redis(port)
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
    r.call("LPUSH", "bench:{bench}:ready", json.dumps(env, separators=(",", ":")))
deadline = time.monotonic() + 30
waits = []
while time.monotonic() < deadline:
    with open(log) as f:
        waits = [rec["wait_us"] for rec in map(json.loads, f)
                 if rec.get("msg") == "job started" and rec.get("job_id") in ids]
    if len(waits) == n:
        break
    time.sleep(0.1)
print(f"{len(waits)} jobs: p50 {percentile(waits, 50) / 1000:.2f} ms, p99 {percentile(waits, 99) / 1000:.2f} ms, "
      f"max {max(waits) / 1000:.2f} ms")
PY
bench_stop "$WORKER_PID" worker

echo
echo "== WhatsApp: $ORDERS ORDER messages end to end, one worker, WORKER_QUEUES=webhooks:32,notify:16"
redis-cli -p "$BENCH_REDIS_PORT" flushall >/dev/null
bench_postgres
bench_commerce
bench_fake_twilio
"$BENCH_PY" - "$BENCH_REDIS_PORT" "$ORDERS" "$BENCH_ROOT/queue/lua/enqueue.lua" <<'PY'
import sys, time
from benchlib import Redis, inbound_envelope, order_payload
port, n, script = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
r = Redis(port)
with open(script) as f:
    sha = r.call("SCRIPT", "LOAD", f.read())
r.call("SADD", "bench:queues", "webhooks")
t0 = time.monotonic()
keys = ["bench:{webhooks}:ready", "bench:{webhooks}:delayed", "bench:{webhooks}:stats"]
for start in range(0, n, 1000):
    batch = []
    for i in range(start, min(n, start + 1000)):
        p = order_payload(i)
        job_id, env = inbound_envelope(p, request_id="bench-" + p["MessageSid"])
        batch.append(["EVALSHA", sha, 4, *keys, "bench:{webhooks}:dedup:twilio:" + p["MessageSid"],
                      env, 0, 86400, job_id])
    assert all(reply[0] == 1 for reply in r.pipeline(batch))
print(f"enqueued {n} whatsapp.inbound jobs in {time.monotonic() - t0:.2f} s (enqueue.lua, pipelined)")
PY
# Every order stays pending: the per-customer limit (docs/WHATSAPP.md) is raised out of the way.
start_worker "$WORK/orders.log" webhooks:32,notify:16 warn DATABASE_URL="$BENCH_DATABASE_URL" \
  TWILIO_API_BASE="$BENCH_TWILIO_URL" TWILIO_ACCOUNT_SID="$BENCH_TWILIO_SID" \
  TWILIO_AUTH_TOKEN="$BENCH_TWILIO_TOKEN" TWILIO_WHATSAPP_FROM=whatsapp:+14155238886 \
  WHATSAPP_MAX_PENDING_ORDERS=1000
ORDERS_PER_S=$("$BENCH_PY" - "$BENCH_REDIS_PORT" "$BENCH_DATABASE_URL" "$ORDERS" "$WORKER_PID" "$WORKER_T0" <<'PY'
import sys, time
from benchlib import Psql, Redis, peak_rss_mib
port, url, n, pid, t0 = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
db, r = Psql(url), Redis(port)
t_orders = None
while True:
    orders, sent = map(int, db.row("SELECT (SELECT count(*) FROM orders),"
                                   " (SELECT count(*) FROM notifications WHERE provider_id IS NOT NULL)"))
    now = time.time() - t0
    if t_orders is None and orders >= n:
        t_orders = now
    if orders >= n and sent >= n:
        break
    if now > 900:
        sys.exit(f"only {orders} orders and {sent} replies after 900 s")
    time.sleep(0.05)
dead = [r.call("LLEN", f"bench:{{{q}}}:dead") for q in ("webhooks", "notify")]
lines = int(db.row("SELECT count(*) FROM order_lines")[0])
print(f"{n} orders ({lines} lines) committed in {t_orders:.2f} s: {n / t_orders:,.0f} orders/s", file=sys.stderr)
print(f"every reply sent after {now:.2f} s: {n / now:,.0f} orders/s end to end, "
      f"{3 * n / now:,.0f} commits/s; dead jobs {sum(dead)}; worker peak RSS {peak_rss_mib(pid):.1f} MiB",
      file=sys.stderr)
print(f"{n / now:.0f}")
db.close()
PY
)
bench_stop "$WORKER_PID" worker

echo
echo "== postgres for scale: pgbench -S -c 4 -T 5; single-row INSERT commits, 1 and 4 connections, 5 s each"
psql -X -q "$BENCH_DATABASE_URL" -c "CREATE DATABASE pgbench"
PGBENCH_URL="${BENCH_DATABASE_URL%/sentia}/pgbench"
pgbench -q -i -s 1 "$PGBENCH_URL" >/dev/null 2>&1
psql -X -q "$PGBENCH_URL" -c "CREATE TABLE commits (id bigserial PRIMARY KEY, v integer)"
echo "INSERT INTO commits (v) VALUES (1);" >"$WORK/insert.sql"
tps() { sed -nE 's/^tps = ([0-9.]+) .*/\1/p' | cut -d. -f1; }
SELECTS=$(pgbench -n -S -c 4 -j 2 -T 5 "$PGBENCH_URL" 2>/dev/null | tps)
INSERT1=$(pgbench -n -f "$WORK/insert.sql" -c 1 -T 5 "$PGBENCH_URL" 2>/dev/null | tps)
INSERT4=$(pgbench -n -f "$WORK/insert.sql" -c 4 -j 2 -T 5 "$PGBENCH_URL" 2>/dev/null | tps)
echo "pgbench -S, 4 clients: $SELECTS tps; INSERT commits: $INSERT1/s (1 connection), $INSERT4/s (4)"

echo
echo "== summary (ratios against the baselines of this run)"
bench_load
awk -v n="$NOOP" -v l="$LPUSH" 'BEGIN { printf "no-op drain          %8.0f jobs/s   = %.2f x redis-benchmark LPUSH (%.0f/s)\n", n, n / l, l }'
awk -v o="$ORDERS_PER_S" -v i="$INSERT4" 'BEGIN { printf "WhatsApp orders      %8.0f orders/s = %.2f x (INSERT commits/s with 4 connections / 3 commits per order)\n", o, 3 * o / i }'
