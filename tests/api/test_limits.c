/*
 * tests/api/test_limits.c: the token-bucket rate limiter — burst, refill,
 * Retry-After, independent addresses, slow rates refilling under constant
 * traffic — and the health rules on hand-made snapshots.
 */
#include "api/routes/health.h"
#include "api/limits.h"
#include "api/snapshot.h"
#include "tests/test.h"

TEST(limiter_burst_then_refill)
{
    struct api_limiter *l = api_limiter_create(60, 3); /* 1 token per second */
    int retry = 0;
    for (int i = 0; i < 3; i++)
        CHECK(api_limiter_take(l, "10.0.0.1", 1000, &retry));
    CHECK(!api_limiter_take(l, "10.0.0.1", 1000, &retry));
    CHECK_INT(retry, 1);
    CHECK(api_limiter_take(l, "10.0.0.2", 1000, &retry));
    CHECK(!api_limiter_take(l, "10.0.0.1", 1500, &retry));
    CHECK(api_limiter_take(l, "10.0.0.1", 2000, &retry));
    api_limiter_free(l);
}

TEST(limiter_slow_rate_refills_under_constant_traffic)
{
    struct api_limiter *l = api_limiter_create(1, 1); /* one a minute */
    int retry = 0, allowed = 0;
    for (uint64_t t = 0; t <= 120000; t += 1)
        allowed += api_limiter_take(l, "::1", t, &retry);
    CHECK_INT(allowed, 3); /* t=0, ~60 s, ~120 s */
    api_limiter_free(l);
}

TEST(limiter_many_addresses_bounded)
{
    struct api_limiter *l = api_limiter_create(600, 1);
    int retry;
    char ip[32];
    for (int i = 0; i < 200000; i++) {
        snprintf(ip, sizeof ip, "10.%d.%d.%d", i >> 16 & 255, i >> 8 & 255, i & 255);
        api_limiter_take(l, ip, 5, &retry);
    }
    CHECK(api_limiter_take(l, "192.0.2.1", 5, &retry));
    CHECK(!api_limiter_take(l, "192.0.2.1", 5, &retry));
    api_limiter_free(l);
}

static struct snapshot_queue q_webhooks = {.name = "webhooks", .ok = true};
static struct snapshot_worker w_live = {.id = "w1", .live = true, .queues = "notify:16,webhooks:32",
                                        .postgres = "up"};

TEST(health_rules)
{
    struct snapshot s = {.redis_ok = true, .complete = true, .queues = &q_webhooks,
                         .nqueues = 1, .workers = &w_live, .nworkers = 1};
    json_t *r = json_array();
    q_webhooks.stats.ready = 0;
    CHECK_INT(health_evaluate(&s, 300000, r), HEALTH_HEALTHY);
    q_webhooks.stats.ready = 5;
    q_webhooks.stats.oldest_age_ms = 1000;
    CHECK_INT(health_evaluate(&s, 300000, r), HEALTH_HEALTHY);
    q_webhooks.stats.oldest_age_ms = 400000;
    CHECK_INT(health_evaluate(&s, 300000, r), HEALTH_DEGRADED);
    q_webhooks.stats.oldest_age_ms = 0;
    s.nworkers = 0;
    CHECK_INT(health_evaluate(&s, 300000, r), HEALTH_DEGRADED);
    s.nworkers = 1;
    w_live.postgres = "down";
    CHECK_INT(health_evaluate(&s, 300000, r), HEALTH_DEGRADED);
    w_live.postgres = NULL;
    CHECK_INT(health_evaluate(&s, 300000, r), HEALTH_HEALTHY);
    s.redis_ok = false;
    CHECK_INT(health_evaluate(&s, 300000, r), HEALTH_UNHEALTHY);
    json_decref(r);
}

TEST(health_worker_queue_lists)
{
    struct snapshot_worker w = {.id = "w", .live = true, .queues = "webhooks2:1,notify"};
    CHECK(!health_worker_serves(&w, "webhooks"));
    CHECK(health_worker_serves(&w, "notify"));
    CHECK(health_worker_serves(&w, "webhooks2"));
    w.live = false;
    CHECK(!health_worker_serves(&w, "notify"));
}
