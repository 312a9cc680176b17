#!/usr/bin/env bash
# bench/sync.sh: rows/s of a full provider sync (release build), against the
# fakes with rate limits off (docs/PERFORMANCE.md, ## Sync).
#
# Starts a private Redis and PostgreSQL, migrates, starts the fake Shopify and
# the fake Xero (tests/fakes/) and one sentia-worker, then times, from enqueue
# to the status mirror's last success:
#   1. shopify.sync_orders: a full sync of ORDERS orders (pages of 250, with
#      their line items);
#   2. xero.sync_invoices: a full sync of INVOICES invoices (pages of
#      XERO_PAGE_SIZE, token refresh included);
#   3. amazon.sync_orders: a full sync of AMAZON_ORDERS orders of one
#      marketplace (getOrders pages of 100, then getOrderItems per order,
#      LWA token included; both rate limits off).
# and prints rows/s for each, the pages, and the worker's peak RSS.
# Knobs: ORDERS (20000), INVOICES (20000), XERO_PAGE_SIZE (1000),
# AMAZON_ORDERS (5000).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_require worker/sentia-worker lib/migrate/sentia-migrate queue/sentia-queue
ORDERS=${ORDERS:-20000}
INVOICES=${INVOICES:-20000}
XERO_PAGE_SIZE=${XERO_PAGE_SIZE:-1000}
AMAZON_ORDERS=${AMAZON_ORDERS:-5000}
AMAZON_MKT=ATVPDKIKX0DER
PY=/usr/bin/python3
PREFIX=bench$$
TENANT=bench-tenant

bench_redis
# The sync figure measures Sentia, not the disk: commits do not wait for fsync.
BENCH_PG_OPTIONS="-c fsync=off -c synchronous_commit=off -c full_page_writes=off" bench_postgres
WORK=$(mktemp -d -p /tmp --suffix=.sentia-bench-sync)
BENCH_DIRS+=("$WORK")

# start_fake NAME ARGS…: sets FAKE_PORT (not in a subshell: bench_cleanup
# must see the pid)
start_fake() {
  local name=$1 i; shift
  "$PY" "$BENCH_ROOT/tests/fakes/$name.py" --port 0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  BENCH_PIDS+=($!)
  for i in $(seq 1 200); do grep -q '^ready ' "$WORK/$name.out" 2>/dev/null && break; sleep 0.05; done
  FAKE_PORT=$(awk '/^ready/ {print $2}' "$WORK/$name.out")
}
start_fake shopify --token bench-token --orders "$ORDERS" --products 200
SP=$FAKE_PORT
start_fake xero --client-id bench-id --client-secret bench-secret --tenant "$TENANT" \
  --invoices "$INVOICES" --contacts 100
XP=$FAKE_PORT
start_fake amazon --client-id bench-id --client-secret bench-secret \
  --refresh-token 'Atzr|bench' --orders "$AMAZON_ORDERS" --marketplaces "$AMAZON_MKT"
AP=$FAKE_PORT

export APP_ENV=production LOG_LEVEL=warn REDIS_URL="$BENCH_REDIS_URL" \
  DATABASE_URL="$BENCH_DATABASE_URL" QUEUE_PREFIX="$PREFIX" WORKER_QUEUES=sync:2 \
  PUBLIC_BASE_URL=http://127.0.0.1 TWILIO_ACCOUNT_SID=x TWILIO_AUTH_TOKEN=x TWILIO_WHATSAPP_FROM=x \
  SHOPIFY_API_BASE="http://127.0.0.1:$SP/admin/api/2025-07" SHOPIFY_ACCESS_TOKEN=bench-token \
  SHOPIFY_RATE_PER_S=0 XERO_API_BASE="http://127.0.0.1:$XP/api.xro/2.0" \
  XERO_IDENTITY_URL="http://127.0.0.1:$XP/connect/token" XERO_CLIENT_ID=bench-id \
  XERO_CLIENT_SECRET=bench-secret XERO_TENANT_ID="$TENANT" XERO_REFRESH_TOKEN=rt-initial \
  CREDENTIALS_KEY=$(printf '%064d' 7) XERO_RATE_PER_MIN=0 XERO_CONCURRENCY=0 \
  XERO_PAGE_SIZE="$XERO_PAGE_SIZE" AMAZON_SP_API_BASE="http://127.0.0.1:$AP" \
  AMAZON_LWA_URL="http://127.0.0.1:$AP/auth/o2/token" AMAZON_CLIENT_ID=bench-id \
  AMAZON_CLIENT_SECRET=bench-secret AMAZON_REFRESH_TOKEN='Atzr|bench' \
  AMAZON_MARKETPLACE_IDS="$AMAZON_MKT" AMAZON_ORDERS_PER_HOUR=0 AMAZON_ITEMS_PER_MINUTE=0
"$BENCH_BUILD/lib/migrate/sentia-migrate" up >/dev/null
"$BENCH_BUILD/worker/sentia-worker" >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!
BENCH_PIDS+=($WORKER_PID)
sleep 0.5

# time_sync TYPE FIELD [PAYLOAD] → "seconds rows pages"
time_sync() {
  local t0 t1 st
  t0=$(date +%s.%N)
  "$BENCH_BUILD/queue/sentia-queue" enqueue sync "$1" ${3:+"$3"} >/dev/null
  while :; do
    st=$(redis-cli -p "$BENCH_REDIS_PORT" hget "$PREFIX:sync:status" "$2")
    if [ -n "$st" ] && "$PY" -c 'import json,sys; sys.exit(0 if json.loads(sys.argv[1])["last_success_ms"] else 1)' "$st"; then break; fi
    kill -0 "$WORKER_PID" 2>/dev/null || { tail -5 "$WORK/worker.log" >&2; exit 1; }
    sleep 0.02
  done
  t1=$(date +%s.%N)
  "$PY" -c 'import json,sys; s=json.loads(sys.argv[3]); print(float(sys.argv[2])-float(sys.argv[1]), s["last_run_rows"], s["pages"])' "$t0" "$t1" "$st"
}

bench_machine
read -r s_secs s_rows s_pages < <(time_sync shopify.sync_orders shopify:orders)
read -r x_secs x_rows x_pages < <(time_sync xero.sync_invoices xero:invoices)
read -r a_secs a_rows a_pages < <(time_sync amazon.sync_orders "amazon:$AMAZON_MKT:orders" \
  "{\"marketplace\":\"$AMAZON_MKT\"}")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$WORKER_PID/status")
printf 'shopify.sync_orders: %d orders (%d pages of 250) in %.2f s = %.0f rows/s\n' \
  "$s_rows" "$s_pages" "$s_secs" "$(echo "$s_rows / $s_secs" | bc -l)"
printf 'xero.sync_invoices: %d invoices (%d pages of %d) in %.2f s = %.0f rows/s\n' \
  "$x_rows" "$x_pages" "$XERO_PAGE_SIZE" "$x_secs" "$(echo "$x_rows / $x_secs" | bc -l)"
printf 'amazon.sync_orders: %d orders (%d pages of 100, items per order) in %.2f s = %.0f rows/s\n' \
  "$a_rows" "$a_pages" "$a_secs" "$(echo "$a_rows / $a_secs" | bc -l)"
printf 'worker peak RSS: %d KiB\n' "$rss"
