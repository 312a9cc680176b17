/*
 * queue/queue.h: the queue protocol on Redis (DESIGN.md §3).
 *
 * Keys of queue Q: "<prefix>:{Q}:<part>" (ready, delayed, dead, paused,
 * stats, jobstats, workers, dedup:<key>, active:<worker>); the hash tag keeps
 * one queue in one Cluster slot. Global: "<prefix>:queues" (set of names),
 * "<prefix>:workers" (zset id → last heartbeat ms) and "<prefix>:worker:<id>"
 * (hash with host, pid, …; TTL).
 *
 * Every lifecycle step is an *operation*: a command or Lua script plus its
 * arguments, built by a queue_op_*() function and run by either client —
 * queue_op_run_sync() (CLI, tests) or queue_op_run_async() (API, worker) —
 * then read by the matching queue_parse_*(). So the protocol exists once,
 * whatever the transport.
 *
 * Ownership: a struct queue_op owns the key strings it built and references
 * (does not copy) the envelopes and other strings passed in; keep those alive
 * until the op is run, then queue_op_dispose() it. Parsers borrow the reply.
 */
#ifndef SENTIA_QUEUE_QUEUE_H
#define SENTIA_QUEUE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/redis.h"
#include "queue/job.h"

enum {
    QUEUE_NAME_MAX = 64,
    QUEUE_PREFIX_MAX = 64,
    QUEUE_DEAD_CAP = 10000,          /* dead list keeps the newest 10 000 (MAX_DEAD_JOBS) */
    QUEUE_DEDUP_TTL_S = 86400,       /* idempotency keys live 24 h */
    QUEUE_LEASE_MS = 30000,          /* heartbeat older than this → reaped */
    QUEUE_WORKER_TTL_S = 90,         /* registry hash outlives a few beats */
    QUEUE_PROMOTE_BATCH = 1000,
    QUEUE_BUCKETS = 17,              /* duration histogram buckets */
};

/* Queue names: 1–64 of [A-Za-z0-9_.-]; prefixes the same plus ':'. */
bool queue_name_valid(const char *name);
bool queue_prefix_valid(const char *prefix);

/* "<prefix>:{<queue>}:<part>", caller frees. */
char *queue_key(const char *prefix, const char *queue, const char *part);

/* Upper bounds of the duration histogram, in seconds ("+Inf" last). */
extern const char *const queue_bucket_labels[QUEUE_BUCKETS];
/* The label of the bucket a duration falls in. */
const char *queue_bucket_for_us(int64_t duration_us);

/* ---- operations --------------------------------------------------------- */

struct queue_op {
    const struct redis_script *script; /* NULL: a plain command */
    int nkeys;
    int timeout_ms; /* async deadline; 0 = the client's default */
    struct redis_args args;
};

void queue_op_dispose(struct queue_op *op);
/* Runs op; the reply (or NULL on I/O error) is the caller's to free. */
redisReply *queue_op_run_sync(struct redis_sync *r, const struct queue_op *op);
/* Runs op; same contract as redis_client_command (0 queued, -1 not connected). */
int queue_op_run_async(struct redis_client *c, const struct queue_op *op,
                       redis_reply_cb cb, void *data);

/*
 * The full command of op (EVALSHA sha nkeys … for scripts), for pipelines.
 * `out` references op's strings: keep op alive until out is sent.
 */
void queue_op_argv(const struct queue_op *op, struct redis_args *out);

/* Enqueue one encoded job; due_ms 0 = ready now, else the epoch ms it is due. */
void queue_op_enqueue(struct queue_op *op, const char *prefix, const struct job *job,
                      const char *envelope, size_t len, int64_t due_ms,
                      int dedup_ttl_s);
/* 0 and *duplicate (+ the existing id when duplicate), or -1 if malformed. */
int queue_parse_enqueue(const redisReply *r, bool *duplicate, char *id,
                        size_t idsize);

/* Many envelopes (no idempotency keys), run in the order given. */
void queue_op_enqueue_bulk(struct queue_op *op, const char *prefix,
                           const char *queue, char *const *envelopes,
                           const size_t *lens, size_t n);

/* One job of a group commit (queue_op_enqueue_many); every string borrowed. */
struct queue_many_job {
    const char *envelope;
    size_t len;
    const char *id;
    const char *dedup_key; /* the job's idempotency key, or NULL */
};

/*
 * A group commit: jobs[0..n) due now on `queue`, in one script call, each
 * deduplicated like queue_op_enqueue when it has a dedup key (duplicates
 * within the call included). All or nothing for the call: a failing call
 * stored none of them. Keeps references to the jobs' strings.
 */
void queue_op_enqueue_many(struct queue_op *op, const char *prefix, const char *queue,
                           const struct queue_many_job *jobs, size_t n, int dedup_ttl_s);
/*
 * Reads job i of an n-job enqueue_many reply: 0 and *duplicate (+ the first
 * job's id when duplicate), or -1 if the reply is malformed.
 */
int queue_parse_enqueue_many(const redisReply *r, size_t n, size_t i, bool *duplicate,
                             char *id, size_t idsize);

/* Blocking wait for one job (BLMOVE ready → active:<worker>). */
void queue_op_wait(struct queue_op *op, const char *prefix, const char *queue,
                   const char *worker, double timeout_s);
/* Non-blocking: up to n more jobs, unless paused. */
void queue_op_reserve(struct queue_op *op, const char *prefix, const char *queue,
                      const char *worker, int n);
/*
 * Reads a reserve reply: 0 with *paused, and the envelopes as r->element
 * indexes [*first, r->elements); -1 if malformed.
 */
int queue_parse_reserve(const redisReply *r, bool *paused, size_t *first);

/* A finished job, for queue_op_ack. */
struct queue_done {
    const char *envelope;
    size_t len;
    const char *type;
    int64_t duration_us;
};

void queue_op_ack(struct queue_op *op, const char *prefix, const char *queue,
                  const char *worker, const struct queue_done *done, size_t n);

enum queue_fail_mode {
    QUEUE_FAIL_RETRY, /* again after backoff, one attempt spent */
    QUEUE_FAIL_DEAD,  /* to the dead list */
    QUEUE_FAIL_DEFER, /* again after a given delay, no attempt spent */
};

/* What to do with a failed job, and the envelope that replaces it. */
struct queue_failure {
    enum queue_fail_mode mode;
    int64_t due_ms;
    char *envelope; /* owned; freed by queue_failure_dispose */
    size_t len;
    /* Dead jobs kept at most (MAX_DEAD_JOBS), the oldest dropped and counted
     * as dead_evicted; 0 = QUEUE_DEAD_CAP. queue_plan_failure sets 0. */
    int dead_cap;
};

/*
 * Decides a failure: `permanent` errors go dead at once; a `defer_ms` > 0
 * (e.g. a provider's Retry-After) retries then without spending an attempt;
 * otherwise retry with backoff while attempts remain, else dead.
 */
void queue_plan_failure(const struct job *job, const char *error, bool permanent,
                        int64_t defer_ms, int64_t now_ms, struct queue_failure *out);
void queue_failure_dispose(struct queue_failure *f);

/* Reply: 0 when the job was no longer held, else 1 + dead jobs the cap dropped. */
void queue_op_fail(struct queue_op *op, const char *prefix, const char *worker,
                   const struct job *job, const struct queue_failure *f,
                   int64_t duration_us);

void queue_op_promote(struct queue_op *op, const char *prefix, const char *queue,
                      int limit);
void queue_op_heartbeat(struct queue_op *op, const char *prefix, const char *queue,
                        const char *worker);
/* Workers of a queue whose heartbeat is older than lease_ms (array reply). */
void queue_op_stale(struct queue_op *op, const char *prefix, const char *queue,
                    int lease_ms);
/* Returns a worker's jobs to ready; lease 0 = unconditionally (shutdown). */
void queue_op_reap(struct queue_op *op, const char *prefix, const char *queue,
                   const char *worker, int lease_ms);

void queue_op_revive(struct queue_op *op, const char *prefix, const char *queue,
                     const char *old_env, size_t old_len, const char *new_env,
                     size_t new_len);
/* Drops every job in `state` ("ready" or "dead"); reply: how many. */
void queue_op_purge(struct queue_op *op, const char *prefix, const char *queue,
                    const char *state);
/* SET paused (value says who/when) or DEL it. */
void queue_op_pause(struct queue_op *op, const char *prefix, const char *queue,
                    bool pause, const char *who);
/* SADD <prefix>:queues queue — every producer and consumer registers. */
void queue_op_register(struct queue_op *op, const char *prefix, const char *queue);
void queue_op_list(struct queue_op *op, const char *prefix);

/* ---- stats -------------------------------------------------------------- */

/* Counters of <prefix>:{Q}:stats (absent fields are 0). */
struct queue_counters {
    int64_t enqueued, deduped, completed, failed, retried, dead, recovered,
        deferred, revived, dead_evicted;
};

struct queue_stats {
    int64_t ready, delayed, dead, active, workers;
    bool paused;
    int64_t oldest_age_ms; /* age of the next ready job, 0 if none */
    int64_t now_ms;        /* Redis' clock at the snapshot */
    struct queue_counters counters;
};

void queue_op_stats(struct queue_op *op, const char *prefix, const char *queue);
int queue_parse_stats(const redisReply *r, struct queue_stats *out);
/* Field name → counter slot, or NULL; for printing every counter in order. */
extern const char *const queue_counter_names[];
int64_t queue_counter_get(const struct queue_counters *c, size_t index);

/* ---- queue wait ------------------------------------------------------------ */

/*
 * HINCRBY <prefix>:{Q}:waitstats <field> <by>: the wait histogram of a
 * queue (enqueue, or due time for delayed and retried jobs, → start of the
 * run), fields "le:<bucket label>" (non-cumulative, queue_bucket_labels) and
 * "sum_us"; workers sum their runs' waits in memory and add them with
 * these at each heartbeat (worker/core/waits.h).
 */
void queue_op_waitstat(struct queue_op *op, const char *prefix, const char *queue,
                       const char *field, int64_t by);

/* ---- worker registry ---------------------------------------------------- */

struct queue_worker_info {
    const char *id, *host, *version, *queues; /* queues: "webhooks:32,…" */
    int pid;
    int64_t started_ms, heartbeat_ms;
    int in_flight, concurrency;
    /* Optional (NULL: not written): "up" | "down" | "unknown", and since when. */
    const char *postgres;
    int64_t postgres_changed_ms;
    /* Optional (≤ 0: not written): the process's RSS and its instance's memory. */
    int64_t rss_bytes, memory_limit_bytes;
};

/* HSET the registry hash (with TTL) and ZADD the registry: two ops. */
void queue_op_worker_update(struct queue_op *op, const char *prefix,
                            const struct queue_worker_info *w);
void queue_op_worker_expire(struct queue_op *op, const char *prefix,
                            const char *id);
void queue_op_worker_touch(struct queue_op *op, const char *prefix,
                           const char *id, int64_t now_ms);
/* Deregistration: ZREM from the registry, DEL the hash: two ops. */
void queue_op_worker_forget(struct queue_op *op, const char *prefix, const char *id);
void queue_op_worker_delete(struct queue_op *op, const char *prefix, const char *id);

#endif
