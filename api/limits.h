/*
 * api/limits.h: the per-IP rate limit (RATE_LIMIT_PER_IP requests per
 * minute, bursts up to RATE_LIMIT_BURST), one token bucket per client
 * address, shared by all threads.
 *
 * With SO_REUSEPORT one client's connections land on several threads, so the
 * buckets are shared, split over API_LIMITER_SHARDS shards each with its own
 * mutex and fixed table: two requests contend only when their addresses hash
 * to the same shard at the same instant.
 *
 * Webhook routes spend tokens only on failed verifications, and are not
 * checked before them: the hook's refusal takes the token and answers 429
 * when none was left (webhook_refuse, api/hooks/webhook.h) — verify first,
 * then count. Metrics routes spend tokens only on refused credentials
 * (api_ctx_rate_penalize, api/ctx.h): a
 * provider's verified deliveries are never refused — Twilio does not retry
 * a 429, so limiting it would lose messages — nor is a scraper holding the
 * token, while an address sending bad signatures or guessing tokens is cut
 * off once its bucket is empty.
 *
 * Memory is bounded (API_LIMITER_SHARDS × API_LIMITER_SLOTS buckets). When a
 * shard's probe window is full the least recently seen bucket is recycled:
 * under an address-spraying flood the limiter fails open for the recycled
 * addresses rather than growing without limit.
 *
 * Ownership: api_limiter_create() returns a limiter freed by
 * api_limiter_free(); it copies nothing it is given.
 */
#ifndef SENTIA_API_LIMITS_H
#define SENTIA_API_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

enum {
    API_LIMITER_SHARDS = 64,
    API_LIMITER_SLOTS = 1024, /* per shard: 65 536 addresses tracked */
    API_LIMITER_PROBE = 8,    /* slots examined per look-up */
    API_LIMITER_KEY_MAX = 48, /* INET6_ADDRSTRLEN (46) fits */
};

struct api_limiter;

/*
 * The queue-depth guard (MAX_QUEUE_DEPTH, issue 17 §3): each thread caches
 * the length of the webhook queue's ready list and refreshes it with one
 * LLEN at most every API_DEPTH_REFRESH_MS, sent alongside a delivery and
 * never waited for. A delivery is refused (503, Retry-After) while the
 * cached depth is at or above the bound: no extra round trip per request,
 * at the price of overshooting the bound by what the threads enqueue
 * within one refresh period.
 */
enum { API_DEPTH_REFRESH_MS = 250 };

struct api_queue_depth {
    long long ready;     /* last LLEN answer; 0 until one came */
    uint64_t checked_ms; /* monotonic time of the last LLEN sent */
    bool refreshing;     /* an LLEN is in flight */
};

/* per_minute > 0 tokens refill per minute; burst is the bucket size. */
struct api_limiter *api_limiter_create(int per_minute, int burst);
void api_limiter_free(struct api_limiter *l);

/*
 * Takes one token for `key` at now_ms (monotonic). Returns true when
 * allowed; otherwise false and *retry_after_s, the whole seconds until a
 * token is back (at least 1).
 */
bool api_limiter_take(struct api_limiter *l, const char *key, uint64_t now_ms,
                      int *retry_after_s);
/* Like api_limiter_take but spends nothing: is a token available now? */
bool api_limiter_peek(struct api_limiter *l, const char *key, uint64_t now_ms,
                      int *retry_after_s);

#endif
