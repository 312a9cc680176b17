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
