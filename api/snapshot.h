/*
 * api/snapshot.h: one asynchronous look at the queues in Redis, for
 * /health/detailed and /metrics.
 *
 * Two pipelined rounds on the thread's connection: (1) PING (latency),
 * SMEMBERS <prefix>:queues, ZRANGE <prefix>:workers; (2) the stats script
 * per queue (+ HGETALL jobstats for metrics) and HGETALL of each worker's
 * registry hash (absent hash = not live). The whole look is bounded by
 * REDIS_TIMEOUT_MS (api/pending.h); the callback gets whatever arrived,
 * with `complete` false, when the deadline passes first.
 *
 * Ownership: the snapshot passed to the callback is borrowed for the call.
 * The callback runs at most once, and only while the request is alive.
 */
#ifndef SENTIA_API_SNAPSHOT_H
#define SENTIA_API_SNAPSHOT_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "queue/queue.h"

enum {
    SNAPSHOT_QUEUES_MAX = 64,   /* queues looked at per snapshot */
    SNAPSHOT_WORKERS_MAX = 256, /* workers looked at per snapshot */
};

struct snapshot_queue {
    char *name;
    bool ok; /* stats arrived */
    struct queue_stats stats;
    size_t nfields;          /* jobstats hash, when asked for */
    char **fields;
    int64_t *values;
    /* waitstats hash (with jobstats): non-cumulative counts per
     * queue_bucket_labels entry and the sum; has_wait once any run counted. */
    bool has_wait;
    int64_t wait_le[QUEUE_BUCKETS];
    int64_t wait_sum_us;
};

struct snapshot_worker {
    char *id;
    bool live;              /* registry hash exists */
    char *host, *queues;    /* NULL if absent */
    char *postgres;         /* "up", "down" or NULL (unknown) */
    int64_t postgres_changed_ms;
    int64_t heartbeat_ms;
    int64_t rss_bytes, memory_limit_bytes; /* 0 when not published */
};

struct snapshot {
    bool redis_ok;  /* PING answered */
    /* The ops.autoscale state hash <prefix>:autoscale (with_jobstats only):
     * field names and their texts, n pairs (worker/jobs/autoscale.c). */
    char **autoscale_fields, **autoscale_values;
    size_t nautoscale;
    bool complete;  /* every reply arrived in time */
    int64_t ping_us;
    struct snapshot_queue *queues;
    size_t nqueues;
    struct snapshot_worker *workers;
    size_t nworkers;
};

typedef void (*snapshot_cb)(h2o_req_t *req, const struct snapshot *s);

/*
 * Starts a snapshot on req's thread (its Redis client and deadline list);
 * with_jobstats adds the per-type histograms and the autoscale state.
 */
void snapshot_collect(h2o_req_t *req, bool with_jobstats, snapshot_cb cb);

/* True when worker w is live and lists queue in its `queues` field
 * ("webhooks:32,notify:16"). */
bool snapshot_worker_serves(const struct snapshot_worker *w, const char *queue);
/* The autoscale state's text for field, or NULL. */
const char *snapshot_autoscale(const struct snapshot *s, const char *field);

#endif
