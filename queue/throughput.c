/*
 * queue/throughput.c: the per-minute completed/failed counters' keys and
 * their reader (see throughput.h and queue/lua/throughput.lua).
 */
#include "queue/throughput.h"

#include <string.h>

#include "queue/scripts.h"

int64_t queue_minute_of(int64_t epoch_ms)
{
    return epoch_ms / 60000;
}

void queue_throughput_add_key(struct redis_args *a, const char *prefix,
                              const char *queue, int64_t minute)
{
    redis_args_add_fmt(a, "%s:{%s}:tp:%lld", prefix, queue, (long long)minute);
}

void queue_op_throughput(struct queue_op *op, const char *prefix,
                         const char *queue, int64_t first, size_t n)
{
    memset(op, 0, sizeof *op);
    op->script = &queue_scripts[QUEUE_SCRIPT_THROUGHPUT];
    redis_args_init(&op->args);
    redis_args_add_fmt(&op->args, "%s:{%s}:tp:", prefix, queue);
    redis_args_add_int(&op->args, first);
    redis_args_add_int(&op->args, (long long)n);
}

int queue_parse_throughput(const redisReply *r, int64_t *completed,
                           int64_t *failed, size_t n)
{
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const redisReply *c = r->element[2 * i], *f = r->element[2 * i + 1];
        if (c->type != REDIS_REPLY_INTEGER || f->type != REDIS_REPLY_INTEGER)
            return -1;
        completed[i] = c->integer;
        failed[i] = f->integer;
    }
    return 0;
}
