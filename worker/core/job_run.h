/*
 * worker/core/job_run.h: the lifecycle of one job run, the runtime side of
 * worker/core/handler.h.
 *
 *   run_start: decode the envelope → find the handler → call it
 *     (a malformed envelope or an unknown type finishes at once as dead)
 *   RUNNING: the handler's tracked operations (queries, transfers, timers,
 *     thread-pool work, enqueues) are linked to the run; its timeout timer runs
 *   FINISHED by job_run_succeed / _fail / _fail_permanent / _defer, by the
 *     timeout, or by run_abandon (shutdown): the outcome is fixed, every
 *     tracked operation is orphaned and cancelled (its callback will not reach
 *     the handler), the handler's state is destroyed, and the consumer gets
 *     the run back to write its result (ack or fail) in the next batch.
 *   freed by the consumer with run_free once the result is written.
 *
 * A transient failure of a run that saw Postgres unavailable (a query failed
 * with pgpool_error.unavailable) is turned into a *defer*: retried after
 * RUN_PG_DEFER_MS without spending an attempt, so an outage never exhausts a
 * job's attempts.
 *
 * A run reports to its owner (the consumer) through struct job_run_owner's
 * callbacks, so this module never includes the consumer. struct job_run is
 * visible to the owner only; handlers see it as opaque.
 */
#ifndef SENTIA_WORKER_RUN_H
#define SENTIA_WORKER_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "queue/queue.h"
#include "worker/core/handler.h"

enum {
    RUN_PG_DEFER_MS = 2000,        /* retry delay while Postgres is unavailable… */
    RUN_PG_DEFER_JITTER_MS = 1000, /* …spread so a backlog does not return at once */
    RUN_INVALID_RAW_MAX = 64 * 1024, /* bytes of a malformed envelope kept in dead */
};

enum run_outcome {
    RUN_ACK,     /* succeeded: ack */
    RUN_FAIL,    /* failed: `failure` says retry, defer or dead */
    RUN_ABANDON, /* shutdown: left in the active list for the hand-back */
};

struct job_run;
struct run_op;
struct worker_runtime;

/*
 * Who starts runs and takes them back (the consumer of one queue). Borrowed
 * by every run it starts; it must outlive them. `started` links the run into
 * the owner's running list; `finished` hands it back once its outcome is
 * fixed (the owner writes the result, then calls run_free).
 */
struct job_run_owner {
    struct worker_runtime *rt;
    const char *queue;
    void (*started)(void *data, struct job_run *run);
    void (*finished)(void *data, struct job_run *run);
    void *data;
};

struct job_run {
    struct job_run *prev, *next; /* owner's running list, then its result list */
    const struct job_run_owner *owner;
    struct worker_runtime *rt;
    const struct job_handler *handler; /* NULL for malformed / unknown */
    struct job *job;
    bool finished;
    enum run_outcome outcome;
    struct queue_failure failure; /* RUN_FAIL */
    bool pg_unavailable;
    uint64_t start_us;
    int64_t duration_us;
    int timeout_ms;
    struct run_op *ops; /* tracked operations, doubly linked */
    void *state;
    void (*destroy)(void *);
    uv_timer_t *timer; /* timeout; its memory is freed in its close callback */
};

/*
 * Starts a run for an envelope just reserved from the consumer's queue (the
 * bytes are copied). The run reports itself to the consumer when it starts
 * and when it finishes.
 */
void run_start(const struct job_run_owner *owner, const char *raw, size_t len);
/* Ends a running run without a result (shutdown past its deadline). */
void run_abandon(struct job_run *run);
/* Frees a finished run. */
void run_free(struct job_run *run);

#endif
