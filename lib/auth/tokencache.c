/*
 * lib/auth/tokencache.c: verified Clerk tokens until their exp (see
 * tokencache.h).
 */
#include "lib/auth/tokencache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

enum { TOKENCACHE_PROBE = 4 };

struct tokencache_entry {
    struct auth_keyset *set; /* NULL: the slot is free; else one reference */
    int64_t expires_ms;
    bool from_cookie;
    uint8_t digest[CRYPTO_SHA256_LEN];
    struct auth_caller caller;
};

struct auth_tokencache {
    pthread_mutex_t mu;
    int capacity;
    struct tokencache_entry *slots;
};

struct auth_tokencache *auth_tokencache_create(int capacity)
{
    struct auth_tokencache *c = mem_calloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->capacity = capacity > 0 ? capacity : AUTH_TOKENCACHE_DEFAULT;
    c->slots = mem_calloc((size_t)c->capacity, sizeof *c->slots);
    return c;
}

static void tokencache_clear(struct tokencache_entry *e)
{
    auth_keyset_unref(e->set);
    memset(e, 0, sizeof *e);
}

void auth_tokencache_free(struct auth_tokencache *c)
{
    if (c == NULL)
        return;
    for (int i = 0; i < c->capacity; i++)
        tokencache_clear(&c->slots[i]);
    pthread_mutex_destroy(&c->mu);
    free(c->slots);
    free(c);
}

void auth_tokencache_digest(const char *token, size_t len, uint8_t out[CRYPTO_SHA256_LEN])
{
    crypto_sha256(token, len, out);
}

/* The i-th slot of digest's window. */
static struct tokencache_entry *tokencache_slot(struct auth_tokencache *c,
                                                const uint8_t digest[CRYPTO_SHA256_LEN], int i)
{
    uint32_t h = (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 |
                 (uint32_t)digest[2] << 8 | digest[3];
    return &c->slots[(h % (uint32_t)c->capacity + (uint32_t)i) % (uint32_t)c->capacity];
}

static bool tokencache_same(const struct tokencache_entry *e,
                            const uint8_t digest[CRYPTO_SHA256_LEN])
{
    return crypto_equal(e->digest, sizeof e->digest, digest, CRYPTO_SHA256_LEN);
}

bool auth_tokencache_get(struct auth_tokencache *c, const uint8_t digest[CRYPTO_SHA256_LEN],
                         bool from_cookie, const struct auth_keyset *set, int64_t now_ms,
                         struct auth_caller *caller)
{
    bool hit = false;
    if (set == NULL)
        return false;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < TOKENCACHE_PROBE && !hit; i++) {
        const struct tokencache_entry *e = tokencache_slot(c, digest, i);
        hit = e->set == set && e->from_cookie == from_cookie && e->expires_ms > now_ms &&
              tokencache_same(e, digest);
        if (hit)
            *caller = e->caller;
    }
    pthread_mutex_unlock(&c->mu);
    return hit;
}

/* Where a new entry for digest goes (mu held). */
static struct tokencache_entry *tokencache_victim(struct auth_tokencache *c,
                                                  const uint8_t digest[CRYPTO_SHA256_LEN],
                                                  const struct auth_keyset *set, int64_t now_ms)
{
    struct tokencache_entry *best = NULL;
    for (int i = 0; i < TOKENCACHE_PROBE; i++) {
        struct tokencache_entry *e = tokencache_slot(c, digest, i);
        if (e->set == NULL || e->set != set || e->expires_ms <= now_ms || tokencache_same(e, digest))
            return e;
        if (best == NULL || e->expires_ms < best->expires_ms)
            best = e;
    }
    return best;
}

void auth_tokencache_put(struct auth_tokencache *c, const uint8_t digest[CRYPTO_SHA256_LEN],
                         bool from_cookie, struct auth_keyset *set, const struct auth_caller *caller,
                         int64_t now_ms)
{
    int64_t expires_ms = (int64_t)caller->expires_at * 1000;
    if (set == NULL || expires_ms <= now_ms)
        return;
    pthread_mutex_lock(&c->mu);
    struct tokencache_entry *e = tokencache_victim(c, digest, set, now_ms);
    tokencache_clear(e);
    e->set = auth_keyset_ref(set);
    e->expires_ms = expires_ms;
    e->from_cookie = from_cookie;
    memcpy(e->digest, digest, sizeof e->digest);
    e->caller = *caller;
    pthread_mutex_unlock(&c->mu);
}

int auth_tokencache_count(struct auth_tokencache *c, int64_t now_ms)
{
    int n = 0;
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->capacity; i++)
        n += c->slots[i].set != NULL && c->slots[i].expires_ms > now_ms;
    pthread_mutex_unlock(&c->mu);
    return n;
}
