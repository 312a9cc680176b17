/*
 * api/cache.h: a thread's micro-cache of read answers (API_READ_CACHE_MS).
 *
 * A dashboard read's body depends only on its route and parameters, never
 * on who asks (DESIGN.md §8: roles gate routes, not rows), so identical
 * reads within a short time can share one Postgres round trip: a dashboard
 * of many users polling the same pages costs one query per page per TTL
 * per thread. Entries live ttl_ms (a read is at most that stale), the table
 * is small and fixed (API_CACHE_SLOTS, direct-mapped by key hash: a
 * collision replaces), bodies over API_CACHE_BODY_MAX are not kept.
 *
 * One per API thread, used on that thread only (no lock). Ownership: the
 * cache copies keys and bodies; api_cache_get returns borrowed pointers
 * valid until the next put on the thread.
 */
#ifndef SENTIA_API_CACHE_H
#define SENTIA_API_CACHE_H

#include <stddef.h>
#include <stdint.h>

enum {
    API_CACHE_SLOTS = 128,
    API_CACHE_BODY_MAX = 256 * 1024,
};

struct api_cache;

/* A cache whose entries live ttl_ms (0: a cache that keeps nothing). */
struct api_cache *api_cache_create(uint64_t ttl_ms);
void api_cache_free(struct api_cache *c);

/* The body cached under key at now_ms, or NULL; *len and *etag set. */
const char *api_cache_get(struct api_cache *c, const char *key, size_t key_len, uint64_t now_ms,
                          size_t *len, const char **etag);
/* Keeps body (and its ETag, quotes included) under key from now_ms. */
void api_cache_put(struct api_cache *c, const char *key, size_t key_len, const char *body,
                   size_t len, const char *etag, uint64_t now_ms);

#endif
