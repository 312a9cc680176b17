/*
 * tests/api/test_cache.c: the read micro-cache (api/cache.c): a fresh entry
 * answers; an expired one makes the first caller its refresher while the
 * others keep the expired body, until the refresher puts (new body) or drops
 * (a failure: the next caller refreshes), or API_CACHE_REFRESH_MS passes;
 * a cache of ttl 0 keeps nothing.
 */
#include <string.h>

#include "api/cache.h"
#include "tests/test.h"

#define KEY "/api/v1/orders\x1f" "50"

static const char *get(struct api_cache *c, uint64_t now)
{
    size_t len = 0;
    const char *etag = NULL;
    return api_cache_get(c, KEY, strlen(KEY), now, &len, &etag);
}

static void put(struct api_cache *c, const char *body, uint64_t now)
{
    api_cache_put(c, KEY, strlen(KEY), body, strlen(body), "\"e\"", now);
}

TEST(fresh_entry_answers)
{
    struct api_cache *c = api_cache_create(1000);
    const char *before = get(c, 0);
    put(c, "{\"a\":1}", 0);
    const char *hit = get(c, 999);
    bool same = hit != NULL && strcmp(hit, "{\"a\":1}") == 0;
    api_cache_free(c);
    CHECK(before == NULL);
    CHECK(same);
}

TEST(one_refresher_others_keep_the_expired_body)
{
    struct api_cache *c = api_cache_create(1000);
    put(c, "old", 0);
    const char *refresher = get(c, 1000);     /* expired: this caller refreshes */
    const char *other = get(c, 1001);         /* refresh running: the old body */
    bool other_old = other != NULL && strcmp(other, "old") == 0;
    put(c, "new", 1050);
    const char *after = get(c, 1060);
    bool after_new = after != NULL && strcmp(after, "new") == 0;
    api_cache_free(c);
    CHECK(refresher == NULL);
    CHECK(other_old);
    CHECK(after_new);
}

TEST(dropped_or_stuck_refresh_lets_the_next_caller_refresh)
{
    struct api_cache *c = api_cache_create(1000);
    put(c, "old", 0);
    const char *r1 = get(c, 1000);
    api_cache_drop(c, KEY, strlen(KEY)); /* the refresh failed */
    const char *r2 = get(c, 1001);       /* nothing cached: a miss */
    put(c, "old", 2000);
    const char *r3 = get(c, 3000);        /* expired: refresher, which never answers */
    const char *during = get(c, 3000 + API_CACHE_REFRESH_MS - 1);
    const char *r4 = get(c, 3000 + API_CACHE_REFRESH_MS); /* the window passed */
    api_cache_free(c);
    CHECK(r1 == NULL && r2 == NULL && r3 == NULL && r4 == NULL);
    CHECK(during != NULL);
}

TEST(ttl_zero_keeps_nothing)
{
    struct api_cache *c = api_cache_create(0);
    put(c, "x", 0);
    const char *hit = get(c, 0);
    api_cache_free(c);
    CHECK(hit == NULL);
}
