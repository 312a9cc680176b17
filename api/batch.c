/*
 * api/batch.c: group commit of a thread's webhook enqueues (see batch.h).
 *
 * Jobs of the current turn collect in `pending`; the prepare hook swaps it
 * with `sending` (so a callback that adds a job — h2o may read a pipelined
 * request while answering — lands in the next turn), sends it in calls of
 * up to API_BATCH_MAX jobs and empties it. Both arrays keep their capacity,
 * so a steady load allocates only one record per call.
 */
#include "api/batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/server.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/redis.h"
#include "queue/job.h"
#include "queue/queue.h"

struct api_batch_entry {
    char *envelope; /* owned */
    size_t len;
    char *dedup_key; /* owned, or NULL */
    char id[JOB_ID_MAX + 1];
    api_batch_cb cb;
    void *data;
    size_t index;
};

struct api_batch_list {
    struct api_batch_entry *v;
    size_t n, cap;
};

struct api_batch {
    uv_prepare_t prepare; /* first: the close callback frees the batch from it */
    struct redis_client *redis;
    const char *prefix, *queue;
    struct api_batch_list pending, sending;
};

/* One script call in flight: whom to tell about each of its jobs. */
struct api_batch_call {
    size_t n;
    struct {
        api_batch_cb cb;
        void *data;
        size_t index;
    } to[];
};

static void api_batch_list_clear(struct api_batch_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].envelope);
        free(l->v[i].dedup_key);
    }
    l->n = 0;
}

static void api_batch_call_fail(struct api_batch_call *call, const char *why)
{
    log_error(LOG_FIELDS(LF_STR("error", why), LF_INT("jobs", (long long)call->n)),
              "enqueue failed");
    for (size_t i = 0; i < call->n; i++)
        call->to[i].cb(call->to[i].data, call->to[i].index, API_BATCH_FAILED, NULL);
    free(call);
}

static void api_batch_on_reply(void *data, const redisReply *reply, const char *error)
{
    struct api_batch_call *call = data;
    bool dup = false;
    char id[JOB_ID_MAX + 1];
    if (error != NULL || queue_parse_enqueue_many(reply, call->n, 0, &dup, id, sizeof id) != 0) {
        api_batch_call_fail(call, error ? error : "malformed reply");
        return;
    }
    for (size_t i = 0; i < call->n; i++) {
        enum api_batch_result r = API_BATCH_FAILED;
        if (queue_parse_enqueue_many(reply, call->n, i, &dup, id, sizeof id) == 0)
            r = dup ? API_BATCH_DUPLICATE : API_BATCH_STORED;
        call->to[i].cb(call->to[i].data, call->to[i].index, r, dup ? id : NULL);
    }
    free(call);
}

/* Sends entries e[0..n) (n ≤ API_BATCH_MAX) in one call. */
static void api_batch_send(struct api_batch *b, const struct api_batch_entry *e, size_t n)
{
    struct queue_many_job jobs[API_BATCH_MAX];
    struct api_batch_call *call = mem_alloc(sizeof *call + n * sizeof call->to[0]);
    call->n = n;
    for (size_t i = 0; i < n; i++) {
        jobs[i] = (struct queue_many_job){e[i].envelope, e[i].len, e[i].id, e[i].dedup_key};
        call->to[i].cb = e[i].cb;
        call->to[i].data = e[i].data;
        call->to[i].index = e[i].index;
    }
    struct queue_op op;
    queue_op_enqueue_many(&op, b->prefix, b->queue, jobs, n, 0);
    if (queue_op_run_async(b->redis, &op, api_batch_on_reply, call) != 0)
        api_batch_call_fail(call, "redis not connected");
    queue_op_dispose(&op);
}

/* The end of a loop turn: everything added during it goes out now. */
static void api_batch_flush(uv_prepare_t *h)
{
    struct api_batch *b = (struct api_batch *)h;
    uv_prepare_stop(h);
    struct api_batch_list out = b->pending;
    b->pending = b->sending;
    b->sending = out;
    redis_client_cork(b->redis); /* one write for the turn's calls, no write-interest round trip */
    for (size_t i = 0; i < out.n; i += API_BATCH_MAX)
        api_batch_send(b, &out.v[i], out.n - i < API_BATCH_MAX ? out.n - i : API_BATCH_MAX);
    redis_client_uncork(b->redis);
    api_batch_list_clear(&b->sending);
}

struct api_batch *api_batch_create(uv_loop_t *loop, struct redis_client *redis,
                                   const char *prefix, const char *queue)
{
    struct api_batch *b = mem_calloc(1, sizeof *b);
    uv_prepare_init(loop, &b->prepare);
    b->redis = redis;
    b->prefix = prefix;
    b->queue = queue;
    return b;
}

static void api_batch_closed(uv_handle_t *h)
{
    struct api_batch *b = (struct api_batch *)h;
    free(b->pending.v);
    free(b->sending.v);
    free(b);
}

void api_batch_close(struct api_batch *b)
{
    if (b == NULL)
        return;
    struct api_batch_list *l = &b->pending;
    for (size_t i = 0; i < l->n; i++)
        l->v[i].cb(l->v[i].data, l->v[i].index, API_BATCH_FAILED, NULL);
    api_batch_list_clear(l);
    uv_close((uv_handle_t *)&b->prepare, api_batch_closed);
}

void api_batch_add(struct api_batch *b, char *envelope, size_t len, const char *id,
                   char *dedup_key, api_batch_cb cb, void *data, size_t index)
{
    struct api_batch_list *l = &b->pending;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = mem_realloc(l->v, l->cap * sizeof *l->v);
    }
    struct api_batch_entry *e = &l->v[l->n++];
    *e = (struct api_batch_entry){.envelope = envelope, .len = len, .dedup_key = dedup_key,
                                  .cb = cb, .data = data, .index = index};
    snprintf(e->id, sizeof e->id, "%s", id);
    if (!uv_is_active((uv_handle_t *)&b->prepare))
        uv_prepare_start(&b->prepare, api_batch_flush);
}

struct api_batch *api_batch_of(h2o_req_t *req)
{
    return api_thread_of(req)->batch;
}
