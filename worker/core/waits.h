/*
 * worker/core/waits.h: the queue-wait histogram a worker gathers between
 * flushes (sentia_queue_wait_seconds, docs/OPERATIONS.md).
 *
 * A run adds its wait (enqueue or due time → its start) here with no I/O;
 * the runtime flushes the sums to <prefix>:{Q}:waitstats with one HINCRBY
 * per non-zero field at each heartbeat and before it deregisters, instead
 * of two Redis commands per job (which cost the no-op drain 38 %,
 * docs/PERFORMANCE.md). A flush lost with the connection loses a figure,
 * never a job.
 *
 * Ownership: struct worker_waits lives inside struct worker_runtime; its
 * fields are this module's. Loop thread only.
 */
#ifndef SENTIA_WORKER_WAITS_H
#define SENTIA_WORKER_WAITS_H

#include <stdint.h>

#include "queue/queue.h"
#include "worker/core/queues.h"

struct redis_client;

struct worker_waits {
    struct {
        char queue[QUEUE_NAME_MAX + 1];
        int64_t count[QUEUE_BUCKETS];
        int64_t sum_us;
    } q[WORKER_QUEUES_MAX];
    int n;
};

/* Adds one run's wait on queue; a queue beyond WORKER_QUEUES_MAX is not counted. */
void worker_waits_add(struct worker_waits *w, const char *queue, int64_t wait_us);

/* Sends every non-zero sum as HINCRBYs on r (not awaited) and zeroes them. */
void worker_waits_flush(struct worker_waits *w, struct redis_client *r, const char *prefix);

#endif
