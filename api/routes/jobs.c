/*
 * api/routes/jobs.c: the jobs resource (see jobs.h; the queue side is
 * queue/inspect.h and queue/track.h).
 */
#include "api/routes/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes/qcall.h"
#include "lib/crypto.h"
#include "lib/mem.h"
#include "queue/inspect.h"
#include "queue/track.h"

/* ---- documents ------------------------------------------------------------ */

static json_t *jobs_str(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jobs_doc(const struct job *j, enum queue_state st, const char *worker)
{
    return json_pack("{sssssssssisisoso" "sososososo}", "id", j->id, "type", j->type,
                     "queue", j->queue, "state", queue_state_name(st), "attempt", j->attempt,
                     "max_attempts", j->max_attempts, "created_at", qcall_time(j->created_ms),
                     "run_at", st == QUEUE_STATE_DELAYED ? qcall_time(j->run_at_ms) : json_null(),
                     "failed_at", qcall_time(j->failed_ms), "last_error",
                     jobs_str(j->last_error), "dedup_key", jobs_str(j->dedup_key),
                     "request_id", jobs_str(j->request_id), "worker",
                     worker && *worker ? json_string(worker) : json_null());
}

/* ---- GET /api/v1/queues/{queue}/jobs ------------------------------------- */

struct jobs_page {
    enum queue_state state;
    char *q, *type;
    int64_t first;
    int limit;
    char filter[17]; /* the cursor's check of state and filters */
};

static void jobs_page_free(void *data)
{
    struct jobs_page *p = data;
    if (p) {
        free(p->q);
        free(p->type);
    }
    free(p);
}

static void jobs_filter_hash(struct jobs_page *p)
{
    uint8_t d[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    char *text = mem_printf("%s\n%s\n%s", queue_state_name(p->state), p->q ? p->q : "",
                            p->type ? p->type : "");
    crypto_sha256(text, strlen(text), d);
    crypto_hex_encode(d, CRYPTO_SHA256_LEN, hex);
    snprintf(p->filter, sizeof p->filter, "%.16s", hex);
    free(text);
}

/* Cursor "<position>-<filter hash>"; false when malformed or for other filters. */
static bool jobs_cursor_parse(struct jobs_page *p, const char *cur)
{
    char *end = NULL;
    long long pos = strtoll(cur, &end, 10);
    return end != cur && pos >= 0 && *end == '-' && strcmp(end + 1, p->filter) == 0 &&
           (p->first = pos, true);
}

static void jobs_on_window(struct qcall *c, const redisReply *r)
{
    struct jobs_page *p = c->data;
    struct queue_window w;
    if (queue_parse_window(r, &w) != 0) {
        qcall_fail(c, 503, "redis_error", "unexpected reply");
        return;
    }
    json_t *items = json_array();
    int64_t malformed = 0;
    for (size_t i = 0; i < w.count; i++) {
        const redisReply *env = r->element[w.first + 2 * i];
        const char *worker = r->element[w.first + 2 * i + 1]->str;
        struct job *j = NULL;
        const char *why;
        if (job_decode(env->str, env->len, &j, &why) != 0)
            malformed++;
        else if (p->type == NULL || strcmp(j->type, p->type) == 0)
            json_array_append_new(items, jobs_doc(j, p->state, worker));
        job_free(j);
    }
    json_t *next = json_null();
    if (w.next >= 0) {
        char cur[64];
        snprintf(cur, sizeof cur, "%lld-%s", (long long)w.next, p->filter);
        next = json_string(cur);
    }
    qcall_answer_read(c, json_pack("{sssssIsIsoso}", "queue", c->queue, "state",
                                   queue_state_name(p->state), "total", (json_int_t)w.total,
                                   "skipped_malformed", (json_int_t)malformed, "items", items,
                                   "next_cursor", next));
}

static void jobs_list_start(struct qcall *c, const redisReply *r)
{
    (void)r;
    struct jobs_page *p = c->data;
    bool search = p->q != NULL || p->type != NULL;
    struct queue_window_query wq = {p->state, p->first, p->limit,
                                    search ? QUEUE_SEARCH_BUDGET : p->limit, p->q, p->type};
    struct queue_op op;
    queue_op_window(&op, c->prefix, c->queue, &wq);
    qcall_run(c, &op, jobs_on_window);
}

/* Fills p from the query; a message when a value is bad. */
static const char *jobs_page_read(struct jobs_page *p, json_t *q)
{
    const char *state = json_string_value(json_object_get(q, "state"));
    const char *type = json_string_value(json_object_get(q, "type"));
    const char *text = json_string_value(json_object_get(q, "q"));
    const char *cur = json_string_value(json_object_get(q, "cursor"));
    if (state == NULL || queue_state_parse(state, &p->state) != 0)
        return "state must be ready, delayed, active or dead";
    if (type && (strlen(type) < 1 || strlen(type) > JOB_TYPE_MAX || strchr(type, '"') ||
                 strchr(type, '\\')))
        return "type is malformed";
    if (text && (strlen(text) < 1 || strlen(text) > 200))
        return "q must be 1 to 200 characters";
    const char *bad = qcall_limit(q, &p->limit);
    if (bad != NULL)
        return bad;
    p->type = type ? mem_strdup(type) : NULL;
    p->q = text ? mem_strdup(text) : NULL;
    jobs_filter_hash(p);
    if (cur && !jobs_cursor_parse(p, cur))
        return "cursor is malformed or belongs to other filters";
    return NULL;
}

void jobs_list(struct api_call *call)
{
    static const char *const allowed[] = {"state", "type", "q", "cursor", "limit", NULL};
    struct qcall *c = qcall_begin(call);
    if (c == NULL)
        return;
    json_t *q = qcall_query(c, call->req, allowed);
    if (q == NULL)
        return;
    struct jobs_page *p = mem_calloc(1, sizeof *p);
    c->data = p;
    c->free_data = jobs_page_free;
    const char *bad = jobs_page_read(p, q);
    json_decref(q);
    if (bad != NULL) {
        qcall_fail(c, 400, "invalid_parameter", bad);
        return;
    }
    qcall_need_queue(c, jobs_list_start);
}

/* ---- one job --------------------------------------------------------------- */

static void jobs_find(struct qcall *c, qcall_step_fn *next)
{
    struct queue_op op;
    queue_op_find(&op, c->prefix, c->queue, c->id, false);
    qcall_run(c, &op, next);
}

static void jobs_on_get(struct qcall *c, const redisReply *r)
{
    struct queue_found f;
    struct job *j = NULL;
    const char *why;
    int rc = queue_parse_find(r, &f);
    if (rc == 0 || (rc == 1 && job_decode(f.envelope->str, f.envelope->len, &j, &why) != 0)) {
        qcall_fail(c, 404, "not_found", "no such job in this queue");
        return;
    }
    if (rc < 0) {
        qcall_fail(c, 503, "redis_error", "unexpected reply");
        return;
    }
    json_t *doc = jobs_doc(j, f.state, f.worker);
    json_object_set_new(doc, "envelope", json_loadb(j->raw, j->raw_len, 0, NULL));
    job_free(j);
    qcall_answer_read(c, doc);
}

static void jobs_get_start(struct qcall *c, const redisReply *r)
{
    (void)r;
    jobs_find(c, jobs_on_get);
}

void jobs_get(struct api_call *call)
{
    struct qcall *c = qcall_begin_read(call);
    if (c == NULL)
        return;
    qcall_need_queue(c, jobs_get_start);
}

/* ---- delete and retry one ------------------------------------------------- */

static void jobs_action_answer(struct qcall *c, const char *action)
{
    qcall_answer(c, 200, json_pack("{sssssssssi}", "queue", c->queue, "job_id", c->id,
                                   "action", action, "from_state",
                                   queue_state_name((enum queue_state)c->arg), "touched", 1));
}

static void jobs_on_removed(struct qcall *c, const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 1)
        jobs_action_answer(c, "delete");
    else
        qcall_fail(c, 409, "invalid_state", "the job moved while it was being deleted");
}

static void jobs_on_found_delete(struct qcall *c, const redisReply *r)
{
    struct queue_found f;
    int rc = queue_parse_find(r, &f);
    if (rc == 0) {
        qcall_fail(c, 404, "not_found", "no such job in this queue");
    } else if (rc < 0) {
        qcall_fail(c, 503, "redis_error", "unexpected reply");
    } else if (f.state == QUEUE_STATE_ACTIVE) {
        qcall_fail(c, 409, "invalid_state", "a running job cannot be deleted");
    } else {
        struct queue_op op;
        c->arg = f.state;
        queue_op_remove(&op, c->prefix, c->queue, f.state, c->id, f.envelope->str,
                        f.envelope->len, job_envelope_tracked(f.envelope->str, f.envelope->len));
        qcall_run(c, &op, jobs_on_removed);
    }
}

static void jobs_delete_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    jobs_find(c, jobs_on_found_delete);
}

static void jobs_need_queue_delete(struct qcall *c, const redisReply *r)
{
    (void)r;
    qcall_need_queue(c, jobs_delete_go);
}

static void jobs_target(struct api_call *call, char *out, size_t size)
{
    snprintf(out, size, "job:%.64s/%.64s", api_call_param(call, "queue"),
             api_call_param(call, "id"));
}

void jobs_delete(struct api_call *call)
{
    char target[160];
    jobs_target(call, target, sizeof target);
    qcall_command_begin(call, "job.delete", target, NULL, jobs_need_queue_delete);
}

static void jobs_on_revived(struct qcall *c, const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER && r->integer == 1)
        jobs_action_answer(c, "retry");
    else
        qcall_fail(c, 409, "invalid_state", "the job left the dead list meanwhile");
}

static void jobs_on_found_retry(struct qcall *c, const redisReply *r)
{
    struct queue_found f;
    struct job *j = NULL;
    const char *why;
    int rc = queue_parse_find(r, &f);
    if (rc == 0) {
        qcall_fail(c, 404, "not_found", "no such job in this queue");
    } else if (rc < 0) {
        qcall_fail(c, 503, "redis_error", "unexpected reply");
    } else if (f.state != QUEUE_STATE_DEAD) {
        qcall_fail(c, 409, "invalid_state", "only a dead job can be retried");
    } else if (job_decode(f.envelope->str, f.envelope->len, &j, &why) != 0) {
        qcall_fail(c, 409, "invalid_state", "the dead envelope is malformed");
    } else {
        size_t len;
        char *fresh = job_encode_revived(j, &len);
        struct queue_op op;
        c->arg = QUEUE_STATE_DEAD;
        queue_op_revive(&op, c->prefix, c->queue, f.envelope->str, f.envelope->len, fresh, len);
        qcall_run(c, &op, jobs_on_revived);
        free(fresh);
        job_free(j);
    }
}

static void jobs_retry_go(struct qcall *c, const redisReply *r)
{
    (void)r;
    jobs_find(c, jobs_on_found_retry);
}

static void jobs_need_queue_retry(struct qcall *c, const redisReply *r)
{
    (void)r;
    qcall_need_queue(c, jobs_retry_go);
}

void jobs_retry(struct api_call *call)
{
    char target[160];
    jobs_target(call, target, sizeof target);
    qcall_command_begin(call, "job.retry", target, NULL, jobs_need_queue_retry);
}

/* ---- GET /api/v1/jobs/{id} -------------------------------------------------- */

struct jobs_status {
    redisReply *record; /* kept between the two replies */
};

static json_t *jobs_status_doc(struct qcall *c, const struct queue_track *t, const char *state)
{
    return json_pack("{sssssssssIsIsosososososs}", "job_id", c->id, "queue", t->queue, "type",
                     t->type, "state", state, "attempts", (json_int_t)t->attempts,
                     "max_attempts", (json_int_t)(t->max_attempts > 0 ? t->max_attempts : 1),
                     "last_error",
                     t->last_error && *t->last_error ? json_string(t->last_error) : json_null(),
                     "created_at", qcall_time(t->created_ms), "started_at",
                     qcall_time(t->started_ms), "finished_at", qcall_time(t->finished_ms),
                     "requested_by", json_string(t->requested_by ? t->requested_by : ""),
                     "request_id", t->request_id ? t->request_id : "");
}

static void jobs_on_active(struct qcall *c, const redisReply *r)
{
    json_t *doc = c->data;
    struct queue_found f;
    c->data = NULL;
    if (queue_parse_find(r, &f) == 1)
        json_object_set_new(doc, "state", json_string("active"));
    qcall_answer_read(c, doc);
}

static void jobs_on_record(struct qcall *c, const redisReply *r)
{
    struct queue_track t;
    int rc = queue_parse_track(r, &t);
    if (rc == 0) {
        qcall_fail(c, 404, "not_found", "no command job with this id");
        return;
    }
    if (rc < 0) {
        qcall_fail(c, 503, "redis_error", "unexpected reply");
        return;
    }
    json_t *doc = jobs_status_doc(c, &t, t.state);
    if (strcmp(t.state, "ready") != 0 && strcmp(t.state, "delayed") != 0) {
        qcall_answer_read(c, doc);
        return;
    }
    /* maybe running right now: the active lists are small */
    struct queue_op op;
    c->data = doc;
    c->free_data = (void (*)(void *))json_decref;
    queue_op_find(&op, c->prefix, c->queue, c->id, true);
    qcall_run(c, &op, jobs_on_active);
}

static void jobs_on_located(struct qcall *c, const redisReply *r)
{
    if (r->type != REDIS_REPLY_STRING || !queue_name_valid(r->str)) {
        qcall_fail(c, 404, "not_found", "no command job with this id");
        return;
    }
    snprintf(c->queue, sizeof c->queue, "%s", r->str);
    struct queue_op op;
    queue_op_track_get(&op, c->prefix, c->queue, c->id);
    qcall_run(c, &op, jobs_on_record);
}

void jobs_status(struct api_call *call)
{
    struct qcall *c = qcall_begin_read(call);
    if (c == NULL)
        return;
    struct queue_op op;
    queue_op_track_locate(&op, c->prefix, c->id);
    qcall_run(c, &op, jobs_on_located);
}
