/*
 * queue/inspect.c: operator reads and actions on one queue's jobs (see
 * inspect.h; the scripts: queue/lua/window.lua, find.lua, remove.lua,
 * dead_drop.lua, dead_retry.lua).
 */
#include "queue/inspect.h"

#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "queue/scripts.h"
#include "queue/track.h"

static const char *const queue_state_names[] = {"ready", "delayed", "active", "dead"};

const char *queue_state_name(enum queue_state s)
{
    return queue_state_names[s];
}

int queue_state_parse(const char *s, enum queue_state *out)
{
    for (size_t i = 0; s && i < sizeof queue_state_names / sizeof *queue_state_names; i++)
        if (strcmp(s, queue_state_names[i]) == 0) {
            *out = (enum queue_state)i;
            return 0;
        }
    return -1;
}

static void queue_inspect_init(struct queue_op *op, enum queue_script_id id, int nkeys)
{
    memset(op, 0, sizeof *op);
    op->script = &queue_scripts[id];
    op->nkeys = nkeys;
    redis_args_init(&op->args);
}

static void queue_inspect_key(struct queue_op *op, const char *prefix,
                              const char *queue, const char *part)
{
    redis_args_add_fmt(&op->args, "%s:{%s}:%s", prefix, queue, part);
}

void queue_op_window(struct queue_op *op, const char *prefix, const char *queue,
                     const struct queue_window_query *w)
{
    queue_inspect_init(op, QUEUE_SCRIPT_WINDOW, 2);
    queue_inspect_key(op, prefix, queue,
                      w->state == QUEUE_STATE_ACTIVE ? "ready" : queue_state_name(w->state));
    queue_inspect_key(op, prefix, queue, "workers");
    redis_args_add(&op->args, queue_state_name(w->state));
    redis_args_add_int(&op->args, w->first);
    redis_args_add_int(&op->args, w->want);
    redis_args_add_int(&op->args, w->budget);
    redis_args_add(&op->args, w->q ? w->q : "");
    if (w->type)
        redis_args_add_fmt(&op->args, "\"type\":\"%s\"", w->type);
    else
        redis_args_add(&op->args, "");
    redis_args_add_fmt(&op->args, "%s:{%s}:active:", prefix, queue);
}

int queue_parse_window(const redisReply *r, struct queue_window *out)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
        r->elements % 2 != 0 || r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[1]->type != REDIS_REPLY_INTEGER)
        return -1;
    for (size_t i = 2; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return -1;
    out->total = r->element[0]->integer;
    out->next = r->element[1]->integer;
    out->first = 2;
    out->count = (r->elements - 2) / 2;
    return 0;
}

void queue_op_find(struct queue_op *op, const char *prefix, const char *queue,
                   const char *id, bool active_only)
{
    static const char *const parts[] = {"ready", "delayed", "dead", "workers"};
    queue_inspect_init(op, QUEUE_SCRIPT_FIND, 4);
    for (size_t i = 0; i < 4; i++)
        queue_inspect_key(op, prefix, queue, parts[i]);
    redis_args_add_fmt(&op->args, "{\"id\":\"%s\",", id);
    redis_args_add_fmt(&op->args, "%s:{%s}:active:", prefix, queue);
    redis_args_add(&op->args, active_only ? "active" : "all");
}

int queue_parse_find(const redisReply *r, struct queue_found *out)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY)
        return -1;
    if (r->elements == 0)
        return 0;
    if (r->elements != 3)
        return -1;
    for (size_t i = 0; i < 3; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return -1;
    if (queue_state_parse(r->element[0]->str, &out->state) != 0)
        return -1;
    out->envelope = r->element[1];
    out->worker = r->element[2]->str;
    return 1;
}

void queue_op_remove(struct queue_op *op, const char *prefix, const char *queue,
                     enum queue_state state, const char *id, const char *envelope,
                     size_t len, bool tracked)
{
    queue_inspect_init(op, QUEUE_SCRIPT_REMOVE, tracked ? 2 : 1);
    queue_inspect_key(op, prefix, queue, queue_state_name(state));
    if (tracked)
        queue_track_add_key(&op->args, prefix, queue, id);
    redis_args_add(&op->args, state == QUEUE_STATE_DELAYED ? "zset" : "list");
    redis_args_addn(&op->args, envelope, len);
    redis_args_add_int(&op->args, QUEUE_TRACK_TTL_S);
}

void queue_op_dead_drop(struct queue_op *op, const char *prefix, const char *queue,
                        int64_t confirm)
{
    queue_inspect_init(op, QUEUE_SCRIPT_DEAD_DROP, 1);
    queue_inspect_key(op, prefix, queue, "dead");
    redis_args_add_int(&op->args, confirm);
}

void queue_op_dead_read(struct queue_op *op, const char *prefix, const char *queue)
{
    memset(op, 0, sizeof *op);
    redis_args_init(&op->args);
    redis_args_add(&op->args, "LRANGE");
    queue_inspect_key(op, prefix, queue, "dead");
    redis_args_add(&op->args, "0");
    redis_args_add(&op->args, "-1");
}

void queue_dead_retry_build(struct queue_dead_retry *dr, const char *prefix,
                            const char *queue, int64_t confirm, const redisReply *rd,
                            int64_t *malformed)
{
    size_t n = rd && rd->type == REDIS_REPLY_ARRAY ? rd->elements : 0;
    dr->fresh = mem_calloc(n ? n : 1, sizeof *dr->fresh);
    dr->n = n;
    *malformed = 0;
    queue_inspect_init(&dr->op, QUEUE_SCRIPT_DEAD_RETRY, 3);
    queue_inspect_key(&dr->op, prefix, queue, "dead");
    queue_inspect_key(&dr->op, prefix, queue, "ready");
    queue_inspect_key(&dr->op, prefix, queue, "stats");
    redis_args_add_int(&dr->op.args, confirm);
    for (size_t k = 0; k < n; k++) {
        const redisReply *e = rd->element[n - 1 - k]; /* oldest first */
        struct job *job = NULL;
        const char *why;
        size_t len = 0;
        if (e->type == REDIS_REPLY_STRING && job_decode(e->str, e->len, &job, &why) == 0)
            dr->fresh[k] = job_encode_revived(job, &len);
        else
            (*malformed)++;
        job_free(job);
        redis_args_addn(&dr->op.args, e->type == REDIS_REPLY_STRING ? e->str : "",
                        e->type == REDIS_REPLY_STRING ? e->len : 0);
        redis_args_addn(&dr->op.args, dr->fresh[k] ? dr->fresh[k] : "", len);
    }
}

void queue_dead_retry_dispose(struct queue_dead_retry *dr)
{
    for (size_t i = 0; i < dr->n; i++)
        free(dr->fresh[i]);
    free(dr->fresh);
    queue_op_dispose(&dr->op);
}

int queue_parse_bulk(const redisReply *r, int64_t *n)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[1]->type != REDIS_REPLY_INTEGER)
        return -1;
    *n = r->element[1]->integer;
    switch (r->element[0]->integer) {
    case 1: return 0;
    case 0: return 1;
    case 2: return 2;
    default: return -1;
    }
}
