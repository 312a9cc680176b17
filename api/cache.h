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
 * One refresh at a time: when an entry has expired, the first get misses
 * and marks the entry as being refreshed by that caller, who must then put
 * (an answer) or drop (a failure); until then — at most
 * API_CACHE_REFRESH_MS — other gets keep answering the expired body instead
 * of each sending the same statement to Postgres. Without that, every
 * request arriving while the first refresh runs would queue one more
 * identical statement on the thread's two connections each second
 * (docs/PERFORMANCE.md, dashboard reads). A body is therefore at most
 * ttl_ms + API_CACHE_REFRESH_MS old, and only while its refresh runs.
 *
 * One per API thread, used on that thread only (no lock). Ownership: the
 * cache copies keys and bodies; api_cache_get returns borrowed pointers
 * valid until the next put or drop on the thread — or, for the body, as
 * long as a request pool holds it through api_cache_link: bodies are h2o
 * shared memory (reference-counted, not atomically: one thread), so a hit
 * is sent without copying it (docs/PERFORMANCE.md, dashboard reads).
 */
#ifndef SENTIA_API_CACHE_H
#define SENTIA_API_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <h2o/memory.h>

enum {
    API_CACHE_SLOTS = 128,
    API_CACHE_BODY_MAX = 256 * 1024,
    API_CACHE_REFRESH_MS = 3000, /* an expired body answers while its refresh runs, ≤ this */
};

struct api_cache;

/* A cache whose entries live ttl_ms (0: a cache that keeps nothing). */
struct api_cache *api_cache_create(uint64_t ttl_ms);
void api_cache_free(struct api_cache *c);

/*
 * The body cached under key at now_ms, or NULL; *len and *etag set. NULL
 * for an expired entry makes the caller its refresher (see above).
 */
const char *api_cache_get(struct api_cache *c, const char *key, size_t key_len, uint64_t now_ms,
                          size_t *len, const char **etag);
/* Keeps body (and its ETag, quotes included) under key from now_ms. */
void api_cache_put(struct api_cache *c, const char *key, size_t key_len, const char *body,
                   size_t len, const char *etag, uint64_t now_ms);
/* Keeps a body api_cache_get returned alive until `pool` is cleared. */
void api_cache_link(h2o_mem_pool_t *pool, const char *body);
/* Forgets key (its refresh failed: the next get misses and tries again). */
void api_cache_drop(struct api_cache *c, const char *key, size_t key_len);

#endif
