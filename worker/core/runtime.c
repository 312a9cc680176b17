/*
 * worker/core/runtime.c: the sentia-worker process on one libuv loop (see
 * runtime.h for the shutdown sequence).
 *
 * Phases: RUNNING → DRAINING (signal: no new jobs; runs finish until the
 * shutdown timeout, then are abandoned) → FLUSHING (results written, blocking
 * connections closed; bounded by RUNTIME_FLUSH_GRACE_MS) → HANDBACK (reap of
 * our own active lists with lease 0, deregistration) → CLOSING (Redis,
 * Postgres, HTTP closed; then the consumers and our own handles) → the loop
 * has nothing left and worker_runtime_run returns.
 *
 * Housekeeping timers (jittered ±10 % so replicas spread out): heartbeat and
 * registry every min(5 s, lease/3), promote every 250 ms, reap every
 * min(5 s, lease/2), each for every served queue. A uv_check handle runs
 * after every loop turn and lets each consumer write its collected results
 * and reserve for its free slots, which is where batching comes from.
 */
#include "worker/core/runtime.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/git_commit.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/meminfo.h"
#include "queue/queue.h"
#include "queue/scripts.h"
#include "worker/core/consumer.h"
#include "worker/core/scheduler.h"
#include "worker/core/scripts.h"

enum {
    RUNTIME_HEARTBEAT_MS = 5000,
    RUNTIME_PROMOTE_MS = 250,
    RUNTIME_REAP_MS = 5000,
    RUNTIME_FLUSH_GRACE_MS = 5000, /* results of finished jobs get this long after the deadline */
    RUNTIME_PG_CONNECT_TIMEOUT_MS = 5000,
    RUNTIME_SCRIPTS_MAX = 32, /* queue + core + families scripts loaded on connect */
};

enum runtime_phase { PHASE_RUNNING, PHASE_DRAINING, PHASE_FLUSHING, PHASE_HANDBACK, PHASE_CLOSING };

struct worker_runtime_private {
    enum runtime_phase phase;
    uv_timer_t heartbeat, promote, reap, deadline;
    uv_signal_t sigterm, sigint;
    uv_check_t check;
    int handback_pending; /* replies awaited in HANDBACK */
    int closing_pending;  /* services and blocking connections still closing */
    bool consumers_freed;
    struct scheduler *scheduler; /* periodic jobs (worker/core/scheduler.h) */
};

/* ---- helpers ------------------------------------------------------------ */

void worker_make_id(const char *host, int pid, char *out)
{
    uint8_t r[2];
    char hex[5];
    crypto_random(r, sizeof r);
    crypto_hex_encode(r, sizeof r, hex);
    snprintf(out, WORKER_ID_MAX + 1, "%.*s-%d-%s", WORKER_HOST_MAX, host, pid, hex);
}

/* Arms a one-shot timer at period ±10 %. */
static void runtime_arm(uv_timer_t *t, uv_timer_cb cb, int period_ms)
{
    uint16_t r;
    crypto_random(&r, sizeof r);
    uint64_t spread = (uint64_t)period_ms / 5;
    uint64_t delay = (uint64_t)period_ms - spread / 2 + (spread ? r % (spread + 1) : 0);
    uv_timer_start(t, cb, delay, 0);
}

static int runtime_heartbeat_ms(const struct worker_runtime *rt)
{
    int third = rt->settings->lease_ms / 3;
    return third < RUNTIME_HEARTBEAT_MS ? third : RUNTIME_HEARTBEAT_MS;
}

static int runtime_reap_ms(const struct worker_runtime *rt)
{
    int half = rt->settings->lease_ms / 2;
    return half < RUNTIME_REAP_MS ? half : RUNTIME_REAP_MS;
}

static void runtime_ignore_reply(void *data, const redisReply *r, const char *error)
{
    (void)data, (void)r, (void)error;
}

/* Sends an op whose reply nobody needs (housekeeping is repeated anyway). */
static void runtime_send(struct worker_runtime *rt, struct queue_op *op)
{
    queue_op_run_async(rt->redis, op, runtime_ignore_reply, NULL);
    queue_op_dispose(op);
}

/* ---- housekeeping ------------------------------------------------------- */

/* The registry hash, its TTL and the registry zset entry. */
static void runtime_registry_update(struct worker_runtime *rt)
{
    struct queue_op op;
    int in_flight = 0, slots = 0;
    for (size_t i = 0; i < rt->nconsumers; i++) {
        in_flight += consumer_in_flight(rt->consumers[i]);
        slots += consumer_slots(rt->consumers[i]);
    }
    int64_t now = clock_wall_ms();
    struct queue_worker_info w = {
        .id = rt->id, .host = rt->host, .version = SENTIA_VERSION " " SENTIA_GIT_COMMIT,
        .queues = rt->queues_text, .pid = (int)getpid(), .started_ms = rt->started_ms,
        .heartbeat_ms = now, .in_flight = in_flight, .concurrency = slots,
        .postgres = rt->pg_state, .postgres_changed_ms = rt->pg_changed_ms,
        .rss_bytes = meminfo_rss_bytes(), .memory_limit_bytes = meminfo_limit_bytes()};
    if (!redis_client_connected(rt->redis))
        return;
    queue_op_worker_update(&op, rt->settings->prefix, &w);
    runtime_send(rt, &op);
    queue_op_worker_expire(&op, rt->settings->prefix, rt->id);
    runtime_send(rt, &op);
    queue_op_worker_touch(&op, rt->settings->prefix, rt->id, now);
    runtime_send(rt, &op);
}

static void runtime_heartbeat_now(struct worker_runtime *rt)
{
    struct queue_op op;
    if (!redis_client_connected(rt->redis))
        return;
    worker_waits_flush(&rt->waits, rt->redis, rt->settings->prefix);
    for (size_t i = 0; i < rt->nconsumers; i++) {
        queue_op_heartbeat(&op, rt->settings->prefix, consumer_queue(rt->consumers[i]), rt->id);
        runtime_send(rt, &op);
    }
    runtime_registry_update(rt);
}

static void runtime_on_heartbeat(uv_timer_t *t)
{
    struct worker_runtime *rt = t->data;
    runtime_heartbeat_now(rt);
    runtime_arm(t, runtime_on_heartbeat, runtime_heartbeat_ms(rt));
}

static void runtime_on_promote(uv_timer_t *t)
{
    struct worker_runtime *rt = t->data;
    struct queue_op op;
    for (size_t i = 0; i < rt->nconsumers && redis_client_connected(rt->redis); i++) {
        queue_op_promote(&op, rt->settings->prefix, consumer_queue(rt->consumers[i]), 0);
        runtime_send(rt, &op);
    }
    runtime_arm(t, runtime_on_promote, RUNTIME_PROMOTE_MS);
}

/* What a stale or reap call needs when its reply arrives. */
struct runtime_reap {
    struct worker_runtime *rt;
    char queue[QUEUE_NAME_MAX + 1];
    char worker[WORKER_ID_MAX + 64]; /* reap only: the stale worker */
};

static void runtime_on_reaped(void *data, const redisReply *r, const char *error)
{
    struct runtime_reap *rp = data;
    if (error == NULL && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
        log_warn(LOG_FIELDS(LF_STR("queue", rp->queue), LF_STR("dead_worker", rp->worker),
                            LF_INT("jobs", r->integer)),
                 "recovered the jobs of a worker whose heartbeat stopped");
    free(rp);
}

/* Reaps each stale worker of one queue (never ourselves). */
static void runtime_on_stale(void *data, const redisReply *r, const char *error)
{
    struct runtime_reap *q = data;
    struct worker_runtime *rt = q->rt;
    for (size_t i = 0; error == NULL && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING || strcmp(e->str, rt->id) == 0)
            continue;
        struct runtime_reap *rp = mem_calloc(1, sizeof *rp);
        struct queue_op op;
        snprintf(rp->queue, sizeof rp->queue, "%s", q->queue);
        snprintf(rp->worker, sizeof rp->worker, "%s", e->str);
        queue_op_reap(&op, rt->settings->prefix, q->queue, e->str, rt->settings->lease_ms);
        if (queue_op_run_async(rt->redis, &op, runtime_on_reaped, rp) != 0)
            free(rp);
        queue_op_dispose(&op);
    }
    free(q);
}

static void runtime_on_reap(uv_timer_t *t)
{
    struct worker_runtime *rt = t->data;
    for (size_t i = 0; i < rt->nconsumers && redis_client_connected(rt->redis); i++) {
        struct runtime_reap *q = mem_calloc(1, sizeof *q);
        struct queue_op op;
        q->rt = rt;
        snprintf(q->queue, sizeof q->queue, "%s", consumer_queue(rt->consumers[i]));
        queue_op_stale(&op, rt->settings->prefix, q->queue, rt->settings->lease_ms);
        if (queue_op_run_async(rt->redis, &op, runtime_on_stale, q) != 0)
            free(q);
        queue_op_dispose(&op);
    }
    runtime_arm(t, runtime_on_reap, runtime_reap_ms(rt));
}

/* ---- state changes ------------------------------------------------------ */

static void runtime_progress(struct worker_runtime *rt);

static void runtime_on_redis_state(void *data, bool up)
{
    struct worker_runtime *rt = data;
    struct queue_op op;
    if (!up)
        return;
    for (size_t i = 0; i < rt->nconsumers; i++) {
        queue_op_register(&op, rt->settings->prefix, consumer_queue(rt->consumers[i]));
        runtime_send(rt, &op);
    }
    runtime_heartbeat_now(rt);
    runtime_progress(rt);
}

static void runtime_on_pg_state(void *data, bool up)
{
    struct worker_runtime *rt = data;
    rt->pg_state = up ? "up" : "down";
    rt->pg_changed_ms = clock_wall_ms();
    runtime_registry_update(rt);
}

static void runtime_on_check(uv_check_t *h)
{
    struct worker_runtime *rt = h->data;
    if (rt->priv->consumers_freed)
        return;
    for (size_t i = 0; i < rt->nconsumers && !rt->priv->consumers_freed; i++)
        consumer_tick(rt->consumers[i]);
}

/* ---- shutdown ----------------------------------------------------------- */

static void runtime_advance(struct worker_runtime *rt);

static void runtime_handle_closed(uv_handle_t *h)
{
    (void)h;
}

/* Last step: free the consumers and close the runtime's own handles. */
static void runtime_close_handles(struct worker_runtime *rt)
{
    struct worker_runtime_private *p = rt->priv;
    for (size_t i = 0; i < rt->nconsumers; i++)
        consumer_free(rt->consumers[i]);
    p->consumers_freed = true;
    uv_handle_t *handles[] = {(uv_handle_t *)&p->heartbeat, (uv_handle_t *)&p->promote,
                              (uv_handle_t *)&p->reap,      (uv_handle_t *)&p->deadline,
                              (uv_handle_t *)&p->sigterm,   (uv_handle_t *)&p->sigint,
                              (uv_handle_t *)&p->check};
    for (size_t i = 0; i < sizeof handles / sizeof *handles; i++)
        uv_close(handles[i], runtime_handle_closed);
}

static void runtime_service_closed(void *data)
{
    struct worker_runtime *rt = data;
    if (--rt->priv->closing_pending == 0)
        runtime_close_handles(rt);
}

/* Closes Redis, Postgres and HTTP; then the rest (runtime_service_closed). */
static void runtime_close_services(struct worker_runtime *rt)
{
    struct worker_runtime_private *p = rt->priv;
    p->phase = PHASE_CLOSING;
    uv_timer_stop(&p->heartbeat);
    uv_timer_stop(&p->deadline);
    p->closing_pending = 2 + (rt->pg != NULL);
    redis_client_close(rt->redis, runtime_service_closed, rt);
    http_client_close(rt->http, runtime_service_closed, rt);
    if (rt->pg)
        pgpool_close(rt->pg, runtime_service_closed, rt);
}

static void runtime_handback_done(struct worker_runtime *rt)
{
    if (--rt->priv->handback_pending == 0)
        runtime_close_services(rt);
}

/* Reply to a reap with lease 0 (how many jobs went back) or a deregistration. */
static void runtime_on_handback(void *data, const redisReply *r, const char *error)
{
    struct worker_runtime *rt = data;
    if (error != NULL)
        log_warn(LOG_FIELDS(LF_STR("error", error)),
                 "shutdown hand-back failed; the reaper of another worker will recover the jobs");
    else if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
        log_info(LOG_FIELDS(LF_INT("jobs", r->integer)), "unfinished jobs returned to ready");
    runtime_handback_done(rt);
}

static void runtime_on_deregistered(void *data, const redisReply *r, const char *error)
{
    (void)r, (void)error;
    runtime_handback_done(data);
}

static void runtime_handback_op(struct worker_runtime *rt, struct queue_op *op,
                                redis_reply_cb cb)
{
    if (queue_op_run_async(rt->redis, op, cb, rt) == 0)
        rt->priv->handback_pending++;
    queue_op_dispose(op);
}

/* Returns our active lists to ready and deregisters. */
static void runtime_handback(struct worker_runtime *rt)
{
    struct worker_runtime_private *p = rt->priv;
    struct queue_op op;
    p->phase = PHASE_HANDBACK;
    uv_timer_stop(&p->heartbeat); /* a later beat would register us again */
    worker_waits_flush(&rt->waits, rt->redis, rt->settings->prefix);
    p->handback_pending = 1;      /* held until every op is sent */
    for (size_t i = 0; i < rt->nconsumers; i++) {
        queue_op_reap(&op, rt->settings->prefix, consumer_queue(rt->consumers[i]), rt->id, 0);
        runtime_handback_op(rt, &op, runtime_on_handback);
    }
    queue_op_worker_forget(&op, rt->settings->prefix, rt->id);
    runtime_handback_op(rt, &op, runtime_on_deregistered);
    queue_op_worker_delete(&op, rt->settings->prefix, rt->id);
    runtime_handback_op(rt, &op, runtime_on_deregistered);
    if (p->handback_pending == 1 && !redis_client_connected(rt->redis))
        log_warn(NULL, "redis unreachable at shutdown; the reaper of another worker will "
                       "recover this worker's unfinished jobs");
    runtime_handback_done(rt);
}

static bool runtime_all(struct worker_runtime *rt, bool (*pred)(const struct consumer *))
{
    for (size_t i = 0; i < rt->nconsumers; i++)
        if (!pred(rt->consumers[i]))
            return false;
    return true;
}

static bool runtime_consumer_idle(const struct consumer *c)
{
    return consumer_in_flight(c) == 0;
}

static void runtime_on_flush_deadline(uv_timer_t *t)
{
    struct worker_runtime *rt = t->data;
    size_t dropped = 0;
    for (size_t i = 0; i < rt->nconsumers; i++)
        dropped += consumer_drop_results(rt->consumers[i]);
    if (dropped > 0)
        log_error(LOG_FIELDS(LF_INT("jobs", dropped)),
                  "could not record finished jobs before exiting: they will run again");
    runtime_handback(rt);
}

static void runtime_on_drain_deadline(uv_timer_t *t)
{
    struct worker_runtime *rt = t->data;
    int left = 0;
    for (size_t i = 0; i < rt->nconsumers; i++)
        left += consumer_in_flight(rt->consumers[i]);
    log_warn(LOG_FIELDS(LF_INT("jobs", left)),
             "shutdown timeout: abandoning running jobs (they return to ready)");
    for (size_t i = 0; i < rt->nconsumers; i++)
        consumer_abandon(rt->consumers[i]);
    runtime_advance(rt);
}

/* Moves the shutdown on as far as the consumers allow. */
static void runtime_advance(struct worker_runtime *rt)
{
    struct worker_runtime_private *p = rt->priv;
    if (p->phase == PHASE_DRAINING && runtime_all(rt, runtime_consumer_idle)) {
        p->phase = PHASE_FLUSHING;
        uv_timer_start(&p->deadline, runtime_on_flush_deadline, RUNTIME_FLUSH_GRACE_MS, 0);
    }
    if (p->phase == PHASE_FLUSHING && runtime_all(rt, consumer_drained)) {
        uv_timer_stop(&p->deadline);
        runtime_handback(rt);
    }
}

static void runtime_progress(struct worker_runtime *rt)
{
    if (rt->stopping)
        runtime_advance(rt);
}

static void runtime_on_signal(uv_signal_t *h, int signum)
{
    struct worker_runtime *rt = h->data;
    struct worker_runtime_private *p = rt->priv;
    if (rt->stopping) {
        if (p->phase == PHASE_DRAINING) {
            log_warn(NULL, "second signal: abandoning running jobs now");
            runtime_on_drain_deadline(&p->deadline);
        }
        return;
    }
    rt->stopping = true;
    p->phase = PHASE_DRAINING;
    log_info(LOG_FIELDS(LF_STR("signal", signum == SIGINT ? "SIGINT" : "SIGTERM"),
                        LF_INT("timeout_ms", rt->settings->shutdown_timeout_ms)),
             "shutting down: no new jobs, finishing running ones");
    uv_timer_stop(&p->promote);
    uv_timer_stop(&p->reap);
    scheduler_stop(p->scheduler);
    for (size_t i = 0; i < rt->nconsumers; i++)
        consumer_stop(rt->consumers[i]);
    uv_timer_start(&p->deadline, runtime_on_drain_deadline,
                   (uint64_t)rt->settings->shutdown_timeout_ms, 0);
    runtime_advance(rt);
}

/* ---- start -------------------------------------------------------------- */

static void runtime_init_timer(struct worker_runtime *rt, uv_timer_t *t)
{
    uv_timer_init(rt->loop, t);
    t->data = rt;
}

/* The queue's scripts, the core's and the families', loaded on every connect. */
static const struct redis_script *runtime_scripts[RUNTIME_SCRIPTS_MAX + 1];

static void runtime_list_scripts(const struct redis_script *const *extra)
{
    size_t n = 0;
    for (size_t i = 0; queue_script_list[i]; i++)
        runtime_scripts[n++] = queue_script_list[i];
    for (size_t i = 0; worker_script_list[i]; i++)
        runtime_scripts[n++] = worker_script_list[i];
    for (size_t i = 0; extra && extra[i] && n < RUNTIME_SCRIPTS_MAX; i++)
        runtime_scripts[n++] = extra[i];
    runtime_scripts[n] = NULL;
}

/* Creates the Redis client, the pool and the HTTP client; 0 or -1 (logged). */
static int runtime_open_services(struct worker_runtime *rt)
{
    const struct worker_settings *s = rt->settings;
    const char *why = NULL;
    runtime_list_scripts(s->scripts);
    struct redis_client_options ro = {
        .url = s->redis_url, .name = "worker", .command_timeout_ms = s->redis_timeout_ms,
        .scripts = runtime_scripts, .on_state = runtime_on_redis_state, .state_data = rt};
    if (redis_client_create(rt->loop, &ro, &rt->redis, &why) != 0) {
        log_error(LOG_FIELDS(LF_STR("error", why)), "invalid REDIS_URL");
        return -1;
    }
    if (http_client_create(rt->loop, &rt->http) != 0) {
        log_error(NULL, "cannot initialise libcurl");
        return -1;
    }
    rt->pg_state = "unknown";
    rt->pg_changed_ms = clock_wall_ms();
    if (s->database_url == NULL) {
        log_warn(NULL, "DATABASE_URL is not set: jobs that need Postgres will fail");
        return 0;
    }
    char *err = NULL;
    struct pgpool_options po = {.url = s->database_url, .size = s->pg_pool_size,
                                .connect_timeout_ms = RUNTIME_PG_CONNECT_TIMEOUT_MS,
                                .on_state = runtime_on_pg_state, .state_data = rt};
    if (pgpool_create(rt->loop, &po, &rt->pg, &err) != 0) {
        log_error(LOG_FIELDS(LF_STR("error", err)), "cannot create the Postgres pool");
        free(err);
        return -1;
    }
    return 0;
}

static void runtime_start_handles(struct worker_runtime *rt)
{
    struct worker_runtime_private *p = rt->priv;
    runtime_init_timer(rt, &p->heartbeat);
    runtime_init_timer(rt, &p->promote);
    runtime_init_timer(rt, &p->reap);
    runtime_init_timer(rt, &p->deadline);
    runtime_arm(&p->heartbeat, runtime_on_heartbeat, runtime_heartbeat_ms(rt));
    runtime_arm(&p->promote, runtime_on_promote, RUNTIME_PROMOTE_MS);
    runtime_arm(&p->reap, runtime_on_reap, runtime_reap_ms(rt));
    uv_signal_init(rt->loop, &p->sigterm);
    uv_signal_init(rt->loop, &p->sigint);
    p->sigterm.data = p->sigint.data = rt;
    uv_signal_start(&p->sigterm, runtime_on_signal, SIGTERM);
    uv_signal_start(&p->sigint, runtime_on_signal, SIGINT);
    uv_check_init(rt->loop, &p->check);
    p->check.data = rt;
    uv_check_start(&p->check, runtime_on_check);
    p->scheduler = scheduler_start(rt);
}

static void runtime_identity(struct worker_runtime *rt)
{
    char host[256] = "unknown";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "unknown");
    host[sizeof host - 1] = '\0';
    snprintf(rt->host, sizeof rt->host, "%s", host);
    worker_make_id(rt->host, (int)getpid(), rt->id);
    worker_queues_format(rt->settings->queues, rt->settings->nqueues, rt->queues_text,
                         sizeof rt->queues_text);
    rt->started_ms = clock_wall_ms();
}

int worker_runtime_run(const struct config *cfg, const struct worker_settings *s)
{
    uv_loop_t loop;
    struct worker_runtime_private priv = {.phase = PHASE_RUNNING};
    struct worker_runtime *rt = mem_calloc(1, sizeof *rt);
    int rc = 1;
    uv_loop_init(&loop);
    rt->loop = &loop;
    rt->settings = s;
    rt->priv = &priv;
    rt->progress = runtime_progress;
    runtime_identity(rt);
    rt->services = (struct worker_services){&loop, cfg, s->prefix, rt->id};
    if (runtime_open_services(rt) != 0)
        goto done;
    for (size_t i = 0; i < s->nqueues; i++)
        rt->consumers[rt->nconsumers++] = consumer_create(rt, s->queues[i].name, s->queues[i].slots);
    runtime_start_handles(rt);
    log_info(LOG_FIELDS(LF_STR("worker_id", rt->id), LF_STR("queues", rt->queues_text),
                        LF_STR("version", SENTIA_VERSION), LF_INT("lease_ms", s->lease_ms)),
             "worker started");
    uv_run(&loop, UV_RUN_DEFAULT);
    log_info(LOG_FIELDS(LF_STR("worker_id", rt->id)), "worker stopped");
    rc = 0;
done:
    if (rc != 0) {
        /* only the services that opened: close them and let the loop finish */
        if (rt->redis)
            redis_client_close(rt->redis, NULL, NULL);
        if (rt->http)
            http_client_close(rt->http, NULL, NULL);
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    if (uv_loop_close(&loop) != 0)
        log_warn(NULL, "event loop closed with handles still open");
    free(rt);
    return rc;
}
