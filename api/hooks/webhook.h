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
 * - the queue at MAX_QUEUE_DEPTH ready jobs (cached, api/limits.h) → 503
 *   queue_full, Retry-After: 30, at once, nothing queued;
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
#include "api/webhook_reason.h"

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
 * A delivery refused after its signature verified (malformed topic, body,
 * missing field): counted under the call's source (its route row) and
 * reason, answered with the JSON error, logged at warn with source and
 * reason (never the body or a secret). Spends no rate token: a verified
 * sender is never limited.
 */
void webhook_reject(struct api_call *call, enum webhook_reason reason, int status,
                    const char *message);
/*
 * A delivery refused before or at verification (no or wrong signature,
 * unknown shop, not configured, unreadable before it could be verified):
 * the same, and it spends one rate token of the sender's address — when
 * the bucket was already empty the answer is 429 rate_limited instead.
 * Verify first, then count: a delivery that verifies is never 429.
 */
void webhook_refuse(struct api_call *call, enum webhook_reason reason, int status,
                    const char *message);

/*
 * The slot (0 new, 1 old) of the secret under which sig is
 * base64(HMAC-SHA256(secret, body)), or -1. Every slot is computed and
 * compared in constant time whatever matched.
 */
int webhook_hmac_slot(const struct api_secrets *secrets, const char *body, size_t len,
                      const char *sig, size_t sig_len);
/* Counts the slot that verified the call's delivery (metrics). */
void webhook_count_match(struct api_call *call, int slot);

/*
 * Answers a verified delivery Sentia does not act on: 200
 * {"status":"ignored","ids":[]}, nothing queued, counted in
 * sentia_webhook_ignored_total{source}.
 */
void webhook_ignore(struct api_call *call, const char *why);

/*
 * NUL bytes (issue 17 §4): one rule for every source — a delivery whose
 * decoded fields, headers kept or JSON strings would carry a NUL is refused
 * 400 invalid_body after verification, before anything is stored (the
 * worker's decoder refuses NUL, so acknowledging it would lose it).
 */
bool webhook_has_nul(const char *p, size_t len);

#endif
