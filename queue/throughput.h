/*
 * queue/throughput.h: per queue and minute, how many jobs completed and
 * failed (issue 12). The ack and fail scripts keep one hash per queue and
 * minute, "<prefix>:{Q}:tp:<epoch minute>" with fields completed and failed
 * (one HINCRBY per script call; the hash expires after 25 h, so a day of
 * minutes can always be read). A failure counts when it retries with
 * backoff or goes dead; a deferral does not.
 *
 * Ownership as in queue.h: the op owns its formatted keys.
 */
#ifndef SENTIA_QUEUE_THROUGHPUT_H
#define SENTIA_QUEUE_THROUGHPUT_H

#include <stddef.h>
#include <stdint.h>

#include "queue/queue.h"

enum {
    QUEUE_THROUGHPUT_TTL_S = 25 * 3600,
    QUEUE_THROUGHPUT_MAX_MINUTES = 1440,
};

/* The minute number of an epoch-ms time (floor(ms / 60 000)). */
int64_t queue_minute_of(int64_t epoch_ms);

/* Appends the key of the hash of `minute` to a, for ack and fail. */
void queue_throughput_add_key(struct redis_args *a, const char *prefix,
                              const char *queue, int64_t minute);

/* Reads n consecutive minutes from first (n ≤ QUEUE_THROUGHPUT_MAX_MINUTES). */
void queue_op_throughput(struct queue_op *op, const char *prefix,
                         const char *queue, int64_t first, size_t n);
/* Fills completed[n] and failed[n]; 0, or -1 if the reply is malformed. */
int queue_parse_throughput(const redisReply *r, int64_t *completed,
                           int64_t *failed, size_t n);

#endif
