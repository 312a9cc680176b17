/*
 * api/webhook.h: the path every webhook shares once its source verified it:
 * dedup → enqueue → answer (DESIGN.md §1, §3).
 *
 * webhook_submit() turns 1..n jobs into envelopes on queue `webhooks`, runs
 * one enqueue script per job (SET dedup NX + LPUSH, atomically) on the
 * thread's Redis connection, and answers when every reply is in:
 * - all enqueued or duplicates → 200 (the source's reply kind); when every
 *   job was a duplicate, with X-Sentia-Duplicate: 1;
 * - Redis not connected → 503 redis_unavailable, Retry-After: 5, at once;
 * - any enqueue failed → 503 redis_error, Retry-After: 5;
 * - no complete answer within REDIS_TIMEOUT_MS → 503 redis_timeout,
 *   Retry-After: 1 (the jobs may still land; the sender's retry is then a
 *   duplicate, answered 200).
 * 200 is never sent before queue_parse_enqueue() confirmed every job.
 *
 * The wait record (struct api_pending inside) survives the request: an
 * HTTP/2 reset only clears its request pointer, and it is freed after the
 * last Redis callback.
 */
#ifndef SENTIA_API_WEBHOOK_H
#define SENTIA_API_WEBHOOK_H

#include <h2o.h>
#include <jansson.h>
#include <stddef.h>

#include "api/metrics.h"

#define WEBHOOK_QUEUE "webhooks"

enum {
    WEBHOOK_JOBS_MAX = 1000, /* jobs per delivery (Xero batches events) */
};

/* How a source wants its 200 to look. */
enum webhook_reply {
    WEBHOOK_REPLY_TWIML, /* text/xml empty TwiML: Twilio reads the body */
    WEBHOOK_REPLY_JSON,  /* {"status":"queued"|"duplicate","ids":[…]} */
    WEBHOOK_REPLY_EMPTY, /* no body: Xero's contract */
};

struct webhook_job {
    char *type;      /* owned */
    char *dedup_key; /* owned */
    json_t *payload; /* one reference, owned */
};

struct api_thread;

/*
 * Enqueues jobs[0..n) and answers req as described above. Takes ownership
 * of every job's members (freed whatever happens); jobs itself stays the
 * caller's.
 */
void webhook_submit(h2o_req_t *req, struct api_thread *t, struct webhook_job *jobs,
                    size_t n, enum webhook_reply reply);

/* Frees a job's members (for callers that give up before submitting). */
void webhook_job_dispose(struct webhook_job *job);

/*
 * Counts a refused delivery and answers it with the JSON error; logs the
 * source and reason (never the body or a secret) at warn.
 */
void webhook_reject(h2o_req_t *req, enum metrics_source src,
                    enum metrics_reason reason, int status, const char *message);

#endif
