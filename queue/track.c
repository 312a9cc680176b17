/*
 * queue/track.c: command-job tracking records (see track.h).
 */
#include "queue/track.h"

#include <stdlib.h>
#include <string.h>

#include "queue/scripts.h"

void queue_track_add_key(struct redis_args *a, const char *prefix,
                         const char *queue, const char *id)
{
    redis_args_add_fmt(a, "%s:{%s}:track:%s", prefix, queue, id);
}

static void queue_track_init(struct queue_op *op, enum queue_script_id script, int nkeys)
{
    memset(op, 0, sizeof *op);
    op->script = script < QUEUE_SCRIPT_COUNT ? &queue_scripts[script] : NULL;
    op->nkeys = nkeys;
    redis_args_init(&op->args);
}

void queue_op_track_index(struct queue_op *op, const char *prefix, const char *id,
                          const char *queue)
{
    queue_track_init(op, QUEUE_SCRIPT_COUNT, 0);
    redis_args_add(&op->args, "SET");
    redis_args_add_fmt(&op->args, "%s:jobq:%s", prefix, id);
    redis_args_add(&op->args, queue);
    redis_args_add(&op->args, "EX");
    redis_args_add_int(&op->args, QUEUE_TRACK_LIVE_TTL_S);
}

void queue_op_track_locate(struct queue_op *op, const char *prefix, const char *id)
{
    queue_track_init(op, QUEUE_SCRIPT_COUNT, 0);
    redis_args_add(&op->args, "GET");
    redis_args_add_fmt(&op->args, "%s:jobq:%s", prefix, id);
}

void queue_op_enqueue_tracked(struct queue_op *op, const char *prefix,
                              const struct job *job, const char *envelope,
                              size_t len, const struct queue_track_origin *who)
{
    queue_track_init(op, QUEUE_SCRIPT_ENQUEUE, 4);
    redis_args_add_fmt(&op->args, "%s:{%s}:ready", prefix, job->queue);
    redis_args_add_fmt(&op->args, "%s:{%s}:delayed", prefix, job->queue);
    redis_args_add_fmt(&op->args, "%s:{%s}:stats", prefix, job->queue);
    queue_track_add_key(&op->args, prefix, job->queue, job->id);
    redis_args_addn(&op->args, envelope, len);
    redis_args_add_int(&op->args, 0);
    redis_args_add_int(&op->args, QUEUE_DEDUP_TTL_S);
    redis_args_add(&op->args, job->id);
    redis_args_add(&op->args, "1");
    redis_args_add_int(&op->args, QUEUE_TRACK_LIVE_TTL_S);
    const char *pairs[][2] = {{"queue", job->queue}, {"type", job->type},
                              {"state", "ready"}, {"requested_by", who->requested_by},
                              {"request_id", who->request_id}};
    for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
        redis_args_add(&op->args, pairs[i][0]);
        redis_args_add(&op->args, pairs[i][1] ? pairs[i][1] : "");
    }
    redis_args_add(&op->args, "attempts");
    redis_args_add_int(&op->args, 0);
    redis_args_add(&op->args, "max_attempts");
    redis_args_add_int(&op->args, job->max_attempts);
    redis_args_add(&op->args, "created_ms");
    redis_args_add_int(&op->args, job->created_ms);
}

void queue_op_track_get(struct queue_op *op, const char *prefix, const char *queue,
                        const char *id)
{
    queue_track_init(op, QUEUE_SCRIPT_COUNT, 0);
    redis_args_add(&op->args, "HGETALL");
    queue_track_add_key(&op->args, prefix, queue, id);
}

/* Stores one field of the record into *out. */
static void queue_track_field(struct queue_track *out, const char *k, const char *v)
{
    static const char *const strs[] = {"queue", "type", "state", "last_error",
                                       "requested_by", "request_id"};
    static const char *const nums[] = {"attempts", "max_attempts", "created_ms",
                                       "started_ms", "finished_ms"};
    const char **sslot[] = {&out->queue, &out->type, &out->state, &out->last_error,
                            &out->requested_by, &out->request_id};
    int64_t *nslot[] = {&out->attempts, &out->max_attempts, &out->created_ms,
                        &out->started_ms, &out->finished_ms};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        if (strcmp(k, strs[i]) == 0)
            *sslot[i] = v;
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
        if (strcmp(k, nums[i]) == 0)
            *nslot[i] = strtoll(v, NULL, 10);
}

int queue_parse_track(const redisReply *r, struct queue_track *out)
{
    memset(out, 0, sizeof *out);
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return -1;
    for (size_t i = 0; i < r->elements; i += 2) {
        if (r->element[i]->type != REDIS_REPLY_STRING ||
            r->element[i + 1]->type != REDIS_REPLY_STRING)
            return -1;
        queue_track_field(out, r->element[i]->str, r->element[i + 1]->str);
    }
    if (r->elements == 0)
        return 0;
    return out->state != NULL && out->queue != NULL && out->type != NULL ? 1 : -1;
}
