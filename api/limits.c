/*
 * api/limits.c: sharded token buckets (see limits.h).
 *
 * Tokens are kept in millitokens so refills need no floating point: over
 * elapsed_ms a bucket gains elapsed_ms * per_minute / 60 millitokens
 * (per_minute tokens per 60 000 ms), capped at burst * 1000.
 */
#include "api/limits.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

struct api_bucket {
    char key[API_LIMITER_KEY_MAX];
    uint64_t tokens_milli;
    uint64_t updated_ms;
    bool used;
};

struct api_shard {
    pthread_mutex_t lock;
    struct api_bucket slots[API_LIMITER_SLOTS];
};

struct api_limiter {
    uint64_t per_minute;
    uint64_t burst_milli;
    struct api_shard shards[API_LIMITER_SHARDS];
};

/* FNV-1a: cheap, and the key set is not attacker-chosen beyond addresses. */
static uint64_t api_limiter_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

struct api_limiter *api_limiter_create(int per_minute, int burst)
{
    struct api_limiter *l = mem_calloc(1, sizeof *l);
    l->per_minute = (uint64_t)per_minute;
    l->burst_milli = (uint64_t)(burst > 0 ? burst : 1) * 1000u;
    for (size_t i = 0; i < API_LIMITER_SHARDS; i++)
        pthread_mutex_init(&l->shards[i].lock, NULL);
    return l;
}

void api_limiter_free(struct api_limiter *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < API_LIMITER_SHARDS; i++)
        pthread_mutex_destroy(&l->shards[i].lock);
    free(l);
}

/* The bucket of key in shard sh: found, a free slot, or the stalest one. */
static struct api_bucket *api_limiter_slot(struct api_limiter *l, struct api_shard *sh,
                                           const char *key, uint64_t h, uint64_t now_ms)
{
    struct api_bucket *victim = NULL;
    for (size_t i = 0; i < API_LIMITER_PROBE; i++) {
        struct api_bucket *b = &sh->slots[(h + i) % API_LIMITER_SLOTS];
        if (b->used && strcmp(b->key, key) == 0)
            return b;
        if (!b->used) {
            if (victim == NULL || victim->used)
                victim = b;
        } else if (victim == NULL || (victim->used && b->updated_ms < victim->updated_ms)) {
            victim = b;
        }
    }
    snprintf(victim->key, sizeof victim->key, "%s", key);
    victim->used = true;
    victim->tokens_milli = l->burst_milli;
    victim->updated_ms = now_ms;
    return victim;
}

/*
 * Refills key's bucket up to now_ms and, when `spend`, takes one token.
 * Returns true when a token was (or would be) available; otherwise false
 * and *retry_after_s, the whole seconds until one is back (at least 1).
 */
static bool api_limiter_use(struct api_limiter *l, const char *key, uint64_t now_ms,
                            bool spend, int *retry_after_s)
{
    uint64_t h = api_limiter_hash(key);
    struct api_shard *sh = &l->shards[h % API_LIMITER_SHARDS];
    bool ok;
    pthread_mutex_lock(&sh->lock);
    struct api_bucket *b = api_limiter_slot(l, sh, key, h / API_LIMITER_SHARDS, now_ms);
    if (now_ms > b->updated_ms) {
        /* Advance the clock only by the time converted into tokens, so slow
         * rates refill even when requests come every millisecond. */
        uint64_t gain = (now_ms - b->updated_ms) * l->per_minute / 60u;
        if (b->tokens_milli + gain >= l->burst_milli) {
            b->tokens_milli = l->burst_milli;
            b->updated_ms = now_ms;
        } else if (gain > 0) {
            b->tokens_milli += gain;
            b->updated_ms += gain * 60u / l->per_minute;
        }
    }
    ok = b->tokens_milli >= 1000u;
    if (ok && spend) {
        b->tokens_milli -= 1000u;
    } else if (!ok) {
        /* ms until 1000 millitokens: missing * 60 / per_minute, rounded up. */
        uint64_t missing = 1000u - b->tokens_milli;
        uint64_t wait_ms = (missing * 60u + l->per_minute - 1) / l->per_minute;
        *retry_after_s = (int)((wait_ms + 999u) / 1000u);
        if (*retry_after_s < 1)
            *retry_after_s = 1;
    }
    pthread_mutex_unlock(&sh->lock);
    return ok;
}

bool api_limiter_take(struct api_limiter *l, const char *key, uint64_t now_ms,
                      int *retry_after_s)
{
    return api_limiter_use(l, key, now_ms, true, retry_after_s);
}

bool api_limiter_peek(struct api_limiter *l, const char *key, uint64_t now_ms,
                      int *retry_after_s)
{
    return api_limiter_use(l, key, now_ms, false, retry_after_s);
}
