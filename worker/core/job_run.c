/*
 * worker/core/job_run.c: job runs and their tracked operations (see job_run.h for the
 * lifecycle, worker/core/handler.h for the handlers' side).
 *
 * A tracked operation (struct run_op) is linked to its run until its
 * callback arrives or the run ends. When the run ends first, the op is
 * *orphaned* (op->run = NULL, unlinked) and then cancelled; an orphan's
 * callback only releases the op (and hands thread-pool data to `discard`).
 * Every wrapper copies the handler's callback and data, releases the op and
 * only then calls the handler, so a handler may finish the run from inside
 * its callback. No handler callback ever runs inside a job_run_* call: errors
 * known at once (no database configured, Redis down) are delivered from a
 * 0 ms timer.
 *
 * Memory: an op that initialised its uv_timer is freed in the timer's close
 * callback; a work op after its after-work callback; others at once.
 */
#include "worker/core/job_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "worker/core/env.h"
#include "worker/core/registry.h"

enum run_op_kind { OP_QUERY, OP_HTTP, OP_TIMER, OP_WORK, OP_ENQUEUE, OP_REDIS };

struct run_op {
    struct run_op *prev, *next;
    struct job_run *run; /* NULL once orphaned */
    enum run_op_kind kind;
    struct pgpool_query *query;
    struct http_transfer *transfer;
    bool timer_used; /* op->timer initialised: free in its close callback */
    bool work_queued;
    const char *soon_error; /* delivered from the 0 ms timer */
    uv_timer_t timer;
    uv_work_t work;
    union {
        pgpool_cb query;
        http_cb http;
        void (*after)(struct job_run *run, void *data);
        void (*done)(struct job_run *run, void *data);
        void (*enqueued)(struct job_run *run, const char *error, void *data);
        job_redis_cb redis;
    } cb;
    void (*work_fn)(void *data);
    void (*discard)(void *data);
    void *data;
};

/* ---- tracked operations ------------------------------------------------- */

static struct run_op *run_op_new(struct job_run *run, enum run_op_kind kind, void *data)
{
    struct run_op *op = mem_calloc(1, sizeof *op);
    op->run = run;
    op->kind = kind;
    op->data = data;
    op->next = run->ops;
    if (run->ops)
        run->ops->prev = op;
    run->ops = op;
    return op;
}

static void run_op_unlink(struct run_op *op)
{
    struct job_run *run = op->run;
    if (run == NULL)
        return;
    if (op->prev)
        op->prev->next = op->next;
    else
        run->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
    op->run = NULL;
}

static void run_op_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

/* Unlinks and frees op (through its timer's close callback when it has one). */
static void run_op_release(struct run_op *op)
{
    run_op_unlink(op);
    if (op->timer_used) {
        if (!uv_is_closing((uv_handle_t *)&op->timer))
            uv_close((uv_handle_t *)&op->timer, run_op_timer_closed);
    } else {
        free(op);
    }
}

static void run_op_init_timer(struct run_op *op)
{
    uv_timer_init(op->run->rt->loop, &op->timer);
    op->timer.data = op;
    op->timer_used = true;
}

/* Delivers an error known at once from the next loop turn. */
static void run_op_soon_cb(uv_timer_t *t);

static void run_op_fail_soon(struct run_op *op, const char *error)
{
    op->soon_error = error;
    run_op_init_timer(op);
    uv_timer_start(&op->timer, run_op_soon_cb, 0, 0);
}

static void run_op_soon_cb(uv_timer_t *t)
{
    struct run_op *op = t->data;
    struct job_run *run = op->run;
    void *data = op->data;
    const char *error = op->soon_error;
    enum run_op_kind kind = op->kind;
    pgpool_cb qcb = op->cb.query;
    void (*ecb)(struct job_run *, const char *, void *) = op->cb.enqueued;
    job_redis_cb rcb = op->cb.redis;
    run_op_release(op);
    if (run == NULL)
        return;
    if (kind == OP_QUERY) {
        struct pgpool_error e = {error, NULL, true, false};
        qcb(data, NULL, &e);
    } else if (kind == OP_REDIS) {
        rcb(run, NULL, error, data);
    } else {
        ecb(run, error, data);
    }
}

/* The run ended: orphan every op, then cancel what can be cancelled. */
static void run_cancel_ops(struct job_run *run)
{
    while (run->ops) {
        struct run_op *op = run->ops;
        run_op_unlink(op);
        if (op->timer_used)
            run_op_release(op);
        else if (op->kind == OP_QUERY && op->query)
            pgpool_cancel(op->query); /* calls back: the orphan frees itself */
        else if (op->kind == OP_HTTP && op->transfer)
            http_cancel(op->transfer);
        else if (op->kind == OP_WORK)
            uv_cancel((uv_req_t *)&op->work); /* fails if running: discarded later */
        /* OP_ENQUEUE, OP_REDIS: the reply frees the orphan */
    }
}

/* ---- finishing ---------------------------------------------------------- */

static void run_timer_closed(uv_handle_t *h)
{
    free(h);
}

static void run_log_finish(const struct job_run *run)
{
    static const char *const names[] = {"ack", "fail", "abandon"};
    if (!log_enabled(LOG_LEVEL_DEBUG))
        return;
    log_debug(LOG_FIELDS(LF_STR("job_id", run->job->id), LF_STR("type", run->job->type),
                         LF_STR("queue", run->job->queue), LF_STR("outcome", names[run->outcome]),
                         LF_INT("duration_us", run->duration_us)),
              "job finished");
}

/* Fixes the outcome, cancels everything, hands the run to the consumer. */
static void run_finish(struct job_run *run, enum run_outcome outcome)
{
    run->finished = true;
    run->outcome = outcome;
    run->duration_us = (int64_t)(clock_mono_us() - run->start_us);
    run_log_finish(run);
    if (run->timer) {
        uv_close((uv_handle_t *)run->timer, run_timer_closed);
        run->timer = NULL;
    }
    run_cancel_ops(run);
    if (run->destroy)
        run->destroy(run->state);
    run->state = NULL;
    run->destroy = NULL;
    run->owner->finished(run->owner->data, run);
}

/* True (and logged) when a handler finishes a run a second time. */
static bool run_already_finished(const struct job_run *run, const char *what)
{
    if (!run->finished)
        return false;
    log_error(LOG_FIELDS(LF_STR("job_id", run->job->id), LF_STR("type", run->job->type),
                         LF_STR("call", what)),
              "handler used a finished run; ignored");
    return true;
}

static const char *run_mode_name(enum queue_fail_mode m)
{
    return m == QUEUE_FAIL_RETRY ? "retry" : m == QUEUE_FAIL_DEFER ? "defer" : "dead";
}

static void run_log_failure(const struct job_run *run, const char *error)
{
    const struct job *j = run->job;
    const struct log_field *f = LOG_FIELDS(
        LF_STR("job_id", j->id), LF_STR("type", j->type), LF_STR("queue", j->queue),
        LF_INT("attempt", j->attempt + 1), LF_INT("max_attempts", j->max_attempts),
        LF_STR("outcome", run_mode_name(run->failure.mode)), LF_STR("error", error),
        LF_STR("request_id", j->request_id ? j->request_id : ""));
    if (run->failure.mode == QUEUE_FAIL_DEAD)
        log_error(f, "job dead");
    else if (run->failure.mode == QUEUE_FAIL_RETRY)
        log_warn(f, "job failed");
    else
        log_info(f, "job deferred");
}

/*
 * Plans and records a failure. A transient failure after Postgres was
 * unavailable becomes a defer (no attempt spent).
 */
static void run_finish_failure(struct job_run *run, const char *error, bool permanent,
                               int64_t defer_ms)
{
    if (!permanent && defer_ms <= 0 && run->pg_unavailable) {
        uint32_t r;
        crypto_random(&r, sizeof r);
        defer_ms = RUN_PG_DEFER_MS + (int64_t)(r % RUN_PG_DEFER_JITTER_MS);
    }
    queue_plan_failure(run->job, error, permanent, defer_ms, clock_wall_ms(), &run->failure);
    run_log_failure(run, error);
    run_finish(run, RUN_FAIL);
}

static void run_on_timeout(uv_timer_t *t)
{
    struct job_run *run = t->data;
    char msg[64];
    snprintf(msg, sizeof msg, "timeout after %d ms", run->timeout_ms);
    run_finish_failure(run, msg, false, 0);
}

void run_abandon(struct job_run *run)
{
    if (!run->finished)
        run_finish(run, RUN_ABANDON);
}

void run_free(struct job_run *run)
{
    queue_failure_dispose(&run->failure);
    job_free(run->job);
    free(run);
}

/* ---- starting ----------------------------------------------------------- */

/* The payload that keeps a malformed envelope's bytes: text, else base64. */
static json_t *run_invalid_payload(const char *raw, size_t len)
{
    size_t keep = len > RUN_INVALID_RAW_MAX ? RUN_INVALID_RAW_MAX : len;
    json_t *text = json_stringn(raw, keep);
    json_t *p = json_object();
    if (text != NULL) {
        json_object_set_new(p, "raw", text);
    } else {
        char *b64 = mem_alloc(CRYPTO_BASE64_SIZE(keep));
        crypto_base64_encode(raw, keep, b64);
        json_object_set_new(p, "raw_base64", json_string(b64));
        free(b64);
    }
    if (keep < len)
        json_object_set_new(p, "truncated_from", json_integer((json_int_t)len));
    return p;
}

/*
 * A malformed envelope: wrapped in a new "invalid" job whose old envelope is
 * the raw bytes (so the fail script removes exactly them), sent to dead.
 */
static void run_fail_malformed(struct job_run *run, const char *raw, size_t len,
                               const char *why)
{
    const char *queue = run->owner->queue;
    run->job = job_create(queue, "invalid", run_invalid_payload(raw, len));
    run->job->raw = mem_alloc(len + 1);
    memcpy(run->job->raw, raw, len);
    run->job->raw[len] = '\0';
    run->job->raw_len = len;
    char msg[256];
    snprintf(msg, sizeof msg, "malformed envelope: %s", why);
    run_finish_failure(run, msg, true, 0);
}

static void run_log_start(const struct job_run *run)
{
    if (!log_enabled(LOG_LEVEL_DEBUG))
        return;
    const struct job *j = run->job;
    int64_t since = j->run_at_ms > 0 ? j->run_at_ms : j->created_ms;
    int64_t now_us = clock_wall_us();
    log_debug(LOG_FIELDS(LF_STR("job_id", j->id), LF_STR("type", j->type),
                         LF_STR("queue", j->queue), LF_INT("attempt", j->attempt),
                         LF_INT("wait_us", now_us - since * 1000), LF_INT("started_us", now_us),
                         LF_STR("request_id", j->request_id ? j->request_id : "")),
              "job started");
}

/* Calls the handler and arms the timeout unless it finished already. */
static void run_call_handler(struct job_run *run, const struct job_handler *h)
{
    int def = run->rt->settings->job_timeout_ms;
    run->handler = h;
    if (h->max_attempts > 0)
        run->job->max_attempts = h->max_attempts;
    run->timeout_ms = run->job->timeout_ms > 0   ? (int)run->job->timeout_ms
                      : h->timeout_ms > 0 ? h->timeout_ms
                                          : def;
    run_log_start(run);
    h->run(run);
    if (run->finished)
        return;
    run->timer = mem_alloc(sizeof *run->timer);
    uv_timer_init(run->rt->loop, run->timer);
    run->timer->data = run;
    uv_timer_start(run->timer, run_on_timeout, (uint64_t)run->timeout_ms, 0);
}

/* Adds this run's queue wait (created or due → now) to the runtime's sums,
 * which the heartbeat flushes to the queue's waitstats (waits.h). */
static void run_note_wait(struct job_run *run)
{
    const struct job *j = run->job;
    int64_t since = j->run_at_ms > 0 ? j->run_at_ms : j->created_ms;
    int64_t wait_us = since > 0 ? (clock_wall_ms() - since) * 1000 : 0;
    worker_waits_add(&run->rt->waits, j->queue, wait_us);
}

void run_start(const struct job_run_owner *owner, const char *raw, size_t len)
{
    struct job_run *run = mem_calloc(1, sizeof *run);
    const char *why = NULL;
    run->owner = owner;
    run->rt = owner->rt;
    run->start_us = clock_mono_us();
    owner->started(owner->data, run);
    if (job_decode(raw, len, &run->job, &why) != 0) {
        run_fail_malformed(run, raw, len, why);
        return;
    }
    run_note_wait(run);
    const struct job_handler *h = registry_find(run->rt->settings->families, run->job->type);
    if (h == NULL) {
        run_finish_failure(run, "unknown_type", true, 0);
        return;
    }
    run_call_handler(run, h);
}

/* ---- handler.h: reading ------------------------------------------------- */

const struct job *job_run_job(const struct job_run *run)
{
    return run->job;
}

const struct worker_services *job_run_services(const struct job_run *run)
{
    return &run->rt->services;
}

void job_run_set_state(struct job_run *run, void *state, void (*destroy)(void *))
{
    if (run->destroy && run->state != state)
        run->destroy(run->state);
    run->state = state;
    run->destroy = destroy;
}

void *job_run_state(const struct job_run *run)
{
    return run->state;
}

/* ---- handler.h: tracked operations -------------------------------------- */

static void run_query_done(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct run_op *op = data;
    struct job_run *run = op->run;
    pgpool_cb cb = op->cb.query;
    void *cb_data = op->data;
    op->query = NULL;
    run_op_release(op);
    if (run == NULL)
        return;
    if (err != NULL && err->unavailable)
        run->pg_unavailable = true;
    cb(cb_data, res, err);
}

void job_run_query(struct job_run *run, const char *sql, int nparams,
                   const char *const *params, pgpool_cb cb, void *data)
{
    if (run_already_finished(run, "job_run_query"))
        return;
    struct run_op *op = run_op_new(run, OP_QUERY, data);
    op->cb.query = cb;
    if (run->rt->pg == NULL) {
        run_op_fail_soon(op, "DATABASE_URL is not set");
        return;
    }
    op->query = pgpool_query(run->rt->pg, sql, nparams, params, 0, run_query_done, op);
}

static void run_http_done(void *data, const struct http_response *res)
{
    struct run_op *op = data;
    struct job_run *run = op->run;
    http_cb cb = op->cb.http;
    void *cb_data = op->data;
    op->transfer = NULL;
    run_op_release(op);
    if (run != NULL)
        cb(cb_data, res);
}

void job_run_http(struct job_run *run, const struct http_request *req, http_cb cb,
                  void *data)
{
    if (run_already_finished(run, "job_run_http"))
        return;
    struct run_op *op = run_op_new(run, OP_HTTP, data);
    op->cb.http = cb;
    op->transfer = http_request(run->rt->http, req, run_http_done, op);
}

static void run_after_cb(uv_timer_t *t)
{
    struct run_op *op = t->data;
    struct job_run *run = op->run;
    void (*cb)(struct job_run *, void *) = op->cb.after;
    void *data = op->data;
    run_op_release(op);
    if (run != NULL)
        cb(run, data);
}

void job_run_after(struct job_run *run, uint64_t delay_ms,
                   void (*cb)(struct job_run *run, void *data), void *data)
{
    if (run_already_finished(run, "job_run_after"))
        return;
    struct run_op *op = run_op_new(run, OP_TIMER, data);
    op->cb.after = cb;
    run_op_init_timer(op);
    /* The loop's clock was read when this turn began; a busy turn (hundreds of
     * jobs) would otherwise cut the wait short by as long as the turn ran. */
    uv_update_time(op->timer.loop);
    uv_timer_start(&op->timer, run_after_cb, delay_ms, 0);
}

static void run_work_cb(uv_work_t *w)
{
    struct run_op *op = w->data;
    op->work_fn(op->data);
}

static void run_work_done(uv_work_t *w, int status)
{
    struct run_op *op = w->data;
    struct job_run *run = op->run;
    void (*done)(struct job_run *, void *) = op->cb.done;
    void (*discard)(void *) = op->discard;
    void *data = op->data;
    run_op_release(op);
    if (run != NULL && status == 0)
        done(run, data);
    else if (discard != NULL)
        discard(data);
}

void job_run_work(struct job_run *run, void (*work)(void *data),
                  void (*done)(struct job_run *run, void *data),
                  void (*discard)(void *data), void *data)
{
    if (run_already_finished(run, "job_run_work")) {
        if (discard)
            discard(data);
        return;
    }
    struct run_op *op = run_op_new(run, OP_WORK, data);
    op->cb.done = done;
    op->work_fn = work;
    op->discard = discard;
    op->work.data = op;
    if (uv_queue_work(run->rt->loop, &op->work, run_work_cb, run_work_done) != 0)
        abort(); /* only with invalid arguments */
}

static void run_enqueue_done(void *data, const redisReply *reply, const char *error)
{
    struct run_op *op = data;
    struct job_run *run = op->run;
    void (*cb)(struct job_run *, const char *, void *) = op->cb.enqueued;
    void *cb_data = op->data;
    bool dup = false;
    run_op_release(op);
    if (run == NULL)
        return;
    if (error == NULL && queue_parse_enqueue(reply, &dup, NULL, 0) != 0)
        error = "unexpected reply to enqueue";
    if (cb)
        cb(run, error, cb_data);
}

static void run_ignore_reply(void *data, const redisReply *reply, const char *error)
{
    (void)data, (void)reply, (void)error;
}

void job_run_enqueue(struct job_run *run, struct job *job,
                     void (*cb)(struct job_run *run, const char *error, void *data),
                     void *data)
{
    if (run_already_finished(run, "job_run_enqueue")) {
        job_free(job);
        return;
    }
    struct worker_runtime *rt = run->rt;
    struct run_op *op = run_op_new(run, OP_ENQUEUE, data);
    struct queue_op qop;
    size_t len;
    char *env = job_encode(job, &len);
    op->cb.enqueued = cb;
    queue_op_register(&qop, rt->settings->prefix, job->queue);
    queue_op_run_async(rt->redis, &qop, run_ignore_reply, NULL);
    queue_op_dispose(&qop);
    queue_op_enqueue(&qop, rt->settings->prefix, job, env, len, job->run_at_ms, 0);
    if (queue_op_run_async(rt->redis, &qop, run_enqueue_done, op) != 0)
        run_op_fail_soon(op, "redis unavailable");
    queue_op_dispose(&qop);
    free(env);
    job_free(job);
}

static void run_redis_done(void *data, const redisReply *reply, const char *error)
{
    struct run_op *op = data;
    struct job_run *run = op->run;
    job_redis_cb cb = op->cb.redis;
    void *cb_data = op->data;
    run_op_release(op);
    if (run == NULL)
        return;
    if (error == NULL && reply != NULL && reply->type == REDIS_REPLY_ERROR)
        error = reply->str;
    cb(run, error ? NULL : reply, error, cb_data);
}

void job_run_redis(struct job_run *run, const struct redis_script *script, int nkeys,
                   const struct redis_args *args, job_redis_cb cb, void *data)
{
    if (run_already_finished(run, "job_run_redis"))
        return;
    struct worker_runtime *rt = run->rt;
    struct run_op *op = run_op_new(run, OP_REDIS, data);
    op->cb.redis = cb;
    int rc = script ? redis_client_script(rt->redis, script, nkeys, run_redis_done, op, args)
                    : redis_client_command(rt->redis, 0, run_redis_done, op, args);
    if (rc != 0)
        run_op_fail_soon(op, "redis unavailable");
}

/* ---- handler.h: finishing ----------------------------------------------- */

void job_run_succeed(struct job_run *run)
{
    if (!run_already_finished(run, "job_run_succeed"))
        run_finish(run, RUN_ACK);
}

/* Formats a handler's error text (cut to JOB_ERROR_MAX) and fails the run:
 * permanently, or after delay_ms (> 0: a deferral), or by the retry policy. */
static void run_fail_va(struct job_run *run, const char *who, bool permanent,
                        int64_t delay_ms, const char *fmt, va_list ap)
{
    char msg[JOB_ERROR_MAX + 1];
    if (run_already_finished(run, who))
        return;
    vsnprintf(msg, sizeof msg, fmt, ap);
    run_finish_failure(run, msg, permanent, delay_ms);
}

void job_run_fail(struct job_run *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    run_fail_va(run, "job_run_fail", false, 0, fmt, ap);
    va_end(ap);
}

void job_run_fail_permanent(struct job_run *run, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    run_fail_va(run, "job_run_fail_permanent", true, 0, fmt, ap);
    va_end(ap);
}

void job_run_defer(struct job_run *run, int64_t delay_ms, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    run_fail_va(run, "job_run_defer", false, delay_ms > 0 ? delay_ms : 1, fmt, ap);
    va_end(ap);
}
