# bench/lib.sh: shared helpers for bench/*.sh (sourced, not run).
# Every benchmark starts its own servers on free loopback ports under
# .local/bench-*, measures, prints figures, and cleans up on exit.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=${SENTIA_BENCH_BUILD:-$BENCH_ROOT/build}
BENCH_PIDS=()
BENCH_DIRS=()

bench_free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_cleanup() {
  local p d
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${BENCH_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  for d in "${BENCH_DIRS[@]}"; do rm -rf "$d"; done
}
trap bench_cleanup EXIT

# bench_redis: starts a private Redis like production's (AOF on,
# noeviction); sets BENCH_REDIS_PORT and BENCH_REDIS_URL.
bench_redis() {
  local dir
  mkdir -p "$BENCH_ROOT/.local"
  dir=$(mktemp -d "$BENCH_ROOT/.local/bench-redis.XXXXXX")
  BENCH_DIRS+=("$dir")
  BENCH_REDIS_PORT=$(bench_free_port)
  redis-server --port "$BENCH_REDIS_PORT" --bind 127.0.0.1 --dir "$dir" \
    --appendonly yes --maxmemory-policy noeviction --save '' \
    --logfile "$dir/redis.log" >/dev/null &
  BENCH_PIDS+=($!)
  local i
  for i in $(seq 1 100); do
    redis-cli -p "$BENCH_REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.05
  done
  BENCH_REDIS_URL="redis://127.0.0.1:$BENCH_REDIS_PORT/0"
}

# bench_redis_lpush CLIENTS REQUESTS: redis-benchmark's LPUSH requests/s.
bench_redis_lpush() {
  redis-benchmark -p "$BENCH_REDIS_PORT" -t lpush -c "$1" -n "$2" -q 2>/dev/null \
    | tr '\r' '\n' | awk '/LPUSH/ && /requests per second/ {v=$2} END {print v+0}'
}

bench_machine() {
  printf 'machine: %s cores, %s, %s\n' "$(nproc)" \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$(date -u +%Y-%m-%dT%H:%MZ)"
}

bench_require() {
  local f
  for f in "$@"; do
    [ -x "$BENCH_BUILD/$f" ] || { echo "bench: $BENCH_BUILD/$f missing: run ./dev bench $(basename "$0" .sh)" >&2; exit 1; }
  done
}

# bench_postgres: a throw-away PostgreSQL cluster on a free port, modelled on
# ./dev's start_postgres (runs as `postgres` when we are root; fsync off: a
# bench measures Sentia, not the disk); creates role and database sentia,
# sets BENCH_PG_PORT and BENCH_DATABASE_URL. Stopped by bench_cleanup.
bench_postgres() {
  local bin dir pw
  bin="/usr/lib/postgresql/$(ls /usr/lib/postgresql | sort -V | tail -1)/bin"
  dir=$(mktemp -d /tmp/sentia-bench-pg.XXXXXX)
  BENCH_DIRS+=("$dir")
  BENCH_PG_PORT=$(bench_free_port)
  pw="$dir/pw"; echo postgres >"$pw"; chmod 644 "$pw"
  local run=()
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$dir"; run=(runuser -u postgres --); fi
  "${run[@]}" "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$pw" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -c port=$BENCH_PG_PORT -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  BENCH_PG_STOP="${run[*]} $bin/pg_ctl -D $dir/data -m fast -w stop"
  PGPASSWORD=postgres "$bin/psql" -h 127.0.0.1 -p "$BENCH_PG_PORT" -U postgres -d postgres -qtA \
    -c "CREATE ROLE sentia LOGIN CREATEDB PASSWORD 'sentia'" -c "CREATE DATABASE sentia OWNER sentia" >/dev/null
  BENCH_DATABASE_URL="postgresql://sentia:sentia@127.0.0.1:$BENCH_PG_PORT/sentia"
  # stop the cluster before bench_cleanup removes its directory
  trap '[ -n "${BENCH_PG_STOP:-}" ] && $BENCH_PG_STOP >/dev/null 2>&1; bench_cleanup' EXIT
}
