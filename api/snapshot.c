/*
 * api/snapshot.c: the two-round Redis look behind /health/detailed and
 * /metrics (see snapshot.h).
 *
 * A struct snapshot_run lives until its last reply: `outstanding` counts
 * replies due, `done` says the callback ran (completion or deadline). Each
 * command carries a struct snapshot_ref naming what its reply fills in.
 */
#include "api/snapshot.h"

#include <stdlib.h>
#include <string.h>

#include "api/ctx.h"
#include "api/config.h"
#include "lib/redis.h"
#include "lib/clock.h"
#include "lib/mem.h"

enum snapshot_kind {
    SNAP_PING,
    SNAP_QUEUES,
    SNAP_WORKERS,
    SNAP_STATS,
    SNAP_JOBSTATS,
    SNAP_WORKER,
    SNAP_AUTOSCALE,
    SNAP_WAITSTATS,
};

struct snapshot_run {
    struct api_pending pending;
    struct redis_client *redis; /* the thread's */
    const char *prefix;
    snapshot_cb cb;
    bool with_jobstats;
    bool done;
    bool failed;
    size_t outstanding;
    uint64_t ping_sent_us;
    struct snapshot snap;
};

struct snapshot_ref {
    struct snapshot_run *run;
    enum snapshot_kind kind;
    size_t index;
};

static void snapshot_free(struct snapshot_run *r)
{
    struct snapshot *s = &r->snap;
    for (size_t i = 0; i < s->nqueues; i++) {
        for (size_t k = 0; k < s->queues[i].nfields; k++)
            free(s->queues[i].fields[k]);
        free(s->queues[i].fields);
        free(s->queues[i].values);
        free(s->queues[i].name);
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        struct snapshot_worker *w = &s->workers[i];
        free(w->id);
        free(w->host);
        free(w->queues);
        free(w->postgres);
    }
    for (size_t i = 0; i < s->nautoscale; i++) {
        free(s->autoscale_fields[i]);
        free(s->autoscale_values[i]);
    }
    free(s->autoscale_fields);
    free(s->autoscale_values);
    free(s->queues);
    free(s->workers);
    api_pending_end(&r->pending);
    free(r);
}

/* Runs the callback once (if the request is still there). */
static void snapshot_deliver(struct snapshot_run *r)
{
    if (r->done)
        return;
    r->done = true;
    r->snap.complete = !r->failed && r->outstanding == 0;
    h2o_req_t *req = api_pending_end(&r->pending);
    if (req != NULL)
        r->cb(req, &r->snap);
}

static void snapshot_expired(struct api_pending *p)
{
    snapshot_deliver((struct snapshot_run *)p);
}

/* ---- reading replies ---------------------------------------------------- */

static void snapshot_add_queue(struct snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->nqueues; i++)
        if (strcmp(s->queues[i].name, name) == 0)
            return;
    if (s->nqueues == SNAPSHOT_QUEUES_MAX || !queue_name_valid(name))
        return;
    s->queues[s->nqueues++].name = mem_strdup(name);
}

static void snapshot_read_jobstats(struct snapshot_queue *q, const redisReply *r)
{
    size_t n = r->elements / 2;
    q->fields = mem_calloc(n ? n : 1, sizeof *q->fields);
    q->values = mem_calloc(n ? n : 1, sizeof *q->values);
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        if (r->element[i]->type != REDIS_REPLY_STRING ||
            r->element[i + 1]->type != REDIS_REPLY_STRING)
            continue;
        q->fields[q->nfields] = mem_strndup(r->element[i]->str, r->element[i]->len);
        q->values[q->nfields++] = strtoll(r->element[i + 1]->str, NULL, 10);
    }
}

/* HGETALL of a worker hash: empty means the worker is gone. */
static void snapshot_read_worker(struct snapshot_worker *w, const redisReply *r)
{
    w->live = r->elements > 0;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        if (strcmp(k->str, "host") == 0)
            w->host = mem_strndup(v->str, v->len);
        else if (strcmp(k->str, "queues") == 0)
            w->queues = mem_strndup(v->str, v->len);
        else if (strcmp(k->str, "postgres") == 0)
            w->postgres = mem_strndup(v->str, v->len);
        else if (strcmp(k->str, "postgres_changed_ms") == 0)
            w->postgres_changed_ms = strtoll(v->str, NULL, 10);
        else if (strcmp(k->str, "heartbeat_ms") == 0)
            w->heartbeat_ms = strtoll(v->str, NULL, 10);
        else if (strcmp(k->str, "rss_bytes") == 0)
            w->rss_bytes = strtoll(v->str, NULL, 10);
        else if (strcmp(k->str, "memory_limit_bytes") == 0)
            w->memory_limit_bytes = strtoll(v->str, NULL, 10);
    }
}

static void snapshot_read_waitstats(struct snapshot_queue *q, const redisReply *r)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        int64_t n = strtoll(v->str, NULL, 10);
        q->has_wait = true;
        if (strcmp(k->str, "sum_us") == 0)
            q->wait_sum_us = n;
        for (int b = 0; b < QUEUE_BUCKETS && strncmp(k->str, "le:", 3) == 0; b++)
            if (strcmp(k->str + 3, queue_bucket_labels[b]) == 0)
                q->wait_le[b] = n;
    }
}

static void snapshot_read_autoscale(struct snapshot *s, const redisReply *r)
{
    size_t n = r->elements / 2;
    s->autoscale_fields = mem_calloc(n ? n : 1, sizeof *s->autoscale_fields);
    s->autoscale_values = mem_calloc(n ? n : 1, sizeof *s->autoscale_values);
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        s->autoscale_fields[s->nautoscale] = mem_strndup(k->str, k->len);
        s->autoscale_values[s->nautoscale++] = mem_strndup(v->str, v->len);
    }
}

static void snapshot_read(struct snapshot_run *run, const struct snapshot_ref *ref,
                          const redisReply *r)
{
    struct snapshot *s = &run->snap;
    switch (ref->kind) {
    case SNAP_PING:
        s->redis_ok = true;
        s->ping_us = (int64_t)(clock_mono_us() - run->ping_sent_us);
        break;
    case SNAP_QUEUES:
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING)
                snapshot_add_queue(s, r->element[i]->str);
        break;
    case SNAP_WORKERS:
        for (size_t i = 0; i < r->elements && s->nworkers < SNAPSHOT_WORKERS_MAX; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING)
                s->workers[s->nworkers++].id = mem_strndup(r->element[i]->str,
                                                           r->element[i]->len);
        break;
    case SNAP_STATS:
        s->queues[ref->index].ok = queue_parse_stats(r, &s->queues[ref->index].stats) == 0;
        run->failed |= !s->queues[ref->index].ok;
        break;
    case SNAP_JOBSTATS:
        snapshot_read_jobstats(&s->queues[ref->index], r);
        break;
    case SNAP_WORKER:
        snapshot_read_worker(&s->workers[ref->index], r);
        break;
    case SNAP_WAITSTATS:
        snapshot_read_waitstats(&s->queues[ref->index], r);
        break;
    case SNAP_AUTOSCALE:
        if (s->nautoscale == 0 && s->autoscale_fields == NULL)
            snapshot_read_autoscale(s, r);
        break;
    }
}

/* ---- sending ------------------------------------------------------------ */

static void snapshot_round2(struct snapshot_run *run);

static void snapshot_on_reply(void *data, const redisReply *reply, const char *error)
{
    struct snapshot_ref *ref = data;
    struct snapshot_run *run = ref->run;
    bool shaped = reply != NULL && (ref->kind == SNAP_PING || ref->kind == SNAP_STATS ||
                                    reply->type == REDIS_REPLY_ARRAY);
    if (error == NULL && shaped && !run->done)
        snapshot_read(run, ref, reply);
    else if (error != NULL || !shaped)
        run->failed = true;
    enum snapshot_kind kind = ref->kind;
    free(ref);
    run->outstanding--;
    if (run->outstanding == 0 && !run->done && !run->failed && kind <= SNAP_WORKERS)
        snapshot_round2(run);
    if (run->outstanding == 0) {
        snapshot_deliver(run);
        snapshot_free(run);
    }
}

/* Sends one command (args or op); counts it, or marks the run failed. */
static void snapshot_send(struct snapshot_run *run, enum snapshot_kind kind, size_t index,
                          const struct queue_op *op)
{
    struct snapshot_ref *ref = mem_alloc(sizeof *ref);
    *ref = (struct snapshot_ref){run, kind, index};
    run->outstanding++;
    if (queue_op_run_async(run->redis, op, snapshot_on_reply, ref) != 0) {
        run->outstanding--;
        run->failed = true;
        free(ref);
    }
}

/* A plain command as a queue_op, so both kinds travel one path. */
static void snapshot_command(struct queue_op *op, const char *cmd, const char *key,
                             const char *a1, const char *a2)
{
    memset(op, 0, sizeof *op);
    redis_args_init(&op->args);
    redis_args_add(&op->args, cmd);
    if (key)
        redis_args_add(&op->args, key);
    if (a1)
        redis_args_add(&op->args, a1);
    if (a2)
        redis_args_add(&op->args, a2);
}

static void snapshot_round2(struct snapshot_run *run)
{
    struct snapshot *s = &run->snap;
    const char *prefix = run->prefix;
    struct queue_op op;
    for (size_t i = 0; i < s->nqueues; i++) {
        queue_op_stats(&op, prefix, s->queues[i].name);
        snapshot_send(run, SNAP_STATS, i, &op);
        queue_op_dispose(&op);
        if (run->with_jobstats) {
            char *key = queue_key(prefix, s->queues[i].name, "jobstats");
            snapshot_command(&op, "HGETALL", key, NULL, NULL);
            snapshot_send(run, SNAP_JOBSTATS, i, &op);
            queue_op_dispose(&op);
            free(key);
            key = queue_key(prefix, s->queues[i].name, "waitstats");
            snapshot_command(&op, "HGETALL", key, NULL, NULL);
            snapshot_send(run, SNAP_WAITSTATS, i, &op);
            queue_op_dispose(&op);
            free(key);
        }
    }
    for (size_t i = 0; i < s->nworkers; i++) {
        char *key = mem_printf("%s:worker:%s", prefix, s->workers[i].id);
        snapshot_command(&op, "HGETALL", key, NULL, NULL);
        snapshot_send(run, SNAP_WORKER, i, &op);
        queue_op_dispose(&op);
        free(key);
    }
    if (run->with_jobstats) {
        char *key = mem_printf("%s:autoscale", prefix);
        snapshot_command(&op, "HGETALL", key, NULL, NULL);
        snapshot_send(run, SNAP_AUTOSCALE, 0, &op);
        queue_op_dispose(&op);
        free(key);
    }
}

void snapshot_collect(h2o_req_t *req, bool with_jobstats, snapshot_cb cb)
{
    struct snapshot_run *run = mem_calloc(1, sizeof *run);
    run->redis = api_ctx_redis(req);
    run->prefix = api_ctx_config(req)->prefix;
    run->cb = cb;
    run->with_jobstats = with_jobstats;
    run->snap.queues = mem_calloc(SNAPSHOT_QUEUES_MAX, sizeof *run->snap.queues);
    run->snap.workers = mem_calloc(SNAPSHOT_WORKERS_MAX, sizeof *run->snap.workers);
    snapshot_add_queue(&run->snap, API_WEBHOOK_QUEUE); /* ours, even before first use */
    api_pending_begin(&run->pending, api_ctx_pending(req), req, snapshot_expired);
    if (!api_ctx_redis_up(req)) {
        run->failed = true;
        snapshot_deliver(run);
        snapshot_free(run);
        return;
    }
    const char *prefix = run->prefix;
    char *queues = mem_printf("%s:queues", prefix);
    char *workers = mem_printf("%s:workers", prefix);
    struct queue_op op;
    run->outstanding = 1; /* held while sending */
    run->ping_sent_us = clock_mono_us();
    snapshot_command(&op, "PING", NULL, NULL, NULL);
    snapshot_send(run, SNAP_PING, 0, &op);
    queue_op_dispose(&op);
    snapshot_command(&op, "SMEMBERS", queues, NULL, NULL);
    snapshot_send(run, SNAP_QUEUES, 0, &op);
    queue_op_dispose(&op);
    snapshot_command(&op, "ZRANGE", workers, "0", "-1");
    snapshot_send(run, SNAP_WORKERS, 0, &op);
    queue_op_dispose(&op);
    free(queues);
    free(workers);
    run->outstanding--;
    if (run->outstanding == 0) { /* every send was refused */
        snapshot_deliver(run);
        snapshot_free(run);
    }
}

bool snapshot_worker_serves(const struct snapshot_worker *w, const char *queue)
{
    if (!w->live || w->queues == NULL)
        return false;
    size_t qlen = strlen(queue);
    for (const char *p = w->queues; *p;) {
        size_t n = strcspn(p, ",");
        size_t name = strcspn(p, ":,");
        if (name > n)
            name = n;
        if (name == qlen && strncmp(p, queue, qlen) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

const char *snapshot_autoscale(const struct snapshot *s, const char *field)
{
    for (size_t i = 0; i < s->nautoscale; i++)
        if (strcmp(s->autoscale_fields[i], field) == 0)
            return s->autoscale_values[i];
    return NULL;
}
