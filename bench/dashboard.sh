#!/usr/bin/env bash
# bench/dashboard.sh: the dashboard API's reads under load (issue 10 §7) —
# authenticated GET /api/v1/orders?limit=50 over ORDERS orders and GET
# /api/v1/working-capital with a valid Clerk session token, plus GET /health
# in the same run for scale; the API's RSS after the runs.
#
#   ./dev bench dashboard      (release build; or bash bench/dashboard.sh)
#   ORDERS=100000 DURATION=10 CONNS=64 API_THREADS=0 bash bench/dashboard.sh
#
# A private Redis and a private PostgreSQL (its defaults), migrated and
# seeded in SQL: 20 products with inventory, ORDERS orders with 2 lines
# each, 90 days of working-capital snapshots. Clerk: an RSA key made here,
# its public PEM given as CLERK_JWT_KEY (networkless), and one RS256 session
# token of role viewer signed with python3-jwt (tests/fakes/jwks.py) — every
# request is verified in full (signature and claims). wrk (one at a time,
# CONNS connections, 2 threads, DURATION s each, 127.0.0.1) runs /health,
# then orders, then working capital; each answer must be 200 (non2xx counts
# any other). Figures: requests/s, p50/p99 latency, non-2xx, and the API's
# VmRSS/VmHWM from /proc.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ORDERS=${ORDERS:-100000}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
WRK_THREADS=${WRK_THREADS:-2}

bench_require api/sentia-api lib/migrate/sentia-migrate
command -v wrk >/dev/null || { echo "dashboard: wrk missing (./dev bench installs it)" >&2; exit 1; }
bench_redis
bench_postgres
WORK=$(mktemp -d -p "$BENCH_ROOT/.local" --suffix=.bench-dashboard)
BENCH_DIRS+=("$WORK")

REDIS_URL=$BENCH_REDIS_URL DATABASE_URL=$BENCH_DATABASE_URL APP_ENV=development \
  "$BENCH_BUILD/lib/migrate/sentia-migrate" up >/dev/null
psql -X -q "$BENCH_DATABASE_URL" -v ON_ERROR_STOP=1 <<SQL
INSERT INTO products (sku, name, unit_price, currency, active, source)
SELECT 'SKU-' || g, 'Product ' || g, 10 + g, 'GBP', true, 'unleashed' FROM generate_series(1, 20) g;
INSERT INTO inventory (sku, location, on_hand, allocated) SELECT sku, 'main', 500, 20 FROM products;
INSERT INTO orders (source, external_id, status, currency, total, stock_location, placed_at)
SELECT (ARRAY['whatsapp', 'shopify', 'unleashed'])[1 + g % 3], 'ext-' || g,
       (ARRAY['pending', 'confirmed', 'cancelled'])[1 + (g / 3) % 3], 'GBP', 25.00, 'main',
       now() - g * interval '13 seconds'
  FROM generate_series(1, $ORDERS) g;
INSERT INTO order_lines (order_id, line_no, sku, name, quantity, unit_price, line_total)
SELECT o.id, n, 'SKU-' || ((o.id + n * 7) % 20 + 1), 'Product', n, 10.00, 10.00 * n
  FROM orders o, generate_series(1, 2) n;
INSERT INTO working_capital_snapshots (job_id, as_of, computed_at, days, base_currency, receivables,
    payables, inventory_value, revenue, cogs, dso, dio, dpo, ccc, notes)
SELECT 'wc-' || d, current_date - d, now() - d * interval '1 day', 90, 'GBP', 125000, 64000,
       98000.50, 410000, 230000, 27.44, 38.35, 25.04, 40.75, '{}'
  FROM generate_series(0, 89) d;
ANALYZE products, inventory, orders, order_lines, working_capital_snapshots;
SQL

# The Clerk side: a key pair, its public PEM, one viewer token for the run.
"$BENCH_PY" - "$WORK" "$BENCH_ROOT/tests/fakes" "$((DURATION * 3 + 600))" <<'PY'
import sys, time
sys.path.insert(0, sys.argv[2])
import jwks
work, life = sys.argv[1], int(sys.argv[3])
key = jwks.SigningKey()
open(f"{work}/pem", "w").write(key.public_pem())
claims = jwks.session_claims("https://clerk.bench.test", azp="https://app.bench.test", role="viewer",
                             lifetime=life)
open(f"{work}/token", "w").write(jwks.sign(key, claims))
PY

AP=$(bench_free_port)
env -i PATH="$PATH" APP_ENV=production LOG_LEVEL=warn PORT="$AP" API_THREADS="${API_THREADS:-0}" \
  REDIS_URL="$BENCH_REDIS_URL" DATABASE_URL="$BENCH_DATABASE_URL" QUEUE_PREFIX=bench \
  PUBLIC_BASE_URL="http://127.0.0.1:$AP" TWILIO_AUTH_TOKEN=bench SHOPIFY_WEBHOOK_SECRET=bench \
  XERO_WEBHOOK_KEY=bench RATE_LIMIT_PER_IP=0 CLERK_JWT_KEY="$(cat "$WORK/pem")" \
  CLERK_ISSUER=https://clerk.bench.test CLERK_AUTHORIZED_PARTIES=https://app.bench.test \
  "$BENCH_BUILD/api/sentia-api" >"$WORK/api.log" 2>&1 &
API_PID=$!
BENCH_PIDS+=("$API_PID")
AUTH="Authorization: Bearer $(cat "$WORK/token")"
BASE="http://127.0.0.1:$AP"
for _ in $(seq 1 200); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$BASE/api/v1/orders?limit=50")" = 200 ] && break
  sleep 0.05
done
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "$AUTH" "$BASE/api/v1/working-capital")" = 200 ] \
  || { echo "dashboard: the API does not answer 200" >&2; tail -5 "$WORK/api.log" >&2; exit 1; }

bench_machine
echo "api: API_THREADS=${API_THREADS:-0} (0 = one per core), API_PG_POOL_SIZE 2, $ORDERS orders"
echo "wrk: -t$WRK_THREADS -c$CONNS -d${DURATION}s, one at a time, 127.0.0.1"
# run NAME PATH [header]: one wrk run, its RESULT line.
run() {
  local name=$1 path=$2
  shift 2
  echo "== $name: GET $path"
  wrk -t"$WRK_THREADS" -c"$CONNS" -d"${DURATION}s" --latency "$@" -s "$BENCH_ROOT/bench/health.lua" \
    "$BASE$path" | grep '^RESULT'
  bench_load
}
run health /health
run orders "/api/v1/orders?limit=50" -H "$AUTH"
run working-capital /api/v1/working-capital -H "$AUTH"
echo "== api memory: $(grep -E '^(VmRSS|VmHWM)' "/proc/$API_PID/status" | tr -s ' \t' ' ' | tr '\n' ' ')"
bench_stop "$API_PID" sentia-api
