/*
 * api/batch.h: group commit of a thread's webhook enqueues (issue 15).
 *
 * Every job a verified webhook hands to api_batch_add() during one turn of
 * the thread's loop goes to Redis in one enqueue_many script call
 * (queue/queue.h: per-job dedup results, all or nothing per call), sent
 * from a uv_prepare hook, i.e. at the end of the turn, before the loop next
 * waits for I/O. A lone request therefore waits for no company and no
 * timer: it is sent in the turn it arrived in. At most API_BATCH_MAX jobs go
 * in one call; a turn with more sends several calls.
 *
 * Each job's callback runs exactly once, never from inside api_batch_add():
 * STORED or DUPLICATE (with the first job's id) once Redis confirmed it,
 * FAILED when its call failed (Redis down, error reply, deadline of the
 * client, malformed reply) — a failed call stored none of its jobs.
 *
 * Ownership: the thread creates the batch after its Redis client and closes
 * it after the client closed (no request is left by then: jobs still
 * waiting are failed, never sent). Use on the owning thread only.
 */
#ifndef SENTIA_API_BATCH_H
#define SENTIA_API_BATCH_H

#include <h2o.h>
#include <stddef.h>
#include <uv.h>

struct api_batch;
struct redis_client;

enum {
    API_BATCH_MAX = 256, /* jobs per script call */
};

enum api_batch_result {
    API_BATCH_STORED,
    API_BATCH_DUPLICATE,
    API_BATCH_FAILED,
};

/* first_id: the first job's id for DUPLICATE (may be ""), else NULL. */
typedef void (*api_batch_cb)(void *data, size_t index, enum api_batch_result result,
                             const char *first_id);

/* A batch for jobs on `queue` under `prefix` (both borrowed, outliving it). */
struct api_batch *api_batch_create(uv_loop_t *loop, struct redis_client *redis,
                                   const char *prefix, const char *queue);
/* Fails jobs still waiting, closes the hook; freed when the loop closed it.
 * NULL is ignored. */
void api_batch_close(struct api_batch *b);

/*
 * Queues one job for this turn's call: takes ownership of `envelope` and
 * `dedup_key` (malloc'd; dedup_key may be NULL), copies `id`. cb(data,
 * index, …) is called once, later.
 */
void api_batch_add(struct api_batch *b, char *envelope, size_t len, const char *id,
                   char *dedup_key, api_batch_cb cb, void *data, size_t index);

/* The batch of the request's thread. */
struct api_batch *api_batch_of(h2o_req_t *req);

#endif
