/*
 * api/routes/queues.c: the queues resource (see queues.h).
 */
#include "api/routes/queues.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes/qcall.h"
#include "lib/mem.h"
#include "queue/inspect.h"
#include "queue/throughput.h"

/* ---- GET /api/v1/queues --------------------------------------------------- */

static json_t *queues_counters(const struct queue_counters *k)
{
    json_t *o = json_object();
    for (size_t i = 0; queue_counter_names[i]; i++)
        json_object_set_new(o, queue_counter_names[i],
                            json_integer(queue_counter_get(k, i)));
    return o;
}

static json_t *queues_stats_doc(const char *name, const struct queue_stats *s)
{
    return json_pack("{sssIsIsIsIsbsIsIso}", "queue", name, "ready", (json_int_t)s->ready,
                     "delayed", (json_int_t)s->delayed, "active", (json_int_t)s->active,
                     "dead", (json_int_t)s->dead, "paused", s->paused,
                     "oldest_ready_age_ms", (json_int_t)s->oldest_age_ms, "workers",
                     (json_int_t)s->workers, "counters", queues_counters(&s->counters));
}

static void queues_on_stats(struct qcall *c, const redisReply *r);

static void queues_next(struct qcall *c)
{
    struct qcall_walk *w = c->data;
    if (w->next == w->n) {
        json_t *doc = json_pack("{soso}", "generated_at", qcall_time(w->now_ms), "queues",
                                json_incref(w->items));
        qcall_answer_read(c, doc);
        return;
    }
    struct queue_op op;
    queue_op_stats(&op, c->prefix, w->names[w->next]);
    qcall_run(c, &op, queues_on_stats);
}

static void queues_on_stats(struct qcall *c, const redisReply *r)
{
    struct qcall_walk *w = c->data;
    struct queue_stats s;
    if (queue_parse_stats(r, &s) != 0) {
        qcall_fail(c, 503, "redis_error", "unexpected stats reply");
        return;
    }
    if (w->now_ms == 0)
        w->now_ms = s.now_ms;
    json_array_append_new(w->items, queues_stats_doc(w->names[w->next], &s));
    w->next++;
    queues_next(c);
}

static void queues_on_members(struct qcall *c, const redisReply *r)
{
    struct qcall_walk *w = qcall_walk_begin(c, r, queue_name_valid);
    if (w == NULL)
        return;
    if (w->n == 0)
        w->now_ms = c->now_ms;
    queues_next(c);
}

void queues_list(struct api_call *call)
{
    struct qcall *c = qcall_begin_read(call);
    if (c == NULL)
        return;
    struct queue_op op;
    queue_op_list(&op, c->prefix);
    qcall_run(c, &op, queues_on_members);
}

/* ---- GET /api/v1/queues/{queue}/throughput -------------------------------- */

static void queues_on_throughput(struct qcall *c, const redisReply *r)
{
    size_t n = (size_t)c->arg;
    int64_t *done = mem_calloc(n, sizeof *done), *failed = mem_calloc(n, sizeof *failed);
    if (queue_parse_throughput(r, done, failed, n) != 0) {
        free(done);
        free(failed);
        qcall_fail(c, 503, "redis_error", "unexpected throughput reply");
        return;
    }
    int64_t first = queue_minute_of(c->now_ms) - (int64_t)n + 1;
    json_t *points = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *t = qcall_time((first + (int64_t)i) * 60000);
        char whole[32];
        snprintf(whole, sizeof whole, "%.19sZ", json_string_value(t));
        json_decref(t);
        json_array_append_new(points, json_pack("{sssIsI}", "t", whole, "completed",
                                                (json_int_t)done[i], "failed",
                                                (json_int_t)failed[i]));
    }
    free(done);
    free(failed);
    qcall_answer_read(c, json_pack("{sssssiso}", "queue", c->queue, "window",
                                   n == 60 ? "1h" : "24h", "step_s", 60, "points", points));
}

static void queues_throughput_start(struct qcall *c, const redisReply *r)
{
    (void)r;
    size_t n = (size_t)c->arg;
    struct queue_op op;
    queue_op_throughput(&op, c->prefix, c->queue, queue_minute_of(c->now_ms) - (int64_t)n + 1,
                        n);
    qcall_run(c, &op, queues_on_throughput);
}

void queues_throughput(struct api_call *call)
{
    static const char *const allowed[] = {"window", NULL};
    struct qcall *c = qcall_begin(call);
    if (c == NULL)
        return;
    json_t *q = qcall_query(c, call->req, allowed);
    if (q == NULL)
        return;
    const char *window = json_string_value(json_object_get(q, "window"));
    if (window != NULL && strcmp(window, "1h") != 0 && strcmp(window, "24h") != 0) {
        json_decref(q);
        qcall_fail(c, 400, "invalid_parameter", "window must be 1h or 24h");
        return;
    }
    c->arg = window && strcmp(window, "24h") == 0 ? 1440 : 60;
    json_decref(q);
    qcall_need_queue(c, queues_throughput_start);
}

/* ---- pause and resume ----------------------------------------------------- */

static void queues_on_pause(struct qcall *c, const redisReply *r)
{
    bool pause = c->arg != 0;
    bool changed = pause ? r->type == REDIS_REPLY_STATUS
                         : r->type == REDIS_REPLY_INTEGER && r->integer > 0;
    qcall_answer(c, 200, json_pack("{sssbsb}", "queue", c->queue, "paused", pause,
                                   "changed", changed));
}

static void queues_pause_start(struct qcall *c, const redisReply *r)
{
    (void)r;
    struct queue_op op;
    memset(&op, 0, sizeof op);
    redis_args_init(&op.args);
    if (c->arg != 0) {
        redis_args_add(&op.args, "SET");
        redis_args_add_fmt(&op.args, "%s:{%s}:paused", c->prefix, c->queue);
        redis_args_add_fmt(&op.args, "%s at %lld", c->caller.subject, (long long)c->now_ms);
        redis_args_add(&op.args, "NX");
    } else {
        redis_args_add(&op.args, "DEL");
        redis_args_add_fmt(&op.args, "%s:{%s}:paused", c->prefix, c->queue);
    }
    qcall_run(c, &op, queues_on_pause);
}

static void queues_pause_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    c->arg = 1;
    qcall_need_queue(c, queues_pause_start);
}

static void queues_resume_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    c->arg = 0;
    qcall_need_queue(c, queues_pause_start);
}

static void queues_target(struct api_call *call, char *out, size_t size)
{
    snprintf(out, size, "queue:%.64s", api_call_param(call, "queue"));
}

void queues_pause(struct api_call *call)
{
    char target[96];
    queues_target(call, target, sizeof target);
    qcall_command_begin(call, "queue.pause", target, NULL, queues_pause_go);
}

void queues_resume(struct api_call *call)
{
    char target[96];
    queues_target(call, target, sizeof target);
    qcall_command_begin(call, "queue.resume", target, NULL, queues_resume_go);
}

/* ---- the bulk dead commands ----------------------------------------------- */

static const char *const queues_confirm_fields[] = {"confirm", NULL};

/* Reads body.confirm into c->arg; false after answering 400. */
static bool queues_confirm(struct qcall *c)
{
    json_t *v = json_object_get(c->body, "confirm");
    if (v == NULL) {
        qcall_fail(c, 400, "missing_field", "confirm is required");
        return false;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > QUEUE_DEAD_CAP) {
        qcall_fail(c, 400, "invalid_field", "confirm must be an integer from 0 to 10000");
        return false;
    }
    c->arg = json_integer_value(v);
    return true;
}

static void queues_mismatch(struct qcall *c, int64_t real)
{
    char msg[128];
    snprintf(msg, sizeof msg, "the dead list holds %lld jobs, not %lld; nothing was touched",
             (long long)real, (long long)c->arg);
    qcall_fail(c, 409, "confirm_mismatch", msg);
}

static void queues_bulk_answer(struct qcall *c, const char *action, int64_t touched,
                               int64_t malformed)
{
    qcall_answer(c, 200, json_pack("{sssssIsI}", "queue", c->queue, "action", action,
                                   "touched", (json_int_t)touched, "skipped_malformed",
                                   (json_int_t)malformed));
}

static void queues_on_drop(struct qcall *c, const redisReply *r)
{
    int64_t n = 0;
    int rc = queue_parse_bulk(r, &n);
    if (rc == 0)
        queues_bulk_answer(c, "delete", n, 0);
    else if (rc == 1)
        queues_mismatch(c, n);
    else
        qcall_fail(c, 503, "redis_error", "unexpected reply");
}

static void queues_drop_start(struct qcall *c, const redisReply *r)
{
    (void)r;
    struct queue_op op;
    queue_op_dead_drop(&op, c->prefix, c->queue, c->arg);
    qcall_run(c, &op, queues_on_drop);
}

static void queues_drop_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    if (queues_confirm(c))
        qcall_need_queue(c, queues_drop_start);
}

void queues_dead_delete(struct api_call *call)
{
    char target[96];
    queues_target(call, target, sizeof target);
    qcall_command_begin(call, "dead.delete", target, queues_confirm_fields, queues_drop_go);
}

/* Dead envelopes that did not decode in the last read (kept in dead). */
static int64_t *queues_malformed(struct qcall *c)
{
    if (c->data == NULL)
        c->data = mem_calloc(1, sizeof(int64_t));
    return c->data;
}

static void queues_retry_read(struct qcall *c, const redisReply *r);

static void queues_on_retry(struct qcall *c, const redisReply *r)
{
    int64_t n = 0;
    int rc = queue_parse_bulk(r, &n);
    if (rc == 0) {
        queues_bulk_answer(c, "retry", n, *queues_malformed(c));
    } else if (rc == 1) {
        queues_mismatch(c, n);
    } else if (rc == 2 && ++c->retries < 3) {
        struct queue_op op;
        queue_op_dead_read(&op, c->prefix, c->queue);
        qcall_run(c, &op, queues_retry_read);
    } else if (rc == 2) {
        qcall_fail(c, 409, "confirm_mismatch",
                   "the dead list kept changing while read; nothing was touched");
    } else {
        qcall_fail(c, 503, "redis_error", "unexpected reply");
    }
}

/* The whole dead list read: checks the count, then the guarded move. */
static void queues_retry_read(struct qcall *c, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY) {
        qcall_fail(c, 503, "redis_error", "unexpected reply");
        return;
    }
    if ((int64_t)r->elements != c->arg) {
        queues_mismatch(c, (int64_t)r->elements);
        return;
    }
    struct queue_dead_retry dr;
    queue_dead_retry_build(&dr, c->prefix, c->queue, c->arg, r, queues_malformed(c));
    /* the script call copies its arguments: the reply and strings may go now */
    qcall_run(c, &dr.op, queues_on_retry);
    for (size_t i = 0; i < dr.n; i++)
        free(dr.fresh[i]);
    free(dr.fresh);
}

static void queues_retry_start(struct qcall *c, const redisReply *r)
{
    (void)r;
    struct queue_op op;
    queue_op_dead_read(&op, c->prefix, c->queue);
    qcall_run(c, &op, queues_retry_read);
}

static void queues_retry_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    if (queues_confirm(c))
        qcall_need_queue(c, queues_retry_start);
}

void queues_dead_retry(struct api_call *call)
{
    char target[96];
    queues_target(call, target, sizeof target);
    qcall_command_begin(call, "dead.retry", target, queues_confirm_fields, queues_retry_go);
}
