/*
 * worker/core/handler.h: the contract between sentia-worker's runtime and the job
 * handlers (one file per job family in worker/jobs/).
 *
 * A handler is called on the worker's libuv loop with a struct job_run and
 * must never block: it does its I/O through the job_run_* wrappers below and
 * finishes the run exactly once with job_run_succeed / job_run_fail /
 * job_run_fail_permanent / job_run_defer. CPU-heavy work goes to
 * job_run_work (uv_queue_work).
 *
 * The runtime owns the run. It enforces the handler's timeout: when it
 * expires, or the worker shuts down past its deadline, the run is finished
 * for the handler ("timeout" / returned to ready) and every tracked
 * operation (query, transfer, timer, work) is cancelled; their callbacks are
 * then NOT called, so handler state referenced only from those callbacks is
 * freed through job_run_set_state's destructor. After a run is finished, the
 * handler must not touch it again.
 *
 * Error classes (what the runtime does with the job):
 * - job_run_fail: transient (5xx, 429 without a delay, timeout, Postgres or
 *   network down) → retry with exponential backoff while attempts remain;
 * - job_run_fail_permanent: can never succeed (bad payload, a provider's 4xx
 *   that will not change) → straight to dead, with the reason;
 * - job_run_defer: the provider said when to come back (Retry-After) → retry
 *   then, without spending an attempt.
 * A run whose query failed with pgpool_error.unavailable (Postgres down or the
 * connection lost) and that then calls job_run_fail is deferred by the
 * runtime (2–3 s, no attempt spent): an outage never exhausts a job's attempts.
 *
 * No callback of a tracked operation ever runs inside the job_run_* call that
 * started it (errors known at once arrive from the loop), so a handler may
 * start several operations in a row safely.
 */
#ifndef SENTIA_WORKER_HANDLER_H
#define SENTIA_WORKER_HANDLER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "lib/http.h"
#include "lib/pgpool.h"
#include "lib/redis.h"
#include "queue/job.h"

struct job_run;
struct config;
struct config_var;

/* What a handler may use besides its run (read-only for handlers). */
struct worker_services {
    uv_loop_t *loop;
    const struct config *cfg;  /* every variable the worker declared */
    const char *prefix;        /* QUEUE_PREFIX */
    const char *worker_id;
};

typedef void (*job_handler_fn)(struct job_run *run);

struct job_handler {
    const char *type;     /* exact job type, e.g. "whatsapp.inbound" */
    job_handler_fn run;
    int max_attempts;     /* > 0 overrides the envelope's max_attempts */
    int timeout_ms;       /* the run is aborted after this; 0 = JOB_TIMEOUT_MS
                             (30000); an envelope's timeout_ms overrides both */
};

/* ---- what a handler reads ------------------------------------------------ */

const struct job *job_run_job(const struct job_run *run);
const struct worker_services *job_run_services(const struct job_run *run);
/* Attaches handler state, destroyed (destroy(state)) when the run ends. */
void job_run_set_state(struct job_run *run, void *state, void (*destroy)(void *));
void *job_run_state(const struct job_run *run);

/* ---- tracked, cancellable operations ------------------------------------- */

/* A Postgres statement (see lib/pgpool.h); cb is not called if the run ended. */
void job_run_query(struct job_run *run, const char *sql, int nparams,
                   const char *const *params, pgpool_cb cb, void *data);
/* An HTTP transfer (see lib/http.h); same rule. */
void job_run_http(struct job_run *run, const struct http_request *req, http_cb cb,
                  void *data);
/* A timer of at least delay_ms from this call; same rule. */
void job_run_after(struct job_run *run, uint64_t delay_ms,
                   void (*cb)(struct job_run *run, void *data), void *data);
/*
 * CPU work on the libuv thread pool: work(data) runs on another thread and
 * must touch nothing but data; done(run, data) runs on the loop afterwards
 * unless the run ended (then data is handed to `discard`, which may be NULL).
 */
void job_run_work(struct job_run *run, void (*work)(void *data),
                  void (*done)(struct job_run *run, void *data),
                  void (*discard)(void *data), void *data);
/*
 * Enqueues a follow-up job (takes ownership of `job`); cb(run, error) with
 * error NULL once Redis confirmed it (a duplicate idempotency key counts as
 * confirmed), else a message. Same rule as above for cb.
 */
void job_run_enqueue(struct job_run *run, struct job *job,
                     void (*cb)(struct job_run *run, const char *error, void *data),
                     void *data);

/*
 * One Redis command on the worker's connection: a script (EVALSHA, keys
 * first in args; e.g. worker/kit/scripts.h) or, with script NULL, a plain command.
 * cb(run, reply, error, data): reply borrowed for the call; error NULL on
 * success, else why (Redis down, timeout, an error reply). Same rule.
 */
typedef void (*job_redis_cb)(struct job_run *run, const redisReply *reply, const char *error,
                             void *data);
void job_run_redis(struct job_run *run, const struct redis_script *script, int nkeys,
                   const struct redis_args *args, job_redis_cb cb, void *data);

/* ---- finishing (exactly one, exactly once) -------------------------------- */

void job_run_succeed(struct job_run *run);
void job_run_fail(struct job_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void job_run_fail_permanent(struct job_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void job_run_defer(struct job_run *run, int64_t delay_ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- families ------------------------------------------------------------ */

/*
 * One job family (worker/jobs/<family>.c exports one, worker/jobs/jobs.h
 * declares it, main.c's table lists it): its job types and, for a provider
 * sync, what it needs configured. The runtime finds handlers through the
 * table (worker/core/registry.h); the scheduler skips and announces the
 * families that cannot run here.
 */
struct job_family {
    const char *name;                    /* "shopify": also its job types' prefix */
    const struct job_handler *handlers;  /* terminated by an entry whose type is NULL */
    const struct config_var *config;     /* its variables, or NULL */
    /* NULL when the family always runs; else why it cannot run here
     * ("SHOPIFY_SHOP, …"), NULL when it can. */
    const char *(*missing)(const struct config *cfg);
};

#endif
