/*
 * queue/job.h: the job envelope (DESIGN.md §3).
 *
 * An envelope is one JSON object and is itself the Redis list element, so
 * ack and fail remove it by its exact bytes (LREM). Envelopes are never
 * changed in place: a retry, a dead letter or a revival is a new envelope
 * written by the same script that removes the old one.
 *
 *   {"id","type","queue","attempt","max_attempts","created_ms","dedup_key",
 *    "request_id","payload":{…}} + "track":true right after "id" when a
 *    command's job is followed by a tracking record (queue/track.h), + "last_error","failed_ms" once failed,
 *    + "run_at_ms" when delayed, + "backoff_ms","backoff_cap_ms" when the
 *    job overrides the retry policy, + "timeout_ms" when the job overrides
 *    its handler's run timeout.
 *
 * `attempt` counts the failures so far (0 on the first run); a job runs at
 * most `max_attempts` times before it is dead.
 *
 * struct job is a visible value: fields are read freely, written only before
 * the job is encoded. Ownership: a job owns its strings and one reference to
 * `payload`; job_free() releases all. Decoded jobs also keep the exact bytes
 * they were decoded from in `raw`.
 */
#ifndef SENTIA_QUEUE_JOB_H
#define SENTIA_QUEUE_JOB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/crypto.h"

enum {
    JOB_DEFAULT_MAX_ATTEMPTS = 20,
    JOB_MAX_ATTEMPTS_LIMIT = 1000,
    JOB_DEFAULT_BACKOFF_MS = 1000,         /* first retry after ~1 s */
    JOB_DEFAULT_BACKOFF_CAP_MS = 3600000,  /* never wait more than 1 h */
    JOB_TYPE_MAX = 128,
    JOB_ID_MAX = 64,
    JOB_KEY_MAX = 512,     /* idempotency keys, request ids */
    JOB_ERROR_MAX = 2048,  /* last_error is cut to this many bytes */
    JOB_ENVELOPE_MAX = 16 * 1024 * 1024, /* larger envelopes are refused */
    JOB_TIMEOUT_LIMIT_MS = 24 * 3600 * 1000, /* no run may be allowed a day */
};

struct job {
    char id[JOB_ID_MAX + 1];
    char *type;
    char *queue;
    int attempt;
    int max_attempts;
    int64_t created_ms;
    int64_t run_at_ms;       /* 0 unless delayed or retried */
    int64_t failed_ms;       /* 0 unless it failed before */
    int64_t backoff_ms;      /* 0 = JOB_DEFAULT_BACKOFF_MS */
    int64_t backoff_cap_ms;  /* 0 = JOB_DEFAULT_BACKOFF_CAP_MS */
    int64_t timeout_ms;      /* 0 = the handler's timeout */
    char *dedup_key;         /* NULL if none */
    char *request_id;        /* NULL if none */
    char *last_error;        /* NULL if never failed */
    json_t *payload;         /* never NULL */
    bool track;              /* a tracking record follows it (queue/track.h) */
    char *raw;               /* decoded jobs: the envelope's exact bytes */
    size_t raw_len;
};

/*
 * A new job with a fresh random id, created now, attempt 0 and the default
 * policy. Takes over the caller's reference to payload (NULL → {}).
 */
struct job *job_create(const char *queue, const char *type, json_t *payload);
void job_free(struct job *job);

/*
 * The envelope text (NUL-terminated, caller frees); *len without the NUL.
 * It always begins '{"id":"<id>",' (queue/lua/find.lua relies on it).
 */
char *job_encode(const struct job *job, size_t *len);

/*
 * Parses and validates an envelope. Returns 0 and a job that owns a copy of
 * the bytes, or -1 and *why (static text) for anything malformed.
 */
int job_decode(const char *raw, size_t len, struct job **out, const char **why);

/*
 * The delay before the next attempt after `job` failed: base·2^attempt,
 * capped, with "equal jitter" (half fixed, half random) so a burst of
 * failures does not retry in lock-step. `rnd` is a uniform random number.
 */
int64_t job_backoff_ms(const struct job *job, uint32_t rnd);

/*
 * The envelope that replaces a failed job: last_error (cut to
 * JOB_ERROR_MAX), failed_ms = now, run_at_ms = due, and attempt + 1 unless
 * `spend_attempt` is false. Caller frees.
 */
char *job_encode_failed(const struct job *job, const char *error, int64_t now_ms,
                        int64_t due_ms, bool spend_attempt, size_t *len);

/* The envelope of a dead job sent back to ready: attempt 0, history kept. */
char *job_encode_revived(const struct job *job, size_t *len);

/*
 * True when envelope bytes carry the tracking flag where job_encode puts it
 * (right after the id): a few bytes compared, no parsing, so untracked jobs
 * cost nothing on the hot path.
 */
bool job_envelope_tracked(const char *raw, size_t len);

#endif
