/*
 * worker/kit/synclock.h: the fenced lock on Redis (worker/kit/lua/synclock.lua)
 * that keeps one holder at a time — one sync of a (source, resource), one
 * token refresh of a Xero tenant — across every worker. Taking it hands out
 * a fence strictly greater than any before it; the holder passes the fence
 * to Postgres so a stale holder's writes are refused there.
 *
 * One struct synclock per holder (embedded in the family's state); every
 * Redis call goes through the holder's job run, so it is cancelled with it.
 * synclock_release is fire-and-forget and a no-op when not held.
 */
#ifndef SENTIA_WORKER_KIT_SYNCLOCK_H
#define SENTIA_WORKER_KIT_SYNCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "worker/core/handler.h"

enum {
    SYNCLOCK_KEY_MAX = 256,
    SYNCLOCK_HOLDER_MAX = 200, /* "<worker id>/<job id>" */
    SYNCLOCK_FENCE_MAX = 31,
};

struct synclock {
    char key[SYNCLOCK_KEY_MAX];       /* the lock */
    char fence_key[SYNCLOCK_KEY_MAX]; /* its fence counter */
    char holder[SYNCLOCK_HOLDER_MAX];
    char fence[SYNCLOCK_FENCE_MAX + 1]; /* while held */
    bool locked;
};

/* Names the lock "<prefix>:<name>:{<scope>}" and its fence counter
 * "<prefix>:<fence_name>:{<scope>}"; the holder is "<worker id>/<job id>". */
void synclock_init(struct synclock *l, struct job_run *run, const char *name,
                   const char *fence_name, const char *scope);

/* Sends "acquire" for ttl_ms; cb gets the reply for synclock_acquired. */
void synclock_acquire(struct job_run *run, struct synclock *l, int64_t ttl_ms,
                      job_redis_cb cb, void *data);
/*
 * Reads an acquire reply: 1 when taken (fence kept, l->locked), 0 when
 * another holds it (*wait_ms = what is left of its lease, 1000 when Redis
 * did not say), -1 when Redis failed or answered something else.
 */
int synclock_acquired(struct synclock *l, const redisReply *r, const char *error,
                      int64_t *wait_ms);

/* Sends "refresh" for ttl_ms; cb gets the reply for synclock_refreshed. */
void synclock_refresh(struct job_run *run, struct synclock *l, int64_t ttl_ms,
                      job_redis_cb cb, void *data);
/* False only when Redis said the lock is lost (then l->locked is false);
 * a Redis error counts as still held: the fence protects the writes. */
bool synclock_refreshed(struct synclock *l, const redisReply *r, const char *error);

/* Sends "release" when held (no reply awaited). */
void synclock_release(struct job_run *run, struct synclock *l);

#endif
