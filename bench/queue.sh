#!/usr/bin/env bash
# bench/queue.sh: throughput of the queue protocol on a private Redis
# (AOF on, noeviction) — enqueue/s and reserve+ack/s for no-op jobs over a
# 100 000-job run — with redis-benchmark's LPUSH in the same run for scale.
#   ./dev bench queue [JOBS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
JOBS=${1:-100000}
bench_require bench/queue_bench queue/sentia-queue
bench_redis

bench_machine
lpush50=$(bench_redis_lpush 50 200000)
lpush1=$(bench_redis_lpush 1 50000)
out=$("$BENCH_BUILD/bench/queue_bench" "$BENCH_REDIS_URL" "$JOBS" 100)
enq=$(sed -n 's/^enqueue_per_s=//p' <<<"$out")
drain=$(sed -n 's/^reserve_ack_per_s=//p' <<<"$out")

# The operator's path: sentia-queue enqueue --count (one process, pipelined).
redis-cli -p "$BENCH_REDIS_PORT" flushall >/dev/null
t0=$(date +%s.%N)
REDIS_URL=$BENCH_REDIS_URL "$BENCH_BUILD/queue/sentia-queue" enqueue cli sys.noop --count "$JOBS" >/dev/null
t1=$(date +%s.%N)
cli=$(awk -v n="$JOBS" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", n / (b - a)}')

printf '%-44s %12s %8s\n' "measure ($JOBS jobs)" "per second" "ratio"
printf '%-44s %12.0f %8s\n' "redis-benchmark LPUSH, 50 clients" "$lpush50" "1.00"
printf '%-44s %12.0f %8.2f\n' "redis-benchmark LPUSH, 1 client" "$lpush1" "$(awk -v a="$lpush1" -v b="$lpush50" 'BEGIN{print a/b}')"
printf '%-44s %12.0f %8.2f\n' "enqueue (script per job, pipelined x1000)" "$enq" "$(awk -v a="$enq" -v b="$lpush50" 'BEGIN{print a/b}')"
printf '%-44s %12.0f %8.2f\n' "sentia-queue enqueue --count" "$cli" "$(awk -v a="$cli" -v b="$lpush50" 'BEGIN{print a/b}')"
printf '%-44s %12.0f %8.2f\n' "reserve(100)+ack(100), one client" "$drain" "$(awk -v a="$drain" -v b="$lpush50" 'BEGIN{print a/b}')"
