# bench/lib.sh: shared helpers for bench/*.sh (sourced, not run).
# Every benchmark starts its own servers on free loopback ports under
# .local/tmp.*.bench-*, measures, prints figures, and cleans up on exit.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${SENTIA_BENCH_BUILD:-$BENCH_ROOT/build}
BENCH_PIDS=()
BENCH_DIRS=()
BENCH_PY=/usr/bin/python3 # stdlib only; bench/benchlib.py is importable
export PYTHONPATH="$BENCH_ROOT/bench${PYTHONPATH:+:$PYTHONPATH}"

bench_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_cleanup() {
  local p d
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BENCH_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "${BENCH_PG_DATA:-}" ]; then
    bench_pg_user "$(bench_pg_bin)/pg_ctl" -D "$BENCH_PG_DATA" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  for d in "${BENCH_DIRS[@]}"; do rm -rf "$d"; done
}
trap bench_cleanup EXIT

# bench_secret: 32 random hex digits, a password for one benchmark's server.
bench_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# bench_redis: starts a private Redis like production's (AOF on,
# noeviction, a password: requirepass on stdin, never on a command line);
# sets BENCH_REDIS_PORT and BENCH_REDIS_URL and exports REDISCLI_AUTH, which
# redis-cli and bench/benchlib.py read.
bench_redis() {
  local dir
  mkdir -p "$BENCH_ROOT/.local"
  dir=$(mktemp -d -p "$BENCH_ROOT/.local" --suffix=.bench-redis)
  BENCH_DIRS+=("$dir")
  BENCH_REDIS_PORT=$(bench_free_port)
  export REDISCLI_AUTH; REDISCLI_AUTH=$(bench_secret)
  redis-server - --port "$BENCH_REDIS_PORT" --bind 127.0.0.1 --dir "$dir" \
    --appendonly yes --maxmemory-policy noeviction --save '' \
    --logfile "$dir/redis.log" >/dev/null 2>&1 < <(printf 'requirepass %s\n' "$REDISCLI_AUTH") &
  BENCH_PIDS+=($!)
  local i
  for i in $(seq 1 100); do
    [ "$(redis-cli -p "$BENCH_REDIS_PORT" ping 2>/dev/null)" = PONG ] && break
    sleep 0.05
  done
  BENCH_REDIS_URL="redis://:$REDISCLI_AUTH@127.0.0.1:$BENCH_REDIS_PORT/0"
}

# PostgreSQL refuses to run as root: as root it runs as the `postgres`
# account (as under ./dev), which then owns the data directory.
bench_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bench_pg_bin() { echo "/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -1)/bin"; }

# bench_postgres: starts a private PostgreSQL with its defaults — fsync and
# synchronous_commit on, so every commit waits for the disk as in production
# — and a role and database `sentia`; sets BENCH_PG_PORT, BENCH_DATABASE_URL
# (BENCH_PG_OPTIONS: extra server options, e.g. "-c fsync=off").
bench_postgres() {
  local dir pw bin
  bin=$(bench_pg_bin)
  mkdir -p "$BENCH_ROOT/.local"
  dir=$(mktemp -d -p "$BENCH_ROOT/.local" --suffix=.bench-pg)
  BENCH_DIRS+=("$dir")
  if [ "$(id -u)" -eq 0 ]; then
    # postgres must reach the data directory; below a private home it cannot
    if ! runuser -u postgres -- test -x "$BENCH_ROOT/.local"; then
      dir=$(mktemp -d -p /tmp --suffix=.sentia-bench-pg)
      BENCH_DIRS+=("$dir")
    fi
    chown postgres "$dir"
  fi
  BENCH_PG_PORT=$(bench_free_port)
  # initdb reads the superuser's password from a file postgres can read; it
  # is used once below, over TCP (the socket wants peer authentication).
  pw="$dir/pw"
  (umask 077 && bench_secret >"$pw")
  [ "$(id -u)" -ne 0 ] || chown postgres "$pw"
  BENCH_PG_PASSWORD=$(bench_secret)
  bench_pg_user "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$pw" --auth-local=peer \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  bench_pg_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$BENCH_PG_PORT -c unix_socket_directories=$dir ${BENCH_PG_OPTIONS:-}" >/dev/null
  BENCH_PG_DATA="$dir/data"
  PGPASSWORD=$(cat "$pw") psql -X -q -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -f - >/dev/null <<SQL
CREATE ROLE sentia LOGIN CREATEDB PASSWORD '$BENCH_PG_PASSWORD';
CREATE DATABASE sentia OWNER sentia;
SQL
  BENCH_DATABASE_URL="postgresql://sentia:$BENCH_PG_PASSWORD@127.0.0.1:$BENCH_PG_PORT/sentia"
}

# The fake Twilio's account; bench/benchlib.py has the same values.
BENCH_TWILIO_SID=AC$(printf 'be%.0s' {1..16})
BENCH_TWILIO_TOKEN=bench-twilio-token

# bench_fake_twilio: tests/fakes/twilio.py on a free port, status callbacks
# off (nothing would receive them); sets BENCH_TWILIO_URL.
bench_fake_twilio() {
  local out i
  out=$(mktemp -p "$BENCH_ROOT/.local" --suffix=.bench-twilio)
  BENCH_DIRS+=("$out")
  /usr/bin/python3 "$BENCH_ROOT/tests/fakes/twilio.py" --port 0 --callbacks "" \
    --account-sid "$BENCH_TWILIO_SID" --auth-token "$BENCH_TWILIO_TOKEN" >"$out" 2>&1 &
  BENCH_PIDS+=($!)
  for i in $(seq 1 100); do grep -q '^ready ' "$out" && break; sleep 0.05; done
  BENCH_TWILIO_URL="http://127.0.0.1:$(awk '/^ready / {print $2}' "$out")"
}

# bench_commerce: migrates the private database (sentia-migrate up) and
# seeds 100 products, SKU-000 … SKU-099, with stock no benchmark runs out of.
bench_commerce() {
  REDIS_URL=$BENCH_REDIS_URL DATABASE_URL=$BENCH_DATABASE_URL APP_ENV=development \
    "$BENCH_BUILD/worker/sentia-migrate" up >/dev/null
  psql -X -q "$BENCH_DATABASE_URL" -v ON_ERROR_STOP=1 \
    -c "INSERT INTO products (sku, name, unit_price, currency, active)
        SELECT format('SKU-%s', lpad(g::text, 3, '0')), 'Bench product ' || g, 2.50, 'GBP', true
        FROM generate_series(0, 99) g" \
    -c "INSERT INTO inventory (sku, location, on_hand) SELECT sku, 'main', 100000000 FROM products"
}

# bench_stop PID NAME: SIGTERM, wait, and fail unless it exited 0.
bench_stop() {
  kill -TERM "$1"
  wait "$1" || { echo "bench: $2 exited non-zero" >&2; exit 1; }
}

# bench_redis_lpush CLIENTS REQUESTS: redis-benchmark's LPUSH requests/s.
bench_redis_lpush() {
  redis-benchmark -p "$BENCH_REDIS_PORT" -a "$REDISCLI_AUTH" -t lpush -c "$1" -n "$2" -q 2>/dev/null \
    | tr '\r' '\n' | awk '/LPUSH/ && /requests per second/ {v=$2} END {print v+0}'
}

bench_machine() {
  printf 'machine: %s cores, %s, %s\n' "$(nproc)" \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$(date -u +%Y-%m-%dT%H:%MZ)"
  bench_load
}

# bench_load: how busy the machine is (other tenants make figures noisy):
# load average and the share of the last minute some task waited for a CPU.
bench_load() {
  printf 'load: average %s, cpu pressure %s%% (PSI some avg60)\n' "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(sed -nE 's/^some avg10=[0-9.]+ avg60=([0-9.]+).*/\1/p' /proc/pressure/cpu 2>/dev/null || echo '?')"
}

bench_require() {
  local f
  for f in "$@"; do
    [ -x "$BENCH_BUILD/$f" ] || { echo "bench: $BENCH_BUILD/$f missing: run ./dev bench $(basename "$0" .sh)" >&2; exit 1; }
  done
}
