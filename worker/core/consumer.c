/*
 * worker/core/consumer.c: slots, reservations and result batches of one queue
 * (see consumer.h).
 *
 * Reservation state: at most one of `reserving` (reserve script on the
 * command connection), `waiting` (BLMOVE on the blocking connection) or
 * `reconciling` (LRANGE of the active list) is in flight, which keeps
 *   in_flight + (waiting ? 1 : 0) <= slots
 * and makes the reconciliation see a list no reply is still travelling to.
 *
 * Results: finished runs queue in `results` (FIFO) until consumer_flush
 * sends them; a sent batch keeps its runs until Redis answered, and puts
 * them back in front of `results` if the write failed.
 */
#include "worker/core/consumer.h"

#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "queue/scripts.h"
#include "worker/core/job_run.h"
#include "worker/core/env.h"

struct consumer_batch {
    struct consumer_batch *prev, *next; /* consumer's batches in flight */
    struct consumer *consumer;
    struct job_run *runs; /* linked by run->next */
    size_t n;
};

struct consumer {
    struct worker_runtime *rt;
    struct job_run_owner owner; /* what its runs report to */
    char queue[QUEUE_NAME_MAX + 1];
    int slots, in_flight;
    struct job_run *running;                    /* linked by prev/next */
    struct job_run *results, *results_tail;     /* finished, unwritten */
    struct consumer_batch *batches;             /* written, unanswered */
    struct redis_client *block;
    bool reserving, waiting, reconciling, reconcile_needed;
    int requested; /* slots asked for by the reserve in flight */
    bool paused, stopping, block_closed, warned_unwritten;
    int64_t evicted_unlogged;  /* dead jobs MAX_DEAD_JOBS dropped, not logged yet */
    uint64_t evicted_log_ms;   /* loop time of the last such line; 0 = never */
    uint64_t retry_at_ms; /* no Redis call for this queue before */
    uv_timer_t timer;     /* wakes the consumer at retry_at_ms */
};

/* ---- small helpers ------------------------------------------------------ */

static void consumer_run_started(void *data, struct job_run *run);
static void consumer_run_finished(void *data, struct job_run *run);

static void consumer_on_timer(uv_timer_t *t)
{
    consumer_tick(t->data);
}

/* No reservation or result write before `delay_ms` from now. */
static void consumer_back_off(struct consumer *c, uint64_t delay_ms)
{
    c->retry_at_ms = uv_now(c->rt->loop) + delay_ms;
    uv_timer_start(&c->timer, consumer_on_timer, delay_ms, 0);
}

static bool consumer_backing_off(const struct consumer *c)
{
    return uv_now(c->rt->loop) < c->retry_at_ms;
}

/* Puts a list of runs back in front of the unwritten results. */
static void consumer_requeue(struct consumer *c, struct job_run *runs)
{
    struct job_run *last = runs;
    if (runs == NULL)
        return;
    while (last->next)
        last = last->next;
    last->next = c->results;
    if (c->results == NULL)
        c->results_tail = last;
    c->results = runs;
}

static void consumer_free_runs(struct job_run *runs)
{
    while (runs) {
        struct job_run *next = runs->next;
        run_free(runs);
        runs = next;
    }
}

/* ---- results ------------------------------------------------------------ */

static void consumer_batch_unlink(struct consumer_batch *b)
{
    struct consumer *c = b->consumer;
    if (b->prev)
        b->prev->next = b->next;
    else
        c->batches = b->next;
    if (b->next)
        b->next->prev = b->prev;
}

/* Checks the reply of an ack (held count) or fail (0 not held, else 1 + dropped). */
static void consumer_check_result(struct consumer *c, const struct consumer_batch *b,
                                  const redisReply *r)
{
    long long expect = b->runs->outcome == RUN_ACK ? (long long)b->n : 1;
    if (r->type != REDIS_REPLY_INTEGER)
        return;
    if (b->runs->outcome != RUN_ACK && r->integer > 1)
        c->evicted_unlogged += r->integer - 1;
    if (r->integer >= expect)
        return;
    log_warn(LOG_FIELDS(LF_STR("queue", c->queue), LF_INT("jobs", expect - r->integer),
                        LF_STR("job_id", b->runs->job->id)),
             "finished jobs were no longer held (reaped meanwhile): they may run again");
}

static void consumer_on_result(void *data, const redisReply *r, const char *error)
{
    struct consumer_batch *b = data;
    struct consumer *c = b->consumer;
    consumer_batch_unlink(b);
    if (error != NULL) {
        if (!c->warned_unwritten)
            log_warn(LOG_FIELDS(LF_STR("queue", c->queue), LF_STR("error", error),
                                LF_INT("jobs", b->n)),
                     "could not write job results; kept to retry");
        c->warned_unwritten = true;
        consumer_requeue(c, b->runs);
        consumer_back_off(c, CONSUMER_RETRY_MS);
    } else {
        c->warned_unwritten = false;
        consumer_check_result(c, b, r);
        consumer_free_runs(b->runs);
    }
    free(b);
    c->rt->progress(c->rt);
}

/* Builds the op for a batch: one ack call, or the fail call of one run. */
static void consumer_batch_op(struct consumer *c, const struct consumer_batch *b,
                              struct queue_op *op, struct queue_done *done)
{
    const char *prefix = c->rt->settings->prefix;
    struct job_run *run = b->runs;
    if (run->outcome == RUN_FAIL) {
        run->failure.dead_cap = c->rt->settings->max_dead_jobs;
        queue_op_fail(op, prefix, c->rt->id, run->job, &run->failure, run->duration_us);
        return;
    }
    size_t i = 0;
    for (; run; run = run->next, i++)
        done[i] = (struct queue_done){run->job->raw, run->job->raw_len, run->job->type,
                                      run->duration_us};
    queue_op_ack(op, prefix, c->queue, c->rt->id, done, b->n);
}

/* Sends a batch; on refusal (not connected) its runs go back to results. */
static bool consumer_send(struct consumer *c, struct job_run *runs, size_t n)
{
    struct consumer_batch *b = mem_calloc(1, sizeof *b);
    struct queue_done *done = mem_calloc(n, sizeof *done);
    struct queue_op op;
    b->consumer = c;
    b->runs = runs;
    b->n = n;
    consumer_batch_op(c, b, &op, done);
    int rc = queue_op_run_async(c->rt->redis, &op, consumer_on_result, b);
    queue_op_dispose(&op);
    free(done);
    if (rc != 0) {
        consumer_requeue(c, runs);
        free(b);
        return false;
    }
    b->next = c->batches;
    if (c->batches)
        c->batches->prev = b;
    c->batches = b;
    return true;
}

/* Writes unwritten results: acks in batches, fails one by one. */
static void consumer_flush(struct consumer *c)
{
    if (c->results == NULL || !redis_client_connected(c->rt->redis) ||
        consumer_backing_off(c))
        return;
    struct job_run *list = c->results, *acks = NULL, **ack_tail = &acks;
    size_t nacks = 0;
    bool ok = true;
    c->results = c->results_tail = NULL;
    while (list) {
        struct job_run *run = list;
        list = list->next;
        run->next = NULL;
        if (!ok) {
            consumer_requeue(c, run); /* keeps order well enough: retried later */
        } else if (run->outcome == RUN_ABANDON) {
            run_free(run);
        } else if (run->outcome == RUN_FAIL) {
            ok = consumer_send(c, run, 1);
        } else {
            *ack_tail = run, ack_tail = &run->next;
            if (++nacks == CONSUMER_ACK_BATCH) {
                ok = consumer_send(c, acks, nacks);
                acks = NULL, ack_tail = &acks, nacks = 0;
            }
        }
    }
    if (acks != NULL && (!ok || !consumer_send(c, acks, nacks)))
        consumer_requeue(c, acks);
}

/* ---- reconciliation ----------------------------------------------------- */

static bool consumer_holds_in(const struct job_run *runs, const redisReply *e)
{
    for (; runs; runs = runs->next)
        if (runs->job && runs->job->raw_len == e->len &&
            memcmp(runs->job->raw, e->str, e->len) == 0)
            return true;
    return false;
}

/* True when the envelope belongs to a run this consumer knows. */
static bool consumer_holds(const struct consumer *c, const redisReply *e)
{
    if (consumer_holds_in(c->running, e) || consumer_holds_in(c->results, e))
        return true;
    for (const struct consumer_batch *b = c->batches; b; b = b->next)
        if (consumer_holds_in(b->runs, e))
            return true;
    return false;
}

static void consumer_on_returned(void *data, const redisReply *r, const char *error)
{
    struct consumer *c = data;
    if (error != NULL)
        c->reconcile_needed = true;
    (void)r;
}

/* Returns an envelope nobody here runs to the queue (defer to now). */
static void consumer_return_orphan(struct consumer *c, const redisReply *e)
{
    struct job j = {.queue = c->queue, .type = "orphan", .raw = e->str, .raw_len = e->len};
    struct queue_failure f = {.mode = QUEUE_FAIL_DEFER, .due_ms = clock_wall_ms(),
                              .envelope = e->str, .len = e->len};
    struct queue_op op;
    queue_op_fail(&op, c->rt->settings->prefix, c->rt->id, &j, &f, 0);
    queue_op_run_async(c->rt->redis, &op, consumer_on_returned, c);
    queue_op_dispose(&op);
}

static void consumer_on_active_list(void *data, const redisReply *r, const char *error)
{
    struct consumer *c = data;
    size_t orphans = 0;
    c->reconciling = false;
    if (error != NULL || r->type != REDIS_REPLY_ARRAY) {
        c->reconcile_needed = true;
        consumer_back_off(c, CONSUMER_RETRY_MS);
        return;
    }
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type == REDIS_REPLY_STRING && !consumer_holds(c, e)) {
            consumer_return_orphan(c, e);
            orphans++;
        }
    }
    if (orphans > 0)
        log_warn(LOG_FIELDS(LF_STR("queue", c->queue), LF_INT("jobs", orphans)),
                 "returned jobs reserved by a lost reply to the queue");
    c->rt->progress(c->rt);
}

static void consumer_reconcile(struct consumer *c)
{
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "LRANGE");
    redis_args_add_fmt(&a, "%s:{%s}:active:%s", c->rt->settings->prefix, c->queue, c->rt->id);
    redis_args_add(&a, "0");
    redis_args_add(&a, "-1");
    if (redis_client_command(c->rt->redis, 0, consumer_on_active_list, c, &a) == 0) {
        c->reconciling = true;
        c->reconcile_needed = false;
    }
    redis_args_dispose(&a);
}

/* ---- reserving ---------------------------------------------------------- */

static void consumer_wait(struct consumer *c);

static void consumer_on_reserved(void *data, const redisReply *r, const char *error)
{
    struct consumer *c = data;
    bool paused = false;
    size_t first = 0;
    c->reserving = false;
    if (error != NULL || queue_parse_reserve(r, &paused, &first) != 0) {
        /* a lost reply may have moved jobs; an error reply moved nothing */
        c->reconcile_needed = r == NULL || r->type != REDIS_REPLY_ERROR;
        consumer_back_off(c, CONSUMER_RETRY_MS);
        c->rt->progress(c->rt);
        return;
    }
    if (paused != c->paused)
        log_info(LOG_FIELDS(LF_STR("queue", c->queue)),
                 paused ? "queue paused: not taking jobs" : "queue resumed");
    c->paused = paused;
    if (paused) {
        consumer_back_off(c, CONSUMER_PAUSE_RECHECK_MS);
        return;
    }
    size_t got = r->elements - first;
    for (size_t i = first; i < r->elements && !c->stopping; i++)
        run_start(&c->owner, r->element[i]->str, r->element[i]->len);
    if ((int)got < c->requested && !c->stopping)
        consumer_wait(c); /* the queue is empty: block until a job arrives */
    c->rt->progress(c->rt);
}

static void consumer_on_waited(void *data, const redisReply *r, const char *error)
{
    struct consumer *c = data;
    c->waiting = false;
    if (error != NULL) {
        c->reconcile_needed = r == NULL || r->type != REDIS_REPLY_ERROR;
        consumer_back_off(c, CONSUMER_RETRY_MS);
    } else if (r->type == REDIS_REPLY_STRING && !c->stopping) {
        run_start(&c->owner, r->str, r->len); /* then the next tick tops up */
    }
    c->rt->progress(c->rt);
}

/* Blocks on the consumer's own connection until a job is ready. */
static void consumer_wait(struct consumer *c)
{
    struct queue_op op;
    if (c->block == NULL || !redis_client_connected(c->block)) {
        consumer_back_off(c, (uint64_t)(CONSUMER_WAIT_S * 1000)); /* poll instead */
        return;
    }
    queue_op_wait(&op, c->rt->settings->prefix, c->queue, c->rt->id, CONSUMER_WAIT_S);
    if (queue_op_run_async(c->block, &op, consumer_on_waited, c) == 0)
        c->waiting = true;
    else
        consumer_back_off(c, CONSUMER_RETRY_MS);
    queue_op_dispose(&op);
}

/* Reserves jobs for the free slots, unless something is in flight. */
static void consumer_pump(struct consumer *c)
{
    int free_slots = c->slots - c->in_flight;
    if (c->stopping || c->reserving || c->waiting || c->reconciling ||
        !redis_client_connected(c->rt->redis) || consumer_backing_off(c))
        return;
    if (c->reconcile_needed) {
        consumer_reconcile(c);
        return;
    }
    if (free_slots <= 0)
        return;
    struct queue_op op;
    queue_op_reserve(&op, c->rt->settings->prefix, c->queue, c->rt->id, free_slots);
    if (queue_op_run_async(c->rt->redis, &op, consumer_on_reserved, c) == 0) {
        c->reserving = true;
        c->requested = free_slots;
    }
    queue_op_dispose(&op);
}

/* ---- API ---------------------------------------------------------------- */

static void consumer_block_state(void *data, bool up)
{
    struct consumer *c = data;
    if (up)
        c->rt->progress(c->rt);
}

struct consumer *consumer_create(struct worker_runtime *rt, const char *queue, int slots)
{
    struct consumer *c = mem_calloc(1, sizeof *c);
    char name[QUEUE_NAME_MAX + 16];
    const char *why = NULL;
    c->rt = rt;
    snprintf(c->queue, sizeof c->queue, "%s", queue);
    c->owner = (struct job_run_owner){rt, c->queue, consumer_run_started, consumer_run_finished, c};
    c->slots = slots;
    uv_timer_init(rt->loop, &c->timer);
    c->timer.data = c;
    snprintf(name, sizeof name, "wait:%s", queue);
    struct redis_client_options o = {
        .url = rt->settings->redis_url, .name = name,
        .command_timeout_ms = rt->settings->redis_timeout_ms,
        .on_state = consumer_block_state, .state_data = c};
    if (redis_client_create(rt->loop, &o, &c->block, &why) != 0)
        abort(); /* the URL was validated at start-up */
    return c;
}

const char *consumer_queue(const struct consumer *c)
{
    return c->queue;
}

int consumer_slots(const struct consumer *c)
{
    return c->slots;
}

int consumer_in_flight(const struct consumer *c)
{
    return c->in_flight;
}

/* One line for the dead jobs dropped since the last one, at most once per window. */
static void consumer_log_evicted(struct consumer *c, bool now)
{
    uint64_t t = uv_now(c->rt->loop);
    if (c->evicted_unlogged == 0 ||
        (!now && c->evicted_log_ms != 0 && t - c->evicted_log_ms < CONSUMER_EVICT_LOG_MS))
        return;
    log_warn(LOG_FIELDS(LF_STR("queue", c->queue), LF_INT("dropped", c->evicted_unlogged),
                        LF_INT("max_dead_jobs", c->rt->settings->max_dead_jobs)),
             "dead list full: the oldest dead jobs were dropped (MAX_DEAD_JOBS; counted "
             "in the queue's dead_evicted)");
    c->evicted_unlogged = 0;
    c->evicted_log_ms = t ? t : 1;
}

void consumer_tick(struct consumer *c)
{
    consumer_log_evicted(c, false);
    consumer_flush(c);
    consumer_pump(c);
    if (c->stopping)
        c->rt->progress(c->rt); /* the flush may have drained it */
}

static void consumer_block_closed(void *data)
{
    struct consumer *c = data;
    c->block_closed = true;
    c->rt->progress(c->rt);
}

void consumer_stop(struct consumer *c)
{
    if (c->stopping)
        return;
    c->stopping = true;
    struct redis_client *block = c->block;
    c->block = NULL;
    redis_client_close(block, consumer_block_closed, c); /* after the wait returns */
}

void consumer_abandon(struct consumer *c)
{
    while (c->running)
        run_abandon(c->running);
}

size_t consumer_drop_results(struct consumer *c)
{
    size_t n = 0;
    for (struct job_run *r = c->results; r; r = r->next)
        n += r->outcome != RUN_ABANDON;
    consumer_free_runs(c->results);
    c->results = c->results_tail = NULL;
    return n;
}

bool consumer_drained(const struct consumer *c)
{
    return c->stopping && c->block_closed && c->in_flight == 0 && c->results == NULL &&
           c->batches == NULL && !c->reserving && !c->reconciling;
}

static void consumer_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void consumer_free(struct consumer *c)
{
    consumer_log_evicted(c, true); /* every reply has arrived: the rest of a burst */
    consumer_abandon(c);
    consumer_drop_results(c);
    uv_close((uv_handle_t *)&c->timer, consumer_timer_closed);
}

static void consumer_run_started(void *data, struct job_run *run)
{
    struct consumer *c = data;
    c->in_flight++;
    run->prev = NULL;
    run->next = c->running;
    if (c->running)
        c->running->prev = run;
    c->running = run;
}

static void consumer_run_finished(void *data, struct job_run *run)
{
    struct consumer *c = data;
    c->in_flight--;
    if (run->prev)
        run->prev->next = run->next;
    else
        c->running = run->next;
    if (run->next)
        run->next->prev = run->prev;
    run->prev = run->next = NULL;
    if (c->results_tail)
        c->results_tail->next = run;
    else
        c->results = run;
    c->results_tail = run;
}
