/*
 * worker/core/waits.c: the queue-wait sums between flushes (see waits.h).
 */
#include "worker/core/waits.h"

#include <stdio.h>
#include <string.h>

#include "lib/redis.h"

static int waits_bucket(int64_t wait_us)
{
    const char *label = queue_bucket_for_us(wait_us);
    for (int i = 0; i < QUEUE_BUCKETS; i++)
        if (queue_bucket_labels[i] == label)
            return i;
    return QUEUE_BUCKETS - 1;
}

/* The slot of queue, claimed when new; -1 when every slot is taken. */
static int waits_slot(struct worker_waits *w, const char *queue)
{
    for (int i = 0; i < w->n; i++)
        if (strcmp(w->q[i].queue, queue) == 0)
            return i;
    if (w->n == WORKER_QUEUES_MAX || strlen(queue) > QUEUE_NAME_MAX)
        return -1;
    snprintf(w->q[w->n].queue, sizeof w->q[w->n].queue, "%s", queue);
    return w->n++;
}

void worker_waits_add(struct worker_waits *w, const char *queue, int64_t wait_us)
{
    int i = waits_slot(w, queue);
    if (i < 0)
        return;
    if (wait_us < 0)
        wait_us = 0;
    w->q[i].count[waits_bucket(wait_us)]++;
    w->q[i].sum_us += wait_us;
}

static void waits_ignore_reply(void *data, const redisReply *reply, const char *error)
{
    (void)data;
    (void)reply;
    (void)error;
}

static void waits_send(struct redis_client *r, const char *prefix, const char *queue,
                       const char *field, int64_t by)
{
    struct queue_op op;
    queue_op_waitstat(&op, prefix, queue, field, by);
    queue_op_run_async(r, &op, waits_ignore_reply, NULL);
    queue_op_dispose(&op);
}

void worker_waits_flush(struct worker_waits *w, struct redis_client *r, const char *prefix)
{
    char field[32];
    if (r == NULL || !redis_client_connected(r))
        return; /* kept for the next flush */
    for (int i = 0; i < w->n; i++) {
        for (int b = 0; b < QUEUE_BUCKETS; b++) {
            if (w->q[i].count[b] == 0)
                continue;
            snprintf(field, sizeof field, "le:%s", queue_bucket_labels[b]);
            waits_send(r, prefix, w->q[i].queue, field, w->q[i].count[b]);
            w->q[i].count[b] = 0;
        }
        if (w->q[i].sum_us > 0)
            waits_send(r, prefix, w->q[i].queue, "sum_us", w->q[i].sum_us);
        w->q[i].sum_us = 0;
    }
}
