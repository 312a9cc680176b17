/*
 * queue/queue.c: builds and reads the queue's Redis operations (see
 * queue.h; the scripts' KEYS/ARGV are documented in queue/lua/).
 */
#include "queue/queue.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/mem.h"
#include "queue/scripts.h"
#include "queue/throughput.h"
#include "queue/track.h"

/* ---- names and keys ----------------------------------------------------- */

static bool queue_chars_valid(const char *s, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && !strchr("_.-", s[n]) &&
            !(extra && strchr(extra, s[n])))
            return false;
    return n >= 1 && n <= max;
}

bool queue_name_valid(const char *name)
{
    return name != NULL && queue_chars_valid(name, QUEUE_NAME_MAX, NULL);
}

bool queue_prefix_valid(const char *prefix)
{
    return prefix != NULL && queue_chars_valid(prefix, QUEUE_PREFIX_MAX, ":");
}

char *queue_key(const char *prefix, const char *queue, const char *part)
{
    return mem_printf("%s:{%s}:%s", prefix, queue, part);
}

static void queue_add_key(struct redis_args *a, const char *prefix,
                          const char *queue, const char *part)
{
    redis_args_add_fmt(a, "%s:{%s}:%s", prefix, queue, part);
}

static void queue_add_active(struct redis_args *a, const char *prefix,
                             const char *queue, const char *worker)
{
    redis_args_add_fmt(a, "%s:{%s}:active:%s", prefix, queue, worker);
}

/* docs/OPERATIONS.md's job set: the HTTP set + 30 s, 60 s, 300 s. */
const char *const queue_bucket_labels[QUEUE_BUCKETS] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
    "1",     "2",      "5",     "10",   "30",    "60",   "300", "+Inf",
};

static const int64_t queue_bucket_us[QUEUE_BUCKETS - 1] = {
    1000,    2500,    5000,     10000,    25000,    50000,    100000,    250000,
    500000, 1000000, 2000000, 5000000, 10000000, 30000000, 60000000, 300000000,
};

const char *queue_bucket_for_us(int64_t duration_us)
{
    for (int i = 0; i < QUEUE_BUCKETS - 1; i++)
        if (duration_us <= queue_bucket_us[i])
            return queue_bucket_labels[i];
    return queue_bucket_labels[QUEUE_BUCKETS - 1];
}

/* ---- running ------------------------------------------------------------ */

static void queue_op_init(struct queue_op *op, enum queue_script_id script,
                          int nkeys)
{
    memset(op, 0, sizeof *op);
    op->script = &queue_scripts[script];
    op->nkeys = nkeys;
    redis_args_init(&op->args);
}

static void queue_op_init_command(struct queue_op *op)
{
    memset(op, 0, sizeof *op);
    redis_args_init(&op->args);
}

void queue_op_dispose(struct queue_op *op)
{
    redis_args_dispose(&op->args);
}

redisReply *queue_op_run_sync(struct redis_sync *r, const struct queue_op *op)
{
    if (op->script)
        return redis_sync_script(r, op->script, op->nkeys, &op->args);
    return redis_sync_command(r, &op->args);
}

int queue_op_run_async(struct redis_client *c, const struct queue_op *op,
                       redis_reply_cb cb, void *data)
{
    if (op->script)
        return redis_client_script(c, op->script, op->nkeys, cb, data, &op->args);
    return redis_client_command(c, op->timeout_ms, cb, data, &op->args);
}

void queue_op_argv(const struct queue_op *op, struct redis_args *out)
{
    redis_args_init(out);
    if (op->script) {
        redis_args_add(out, "EVALSHA");
        redis_args_add(out, op->script->sha);
        redis_args_add_int(out, op->nkeys);
    }
    for (int i = 0; i < op->args.argc; i++)
        redis_args_addn(out, op->args.argv[i], op->args.len[i]);
}

/* ---- producing ---------------------------------------------------------- */

void queue_op_enqueue(struct queue_op *op, const char *prefix, const struct job *job,
                      const char *envelope, size_t len, int64_t due_ms,
                      int dedup_ttl_s)
{
    bool dedup = job->dedup_key != NULL;
    queue_op_init(op, QUEUE_SCRIPT_ENQUEUE, dedup ? 4 : 3);
    queue_add_key(&op->args, prefix, job->queue, "ready");
    queue_add_key(&op->args, prefix, job->queue, "delayed");
    queue_add_key(&op->args, prefix, job->queue, "stats");
    if (dedup)
        redis_args_add_fmt(&op->args, "%s:{%s}:dedup:%s", prefix, job->queue,
                           job->dedup_key);
    redis_args_addn(&op->args, envelope, len);
    redis_args_add_int(&op->args, due_ms);
    redis_args_add_int(&op->args, dedup_ttl_s > 0 ? dedup_ttl_s : QUEUE_DEDUP_TTL_S);
    redis_args_add(&op->args, job->id);
}

int queue_parse_enqueue(const redisReply *r, bool *duplicate, char *id,
                        size_t idsize)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[1]->type != REDIS_REPLY_STRING)
        return -1;
    *duplicate = r->element[0]->integer == 0;
    if (id != NULL)
        snprintf(id, idsize, "%s", r->element[1]->str);
    return 0;
}

void queue_op_enqueue_bulk(struct queue_op *op, const char *prefix,
                           const char *queue, char *const *envelopes,
                           const size_t *lens, size_t n)
{
    queue_op_init(op, QUEUE_SCRIPT_ENQUEUE_BULK, 2);
    queue_add_key(&op->args, prefix, queue, "ready");
    queue_add_key(&op->args, prefix, queue, "stats");
    for (size_t i = 0; i < n; i++)
        redis_args_addn(&op->args, envelopes[i], lens[i]);
}

void queue_op_enqueue_many(struct queue_op *op, const char *prefix, const char *queue,
                           const struct queue_many_job *jobs, size_t n, int dedup_ttl_s)
{
    int nkeys = 2;
    for (size_t i = 0; i < n; i++)
        nkeys += jobs[i].dedup_key != NULL;
    queue_op_init(op, QUEUE_SCRIPT_ENQUEUE_MANY, nkeys);
    queue_add_key(&op->args, prefix, queue, "ready");
    queue_add_key(&op->args, prefix, queue, "stats");
    for (size_t i = 0; i < n; i++)
        if (jobs[i].dedup_key != NULL)
            redis_args_add_fmt(&op->args, "%s:{%s}:dedup:%s", prefix, queue, jobs[i].dedup_key);
    redis_args_add_int(&op->args, dedup_ttl_s > 0 ? dedup_ttl_s : QUEUE_DEDUP_TTL_S);
    for (size_t i = 0; i < n; i++) {
        redis_args_addn(&op->args, jobs[i].envelope, jobs[i].len);
        redis_args_add(&op->args, jobs[i].id);
        redis_args_add(&op->args, jobs[i].dedup_key != NULL ? "1" : "0");
    }
}

int queue_parse_enqueue_many(const redisReply *r, size_t n, size_t i, bool *duplicate,
                             char *id, size_t idsize)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != n || i >= n)
        return -1;
    const redisReply *e = r->element[i];
    if (e->type == REDIS_REPLY_INTEGER && e->integer == 1) {
        *duplicate = false;
        return 0;
    }
    if (e->type != REDIS_REPLY_STRING)
        return -1;
    *duplicate = true;
    if (id != NULL)
        snprintf(id, idsize, "%s", e->str);
    return 0;
}

/* ---- consuming ---------------------------------------------------------- */

void queue_op_wait(struct queue_op *op, const char *prefix, const char *queue,
                   const char *worker, double timeout_s)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "BLMOVE");
    queue_add_key(&op->args, prefix, queue, "ready");
    queue_add_active(&op->args, prefix, queue, worker);
    redis_args_add(&op->args, "RIGHT");
    redis_args_add(&op->args, "LEFT");
    redis_args_add_fmt(&op->args, "%.3f", timeout_s);
    /* The reply may legitimately take the whole block time. */
    op->timeout_ms = (int)(timeout_s * 1000) + 5000;
}

void queue_op_reserve(struct queue_op *op, const char *prefix, const char *queue,
                      const char *worker, int n)
{
    queue_op_init(op, QUEUE_SCRIPT_RESERVE, 3);
    queue_add_key(&op->args, prefix, queue, "ready");
    queue_add_active(&op->args, prefix, queue, worker);
    queue_add_key(&op->args, prefix, queue, "paused");
    redis_args_add_int(&op->args, n);
}

int queue_parse_reserve(const redisReply *r, bool *paused, size_t *first)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_STRING)
        return -1;
    *paused = strcmp(r->element[0]->str, "paused") == 0;
    *first = 1;
    for (size_t i = 1; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return -1;
    return 0;
}

/* The id of a tracked envelope into id (JOB_ID_MAX + 1), or false. */
static bool queue_tracked_id(const char *env, size_t len, char *id)
{
    if (!job_envelope_tracked(env, len))
        return false;
    const char *start = env + sizeof "{\"id\":\"" - 1;
    size_t n = strcspn(start, "\"");
    snprintf(id, JOB_ID_MAX + 1, "%.*s", (int)n, start);
    return true;
}

void queue_op_ack(struct queue_op *op, const char *prefix, const char *queue,
                  const char *worker, const struct queue_done *done, size_t n)
{
    int64_t now = clock_wall_ms();
    char id[JOB_ID_MAX + 1];
    int tracked = 0;
    queue_op_init(op, QUEUE_SCRIPT_ACK, 4);
    queue_add_active(&op->args, prefix, queue, worker);
    queue_add_key(&op->args, prefix, queue, "stats");
    queue_add_key(&op->args, prefix, queue, "jobstats");
    queue_throughput_add_key(&op->args, prefix, queue, queue_minute_of(now));
    for (size_t i = 0; i < n; i++)
        if (queue_tracked_id(done[i].envelope, done[i].len, id)) {
            queue_track_add_key(&op->args, prefix, queue, id);
            tracked++;
        }
    op->nkeys += tracked;
    redis_args_add_int(&op->args, tracked);
    for (size_t i = 0; i < n && tracked > 0; i++)
        if (job_envelope_tracked(done[i].envelope, done[i].len)) {
            redis_args_add_int(&op->args, now - done[i].duration_us / 1000);
            redis_args_add_int(&op->args, now);
        }
    for (size_t i = 0; i < n; i++) {
        redis_args_addn(&op->args, done[i].envelope, done[i].len);
        redis_args_add(&op->args, done[i].type);
        redis_args_add(&op->args, queue_bucket_for_us(done[i].duration_us));
        redis_args_add_int(&op->args, done[i].duration_us);
    }
}

/* ---- failing ------------------------------------------------------------ */

void queue_plan_failure(const struct job *job, const char *error, bool permanent,
                        int64_t defer_ms, int64_t now_ms, struct queue_failure *out)
{
    uint32_t rnd;
    crypto_random(&rnd, sizeof rnd);
    bool spend = true;
    if (permanent) {
        out->mode = QUEUE_FAIL_DEAD;
        out->due_ms = 0;
    } else if (defer_ms > 0) {
        out->mode = QUEUE_FAIL_DEFER;
        out->due_ms = now_ms + defer_ms;
        spend = false;
    } else if (job->attempt + 1 < job->max_attempts) {
        out->mode = QUEUE_FAIL_RETRY;
        out->due_ms = now_ms + job_backoff_ms(job, rnd);
    } else {
        out->mode = QUEUE_FAIL_DEAD;
        out->due_ms = 0;
    }
    out->envelope = job_encode_failed(job, error, now_ms, out->due_ms, spend,
                                      &out->len);
    out->dead_cap = 0;
}

void queue_failure_dispose(struct queue_failure *f)
{
    free(f->envelope);
    f->envelope = NULL;
}

/* The last_error of a failed envelope (tracked jobs only), caller frees. */
static char *queue_failure_error(const struct queue_failure *f)
{
    struct job *j = NULL;
    const char *why;
    char *err = NULL;
    if (job_decode(f->envelope, f->len, &j, &why) == 0 && j->last_error)
        err = mem_strdup(j->last_error);
    job_free(j);
    return err ? err : mem_strdup("");
}

void queue_op_fail(struct queue_op *op, const char *prefix, const char *worker,
                   const struct job *job, const struct queue_failure *f,
                   int64_t duration_us)
{
    static const char *const modes[] = {"retry", "dead", "defer"};
    int64_t now = clock_wall_ms();
    queue_op_init(op, QUEUE_SCRIPT_FAIL, job->track ? 7 : 6);
    queue_add_active(&op->args, prefix, job->queue, worker);
    queue_add_key(&op->args, prefix, job->queue, "delayed");
    queue_add_key(&op->args, prefix, job->queue, "dead");
    queue_add_key(&op->args, prefix, job->queue, "stats");
    queue_add_key(&op->args, prefix, job->queue, "jobstats");
    queue_throughput_add_key(&op->args, prefix, job->queue, queue_minute_of(now));
    if (job->track)
        queue_track_add_key(&op->args, prefix, job->queue, job->id);
    redis_args_addn(&op->args, job->raw, job->raw_len);
    redis_args_addn(&op->args, f->envelope, f->len);
    redis_args_add(&op->args, modes[f->mode]);
    redis_args_add_int(&op->args, f->due_ms);
    redis_args_add_int(&op->args, f->dead_cap > 0 ? f->dead_cap : QUEUE_DEAD_CAP);
    redis_args_add(&op->args, job->type);
    redis_args_add(&op->args, queue_bucket_for_us(duration_us));
    redis_args_add_int(&op->args, duration_us);
    if (job->track) {
        /* args reference strings: the error is kept in the op's owned list. */
        char *err = queue_failure_error(f);
        redis_args_add_fmt(&op->args, "%s", err);
        free(err);
        redis_args_add_int(&op->args, now - duration_us / 1000);
        redis_args_add_int(&op->args, now);
    }
}

/* ---- housekeeping ------------------------------------------------------- */

void queue_op_promote(struct queue_op *op, const char *prefix, const char *queue,
                      int limit)
{
    queue_op_init(op, QUEUE_SCRIPT_PROMOTE, 2);
    queue_add_key(&op->args, prefix, queue, "delayed");
    queue_add_key(&op->args, prefix, queue, "ready");
    redis_args_add_int(&op->args, limit > 0 ? limit : QUEUE_PROMOTE_BATCH);
}

void queue_op_heartbeat(struct queue_op *op, const char *prefix, const char *queue,
                        const char *worker)
{
    queue_op_init(op, QUEUE_SCRIPT_HEARTBEAT, 1);
    queue_add_key(&op->args, prefix, queue, "workers");
    redis_args_add(&op->args, worker);
}

void queue_op_stale(struct queue_op *op, const char *prefix, const char *queue,
                    int lease_ms)
{
    queue_op_init(op, QUEUE_SCRIPT_STALE, 1);
    queue_add_key(&op->args, prefix, queue, "workers");
    redis_args_add_int(&op->args, lease_ms);
}

void queue_op_reap(struct queue_op *op, const char *prefix, const char *queue,
                   const char *worker, int lease_ms)
{
    queue_op_init(op, QUEUE_SCRIPT_REAP, 4);
    queue_add_key(&op->args, prefix, queue, "workers");
    queue_add_active(&op->args, prefix, queue, worker);
    queue_add_key(&op->args, prefix, queue, "ready");
    queue_add_key(&op->args, prefix, queue, "stats");
    redis_args_add(&op->args, worker);
    redis_args_add_int(&op->args, lease_ms);
}

void queue_op_revive(struct queue_op *op, const char *prefix, const char *queue,
                     const char *old_env, size_t old_len, const char *new_env,
                     size_t new_len)
{
    queue_op_init(op, QUEUE_SCRIPT_REVIVE, 3);
    queue_add_key(&op->args, prefix, queue, "dead");
    queue_add_key(&op->args, prefix, queue, "ready");
    queue_add_key(&op->args, prefix, queue, "stats");
    redis_args_addn(&op->args, old_env, old_len);
    redis_args_addn(&op->args, new_env, new_len);
}

void queue_op_purge(struct queue_op *op, const char *prefix, const char *queue,
                    const char *state)
{
    queue_op_init(op, QUEUE_SCRIPT_PURGE, 1);
    queue_add_key(&op->args, prefix, queue, state);
}

void queue_op_pause(struct queue_op *op, const char *prefix, const char *queue,
                    bool pause, const char *who)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, pause ? "SET" : "DEL");
    queue_add_key(&op->args, prefix, queue, "paused");
    if (pause)
        redis_args_add(&op->args, who ? who : "paused");
}

void queue_op_register(struct queue_op *op, const char *prefix, const char *queue)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "SADD");
    redis_args_add_fmt(&op->args, "%s:queues", prefix);
    redis_args_add(&op->args, queue);
}

void queue_op_list(struct queue_op *op, const char *prefix)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "SMEMBERS");
    redis_args_add_fmt(&op->args, "%s:queues", prefix);
}

/* ---- stats -------------------------------------------------------------- */

const char *const queue_counter_names[] = {
    "enqueued", "deduped", "completed", "failed",  "retried",
    "dead",     "recovered", "deferred", "revived", "dead_evicted", NULL,
};

static int64_t *queue_counter_slot(struct queue_counters *c, size_t i)
{
    int64_t *slots[] = {&c->enqueued, &c->deduped,   &c->completed,
                        &c->failed,   &c->retried,   &c->dead,
                        &c->recovered, &c->deferred, &c->revived, &c->dead_evicted};
    return i < sizeof slots / sizeof *slots ? slots[i] : NULL;
}

int64_t queue_counter_get(const struct queue_counters *c, size_t index)
{
    int64_t *slot = queue_counter_slot((struct queue_counters *)c, index);
    return slot ? *slot : 0;
}

void queue_op_stats(struct queue_op *op, const char *prefix, const char *queue)
{
    static const char *const parts[] = {"ready", "delayed", "dead",
                                        "paused", "stats", "workers"};
    queue_op_init(op, QUEUE_SCRIPT_STATS, 6);
    for (size_t i = 0; i < 6; i++)
        queue_add_key(&op->args, prefix, queue, parts[i]);
    redis_args_add_fmt(&op->args, "%s:{%s}:active:", prefix, queue);
}

/* Age of the oldest ready envelope from its run_at_ms or created_ms. */
static int64_t queue_oldest_age(const redisReply *env, int64_t now_ms)
{
    if (env->type != REDIS_REPLY_STRING || env->len == 0)
        return 0;
    json_t *o = json_loadb(env->str, env->len, 0, NULL);
    int64_t at = 0;
    if (json_is_object(o)) {
        json_t *run = json_object_get(o, "run_at_ms");
        json_t *created = json_object_get(o, "created_ms");
        at = json_is_integer(run) ? json_integer_value(run)
             : json_is_integer(created) ? json_integer_value(created)
                                        : 0;
    }
    json_decref(o);
    return at > 0 && now_ms > at ? now_ms - at : 0;
}

static void queue_parse_counters(const redisReply *h, struct queue_counters *c)
{
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        const char *name = h->element[i]->str;
        for (size_t k = 0; name && queue_counter_names[k]; k++)
            if (strcmp(name, queue_counter_names[k]) == 0)
                *queue_counter_slot(c, k) = strtoll(h->element[i + 1]->str, NULL, 10);
    }
}

int queue_parse_stats(const redisReply *r, struct queue_stats *out)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 9)
        return -1;
    for (size_t i = 0; i < 7; i++)
        if (r->element[i]->type != REDIS_REPLY_INTEGER)
            return -1;
    if (r->element[8]->type != REDIS_REPLY_ARRAY)
        return -1;
    memset(out, 0, sizeof *out);
    out->ready = r->element[0]->integer;
    out->delayed = r->element[1]->integer;
    out->dead = r->element[2]->integer;
    out->paused = r->element[3]->integer != 0;
    out->active = r->element[4]->integer;
    out->workers = r->element[5]->integer;
    out->now_ms = r->element[6]->integer;
    out->oldest_age_ms = queue_oldest_age(r->element[7], out->now_ms);
    queue_parse_counters(r->element[8], &out->counters);
    return 0;
}

/* ---- worker registry ---------------------------------------------------- */

void queue_op_waitstat(struct queue_op *op, const char *prefix, const char *queue,
                       const char *field, int64_t by)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "HINCRBY");
    queue_add_key(&op->args, prefix, queue, "waitstats");
    redis_args_add(&op->args, field);
    redis_args_add_int(&op->args, by);
}

void queue_op_worker_update(struct queue_op *op, const char *prefix,
                            const struct queue_worker_info *w)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "HSET");
    redis_args_add_fmt(&op->args, "%s:worker:%s", prefix, w->id);
    redis_args_add(&op->args, "id");
    redis_args_add(&op->args, w->id);
    redis_args_add(&op->args, "host");
    redis_args_add(&op->args, w->host);
    redis_args_add(&op->args, "pid");
    redis_args_add_int(&op->args, w->pid);
    redis_args_add(&op->args, "version");
    redis_args_add(&op->args, w->version);
    redis_args_add(&op->args, "queues");
    redis_args_add(&op->args, w->queues);
    redis_args_add(&op->args, "concurrency");
    redis_args_add_int(&op->args, w->concurrency);
    redis_args_add(&op->args, "in_flight");
    redis_args_add_int(&op->args, w->in_flight);
    redis_args_add(&op->args, "started_ms");
    redis_args_add_int(&op->args, w->started_ms);
    redis_args_add(&op->args, "heartbeat_ms");
    redis_args_add_int(&op->args, w->heartbeat_ms);
    if (w->postgres != NULL) {
        redis_args_add(&op->args, "postgres");
        redis_args_add(&op->args, w->postgres);
        redis_args_add(&op->args, "postgres_changed_ms");
        redis_args_add_int(&op->args, w->postgres_changed_ms);
    }
    if (w->rss_bytes > 0) {
        redis_args_add(&op->args, "rss_bytes");
        redis_args_add_int(&op->args, w->rss_bytes);
    }
    if (w->memory_limit_bytes > 0) {
        redis_args_add(&op->args, "memory_limit_bytes");
        redis_args_add_int(&op->args, w->memory_limit_bytes);
    }
}

void queue_op_worker_expire(struct queue_op *op, const char *prefix, const char *id)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "EXPIRE");
    redis_args_add_fmt(&op->args, "%s:worker:%s", prefix, id);
    redis_args_add_int(&op->args, QUEUE_WORKER_TTL_S);
}

void queue_op_worker_touch(struct queue_op *op, const char *prefix,
                           const char *id, int64_t now_ms)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "ZADD");
    redis_args_add_fmt(&op->args, "%s:workers", prefix);
    redis_args_add_int(&op->args, now_ms);
    redis_args_add(&op->args, id);
}

void queue_op_worker_forget(struct queue_op *op, const char *prefix, const char *id)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "ZREM");
    redis_args_add_fmt(&op->args, "%s:workers", prefix);
    redis_args_add(&op->args, id);
}

void queue_op_worker_delete(struct queue_op *op, const char *prefix, const char *id)
{
    queue_op_init_command(op);
    redis_args_add(&op->args, "DEL");
    redis_args_add_fmt(&op->args, "%s:worker:%s", prefix, id);
}
