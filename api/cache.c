/*
 * api/cache.c: the read micro-cache (see cache.h).
 */
#include "api/cache.h"

#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

struct api_cache_slot {
    char *key;
    size_t key_len;
    char *body;
    size_t len;
    char etag[40];
    uint64_t expires_ms;
    uint64_t refresh_until_ms; /* > now: a refresh runs; the expired body still answers */
};

struct api_cache {
    uint64_t ttl_ms;
    struct api_cache_slot slots[API_CACHE_SLOTS];
};

/* FNV-1a: keys are ours (route and parameters), not an attacker's choice of bucket. */
static size_t api_cache_slot_of(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
    return (size_t)(h % API_CACHE_SLOTS);
}

struct api_cache *api_cache_create(uint64_t ttl_ms)
{
    struct api_cache *c = mem_calloc(1, sizeof *c);
    c->ttl_ms = ttl_ms;
    return c;
}

static void api_cache_clear(struct api_cache_slot *s)
{
    free(s->key);
    if (s->body != NULL)
        h2o_mem_release_shared(s->body);
    memset(s, 0, sizeof *s);
}

void api_cache_free(struct api_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < API_CACHE_SLOTS; i++)
        api_cache_clear(&c->slots[i]);
    free(c);
}

/* The slot holding key, or NULL. */
static struct api_cache_slot *api_cache_find(struct api_cache *c, const char *key, size_t key_len)
{
    struct api_cache_slot *s = &c->slots[api_cache_slot_of(key, key_len)];
    if (s->key == NULL || s->key_len != key_len || memcmp(s->key, key, key_len) != 0)
        return NULL;
    return s;
}

const char *api_cache_get(struct api_cache *c, const char *key, size_t key_len, uint64_t now_ms,
                          size_t *len, const char **etag)
{
    struct api_cache_slot *s = api_cache_find(c, key, key_len);
    if (s == NULL)
        return NULL;
    if (s->expires_ms <= now_ms && s->refresh_until_ms <= now_ms) {
        s->refresh_until_ms = now_ms + API_CACHE_REFRESH_MS; /* the caller refreshes */
        return NULL;
    }
    *len = s->len;
    *etag = s->etag;
    return s->body;
}

void api_cache_drop(struct api_cache *c, const char *key, size_t key_len)
{
    struct api_cache_slot *s = api_cache_find(c, key, key_len);
    if (s != NULL)
        api_cache_clear(s);
}

void api_cache_put(struct api_cache *c, const char *key, size_t key_len, const char *body,
                   size_t len, const char *etag, uint64_t now_ms)
{
    if (c->ttl_ms == 0 || len > API_CACHE_BODY_MAX || strlen(etag) >= sizeof c->slots[0].etag) {
        api_cache_drop(c, key, key_len);
        return;
    }
    struct api_cache_slot *s = &c->slots[api_cache_slot_of(key, key_len)];
    api_cache_clear(s);
    s->key = mem_strndup(key, key_len);
    s->key_len = key_len;
    s->body = h2o_mem_alloc_shared(NULL, len + 1, NULL);
    memcpy(s->body, body, len);
    s->body[len] = '\0';
    s->len = len;
    strcpy(s->etag, etag);
    s->expires_ms = now_ms + c->ttl_ms;
}

void api_cache_link(h2o_mem_pool_t *pool, const char *body)
{
    h2o_mem_link_shared(pool, (void *)body);
}
