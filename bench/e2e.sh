#!/usr/bin/env bash
# bench/e2e.sh: WhatsApp orders through the whole system at a steady rate —
# signed Twilio webhooks into sentia-api, one sentia-worker, PostgreSQL and
# the fake Twilio — and how long each message takes from its receipt.
#
#   ./dev bench e2e              (release build; or bash bench/e2e.sh)
#   RATE=1000 DURATION=10 CONNS=32 bash bench/e2e.sh
#
# Servers, all private, on free loopback ports: Redis (AOF on, noeviction),
# PostgreSQL (fsync and synchronous_commit on), migrated and seeded with 100
# products; the fake Twilio (tests/fakes/twilio.py, status callbacks off);
# sentia-api (APP_ENV=production, 2 threads, rate limit off: all traffic
# comes from one address) and one worker (WORKER_QUEUES=webhooks:32,notify:16,
# PG_POOL_SIZE 4), both at LOG_LEVEL=debug.
#
# Load: RATE × DURATION signed inbound ORDER webhooks, each with its own
# MessageSid, sent on a fixed timeline (request i is due at start + i/RATE)
# over CONNS kept-alive connections (bench/benchlib.py: paced). Client
# latencies are measured from the time a request was due, so a stall shows
# up in full (no coordinated omission). Each request carries X-Request-Id =
# its MessageSid, which the API keeps as the job's request_id.
#
# Latency from receipt (both processes stamp the same host clock in µs):
#   receipt = the API's debug line "webhook enqueued" (received_us);
#   start   = the worker's debug line "job started" (started_us) of the
#             whatsapp.inbound job with that request_id;
#   order   = orders.created_at of the order with that MessageSid: the start
#             of the transaction that placed it (now()); the commit follows
#             within that statement, so "inbound job finished" (start +
#             duration_us: committed and the reply job queued) is shown too;
#   reply   = the end of the notify.whatsapp job carrying the same
#             request_id: Twilio accepted the reply and it is recorded.
# Baseline in the same run: the same client pacing GET /health at RATE/s
# for 5 s (the HTTP and client floor). Peak RSS (VmHWM) of API and worker.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
RATE=${RATE:-1000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-32}

bench_require api/sentia-api worker/sentia-worker lib/migrate/sentia-migrate
bench_redis
bench_postgres
bench_commerce
bench_fake_twilio
WORK=$(mktemp -d -p "$BENCH_ROOT/.local" --suffix=.bench-e2e)
BENCH_DIRS+=("$WORK")
API_PORT=$(bench_free_port)
PUBLIC="http://127.0.0.1:$API_PORT"
export REDIS_URL=$BENCH_REDIS_URL QUEUE_PREFIX=bench APP_ENV=production LOG_LEVEL=debug
export PII_REDACTION_ENABLED=false PUBLIC_BASE_URL=$PUBLIC TWILIO_AUTH_TOKEN=$BENCH_TWILIO_TOKEN

env PORT="$API_PORT" SHOPIFY_WEBHOOK_SECRET=bench XERO_WEBHOOK_KEY=bench RATE_LIMIT_PER_IP=0 \
  "$BENCH_BUILD/api/sentia-api" >"$WORK/api.log" 2>"$WORK/api.err" &
API_PID=$!
BENCH_PIDS+=("$API_PID")
# Every order stays pending: the per-customer limit (docs/WHATSAPP.md) is raised out of the way.
env WORKER_QUEUES=webhooks:32,notify:16 DATABASE_URL="$BENCH_DATABASE_URL" \
  TWILIO_API_BASE="$BENCH_TWILIO_URL" TWILIO_ACCOUNT_SID="$BENCH_TWILIO_SID" \
  TWILIO_WHATSAPP_FROM=whatsapp:+14155238886 WHATSAPP_MAX_PENDING_ORDERS=1000 \
  "$BENCH_BUILD/worker/sentia-worker" >"$WORK/worker.log" 2>"$WORK/worker.err" &
WORKER_PID=$!
BENCH_PIDS+=("$WORKER_PID")
for _ in $(seq 1 100); do curl -sf "$PUBLIC/health/ready" >/dev/null 2>&1 && break; sleep 0.05; done
curl -sf "$PUBLIC/health/ready" >/dev/null || { cat "$WORK/api.err" "$WORK/worker.err" >&2; exit 1; }

bench_machine
echo "load: $RATE signed webhooks/s for $DURATION s over $CONNS connections; fsync on"
echo
"$BENCH_PY" - "$API_PORT" "$RATE" "$DURATION" "$CONNS" "$BENCH_DATABASE_URL" "$WORK" "$API_PID" "$WORKER_PID" <<'PY'
import json, sys, time, urllib.parse
from benchlib import (AUTH_TOKEN, Psql, order_payload, paced, peak_rss_mib, percentile, psql,
                      twilio_signature, wait_for)
port, rate, duration, conns = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
url, work, api_pid, worker_pid = sys.argv[5], sys.argv[6], int(sys.argv[7]), int(sys.argv[8])
path = "/api/v1/whatsapp/webhook"
public = f"http://127.0.0.1:{port}"


def ms(values, label):
    v = [x / 1000.0 for x in values]
    print(f"{label:<44} p50 {percentile(v, 50):7.2f} ms   p99 {percentile(v, 99):7.2f} ms   "
          f"max {max(v):7.2f} ms   (n={len(v)})")


def client_latencies(results, label):
    ok = [r for r in results if r["status"] == 200]
    late = max(r["sent"] - r["due"] for r in results) * 1000
    span = max(r["done"] for r in results) - min(r["due"] for r in results)
    print(f"{label}: {len(results)} requests, {len(results) - len(ok)} not 200, "
          f"{len(results) / span:.0f}/s achieved, latest send {late:.1f} ms after its due time")
    ms([(r["done"] - r["due"]) * 1e6 for r in ok], "  due -> response (coordinated-omission safe)")
    ms([(r["done"] - r["sent"]) * 1e6 for r in ok], "  sent -> response")
    return ok


print("== baseline: GET /health at the same rate, 5 s")
health = [("GET", "/health", None, {}) for _ in range(int(rate * 5))]
client_latencies(paced(port, health, rate, conns), "/health")

print()
print(f"== load: POST {path}, {int(rate * duration)} signed ORDER messages")
forms, reqs = [], []
for i in range(int(rate * duration)):
    form = order_payload(i, tag="e")
    body = urllib.parse.urlencode(form)
    reqs.append(("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded",
                                     "X-Twilio-Signature": twilio_signature(AUTH_TOKEN, public + path, form),
                                     "X-Request-Id": form["MessageSid"]}))
    forms.append(form)
results = paced(port, reqs, rate, conns)
ok = client_latencies(results, "webhooks")
sids = {forms[i]["MessageSid"] for i, r in enumerate(results) if r["status"] == 200}

db = Psql(url)
t = time.monotonic()
def drained():
    orders, sent = map(int, db.row("SELECT (SELECT count(*) FROM orders),"
                                   " (SELECT count(*) FROM notifications WHERE provider_id IS NOT NULL)"))
    return orders >= len(sids) and sent >= len(sids)
wait_for(drained, timeout=600, interval=0.1, what="orders and replies for every accepted webhook")
print(f"every order and reply done {time.monotonic() - t:.1f} s after the last response")

def log(name):
    with open(f"{work}/{name}.log") as f:
        return [json.loads(line) for line in f if line.startswith("{")]
received = {r["request_id"]: r["received_us"] for r in log("api") if r.get("msg") == "webhook enqueued"}
started, finished, replied = {}, {}, {}
jobs = {}
for r in log("worker"):
    if r.get("msg") == "job started" and r.get("attempt") == 0:
        jobs[r["job_id"]] = (r["type"], r["request_id"], r["started_us"])
        if r["type"] == "whatsapp.inbound":
            started.setdefault(r["request_id"], r["started_us"])
    elif r.get("msg") == "job finished" and r["job_id"] in jobs:
        kind, rid, at = jobs[r["job_id"]]
        (finished if kind == "whatsapp.inbound" else replied).setdefault(rid, at + r["duration_us"])
db.close()
created = {sid: int(us) for sid, us in
           psql(url, "SELECT external_id, (extract(epoch FROM created_at) * 1000000)::bigint FROM orders")}
assert set(created) == sids, "an accepted webhook has no order, or an order no webhook"

print()
print("== latency from the API's receipt (µs stamps of API and worker, same clock)")
ms([started[s] - received[s] for s in sids], "receipt -> job start")
ms([created[s] - received[s] for s in sids], "receipt -> order transaction (created_at)")
ms([finished[s] - received[s] for s in sids], "receipt -> inbound job finished (committed)")
ms([replied[s] - received[s] for s in sids], "receipt -> reply accepted by Twilio, recorded")
ms([received[s] - int(results[i]["due"] * 1e6) for i, s in
    ((i, forms[i]["MessageSid"]) for i, r in enumerate(results) if r["status"] == 200)],
   "due (client) -> receipt")
span_orders = (max(finished[s] for s in sids) - min(received[s] for s in sids)) / 1e6
span_replies = (max(replied[s] for s in sids) - min(received[s] for s in sids)) / 1e6
print(f"throughput: {len(sids)} orders committed in {span_orders:.1f} s from the first receipt "
      f"({len(sids) / span_orders:.0f}/s), every reply in {span_replies:.1f} s ({len(sids) / span_replies:.0f}/s)")
print()
print(f"peak RSS: sentia-api {peak_rss_mib(api_pid):.1f} MiB, sentia-worker {peak_rss_mib(worker_pid):.1f} MiB")
PY
bench_load
bench_stop "$WORKER_PID" sentia-worker
bench_stop "$API_PID" sentia-api
