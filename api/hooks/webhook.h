/*
 * api/hooks/webhook.h: the path every webhook shares once its source verified it:
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

#include <jansson.h>
#include <stddef.h>

#include "api/ctx.h"

#define WEBHOOK_QUEUE "webhooks"

enum {
    WEBHOOK_JOBS_MAX = 1000, /* jobs per delivery (Xero batches events) */
};

/* Why a delivery was refused: the `reason` label of the rejection counter. */
enum webhook_reason {
    WEBHOOK_REASON_MISSING_SIGNATURE,
    WEBHOOK_REASON_INVALID_SIGNATURE,
    WEBHOOK_REASON_NOT_CONFIGURED,
    WEBHOOK_REASON_UNSUPPORTED_MEDIA_TYPE,
    WEBHOOK_REASON_INVALID_BODY,
    WEBHOOK_REASON_MISSING_FIELD,
    WEBHOOK_REASON_INVALID_TOPIC,
    WEBHOOK_REASON_COUNT,
};

/* The reasons' names, also the JSON error codes of the refusals. */
extern const char *const webhook_reason_names[WEBHOOK_REASON_COUNT];

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

/*
 * Enqueues jobs[0..n) on the request's thread and answers the call as
 * described above. Takes ownership of every job's members (freed whatever
 * happens); jobs itself stays the caller's.
 */
void webhook_submit(struct api_call *call, struct webhook_job *jobs, size_t n,
                    enum webhook_reply reply);

/* Frees a job's members (for callers that give up before submitting). */
void webhook_job_dispose(struct webhook_job *job);

/*
 * Counts a refused delivery under the call's source (its route row) and
 * answers it with the JSON error; spends a rate token of the sender's
 * address; logs the source and reason (never the body or a secret) at warn.
 */
void webhook_reject(struct api_call *call, enum webhook_reason reason, int status,
                    const char *message);

#endif
