/*
 * api/routes/workers.c: GET /api/v1/workers (see workers.h).
 */
#include "api/routes/workers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes/qcall.h"
#include "lib/mem.h"

static const char *workers_field(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, name) == 0 &&
            r->element[i + 1]->type == REDIS_REPLY_STRING)
            return r->element[i + 1]->str;
    return NULL;
}

static int64_t workers_int(const redisReply *r, const char *name)
{
    const char *v = workers_field(r, name);
    return v ? strtoll(v, NULL, 10) : 0;
}

/* "webhooks:32,notify:16" → [{"queue","slots"}] (malformed parts skipped). */
static json_t *workers_queues(const char *text)
{
    json_t *out = json_array();
    char *copy = mem_strdup(text ? text : ""), *save = NULL;
    for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(p, ':');
        long slots = colon ? strtol(colon + 1, NULL, 10) : 0;
        if (colon)
            *colon = '\0';
        if (queue_name_valid(p) && slots >= 1)
            json_array_append_new(out, json_pack("{sssi}", "queue", p, "slots", (int)slots));
    }
    free(copy);
    return out;
}

static json_t *workers_doc(const char *id, const redisReply *r, int64_t now_ms)
{
    int64_t hb = workers_int(r, "heartbeat_ms");
    const char *pg = workers_field(r, "postgres");
    json_t *pgv = pg && (strcmp(pg, "up") == 0 || strcmp(pg, "down") == 0) ? json_string(pg)
                                                                            : json_null();
    int64_t pid = workers_int(r, "pid");
    return json_pack("{sssssIsssosIsIsososIsoso}", "id", id, "host",
                     workers_field(r, "host") ? workers_field(r, "host") : "", "pid",
                     (json_int_t)(pid > 0 ? pid : 1), "version",
                     workers_field(r, "version") ? workers_field(r, "version") : "", "queues",
                     workers_queues(workers_field(r, "queues")), "concurrency",
                     (json_int_t)workers_int(r, "concurrency"), "in_flight",
                     (json_int_t)workers_int(r, "in_flight"), "started_at",
                     qcall_time(workers_int(r, "started_ms")), "heartbeat_at", qcall_time(hb),
                     "heartbeat_age_ms", (json_int_t)(now_ms > hb ? now_ms - hb : 0),
                     "postgres", pgv, "postgres_changed_at",
                     json_is_null(pgv) ? json_null()
                                       : qcall_time(workers_int(r, "postgres_changed_ms")));
}

static void workers_on_hash(struct qcall *c, const redisReply *r);

static void workers_next(struct qcall *c)
{
    struct qcall_walk *w = c->data;
    if (w->next == w->n) {
        qcall_answer_read(c, json_pack("{soso}", "generated_at", qcall_time(c->now_ms),
                                       "workers", json_incref(w->items)));
        return;
    }
    struct queue_op op;
    memset(&op, 0, sizeof op);
    redis_args_init(&op.args);
    redis_args_add(&op.args, "HGETALL");
    redis_args_add_fmt(&op.args, "%s:worker:%s", c->prefix, w->names[w->next]);
    qcall_run(c, &op, workers_on_hash);
}

static void workers_on_hash(struct qcall *c, const redisReply *r)
{
    struct qcall_walk *w = c->data;
    if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 && workers_field(r, "heartbeat_ms"))
        json_array_append_new(w->items, workers_doc(w->names[w->next], r, c->now_ms));
    w->next++;
    workers_next(c);
}

static void workers_on_members(struct qcall *c, const redisReply *r)
{
    if (qcall_walk_begin(c, r, NULL) != NULL)
        workers_next(c);
}

void workers_list(struct api_call *call)
{
    struct qcall *c = qcall_begin_read(call);
    if (c == NULL)
        return;
    struct queue_op op;
    memset(&op, 0, sizeof op);
    redis_args_init(&op.args);
    redis_args_add(&op.args, "ZRANGE");
    redis_args_add_fmt(&op.args, "%s:workers", c->prefix);
    redis_args_add(&op.args, "0");
    redis_args_add(&op.args, "-1");
    qcall_run(c, &op, workers_on_members);
}
