/*
 * tests/queue/test_enqueue_many.c: the group-commit enqueue
 * (queue_op_enqueue_many, queue/lua/enqueue_many.lua) against the test
 * Redis: order kept, per-job dedup results (also within one call), the
 * counters moved once per call, and a failing call that leaves nothing
 * written. Skipped without SENTIA_TEST_REDIS_PORT; every case has its own
 * prefix.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/crypto.h"
#include "queue/queue.h"
#include "tests/test.h"

static char prefix[64];

/* A connection and a fresh prefix, or NULL (case skipped). */
static struct redis_sync *open_redis(void)
{
    const char *url = test_redis_url(0);
    struct redis_sync *r = NULL;
    char id[33], *err = NULL;
    if (url == NULL) {
        fprintf(stderr, "skip: SENTIA_TEST_REDIS_PORT not set\n");
        return NULL;
    }
    if (redis_sync_connect(url, 2000, &r, &err) != 0)
        abort();
    crypto_random_id(id);
    snprintf(prefix, sizeof prefix, "tm%.12s", id);
    return r;
}

static redisReply *enqueue(struct redis_sync *r, const struct queue_many_job *jobs, size_t n)
{
    struct queue_op op;
    queue_op_enqueue_many(&op, prefix, "q1", jobs, n, 60);
    redisReply *rep = queue_op_run_sync(r, &op);
    queue_op_dispose(&op);
    return rep;
}

static long long integer(struct redis_sync *r, const char *fmt, const char *part)
{
    redisReply *rep = redis_sync_commandf(r, fmt, prefix, part);
    long long v = -1;
    if (rep && rep->type == REDIS_REPLY_INTEGER)
        v = rep->integer;
    else if (rep && rep->type == REDIS_REPLY_STRING)
        v = atoll(rep->str);
    freeReplyObject(rep);
    return v;
}

TEST(many_keeps_order_and_dedups_within_the_call)
{
    struct redis_sync *r = open_redis();
    if (r == NULL)
        return;
    struct queue_many_job jobs[] = {
        {"e1", 2, "id1", "k1"}, {"e2", 2, "id2", NULL}, {"e3", 2, "id3", "k1"},
        {"e4", 2, "id4", "k4"},
    };
    redisReply *rep = enqueue(r, jobs, 4);
    bool dup = true;
    char id[64];
    CHECK(queue_parse_enqueue_many(rep, 4, 0, &dup, id, sizeof id) == 0 && !dup);
    CHECK(queue_parse_enqueue_many(rep, 4, 1, &dup, id, sizeof id) == 0 && !dup);
    CHECK(queue_parse_enqueue_many(rep, 4, 2, &dup, id, sizeof id) == 0 && dup);
    CHECK_STR(id, "id1");
    CHECK(queue_parse_enqueue_many(rep, 4, 3, &dup, id, sizeof id) == 0 && !dup);
    CHECK(queue_parse_enqueue_many(rep, 3, 0, &dup, id, sizeof id) == -1);
    freeReplyObject(rep);
    CHECK_INT(integer(r, "LLEN %s:{q1}:%s", "ready"), 3);
    rep = redis_sync_commandf(r, "RPOP %s:{q1}:ready", prefix); /* oldest first */
    CHECK(rep && rep->type == REDIS_REPLY_STRING);
    CHECK_STR(rep->str, "e1");
    freeReplyObject(rep);
    CHECK_INT(integer(r, "HGET %s:{q1}:stats %s", "enqueued"), 3);
    CHECK_INT(integer(r, "HGET %s:{q1}:stats %s", "deduped"), 1);
    CHECK_INT(integer(r, "TTL %s:{q1}:dedup:%s", "k4") > 0, 1);
    /* A later call sees the first job's id. */
    rep = enqueue(r, &jobs[3], 1);
    CHECK(queue_parse_enqueue_many(rep, 1, 0, &dup, id, sizeof id) == 0 && dup);
    CHECK_STR(id, "id4");
    freeReplyObject(rep);
    redis_sync_free(r);
}

TEST(many_failing_halfway_writes_nothing)
{
    struct redis_sync *r = open_redis();
    if (r == NULL)
        return;
    /* The third job's dedup key holds a hash: its GET fails (WRONGTYPE). */
    freeReplyObject(redis_sync_commandf(r, "HSET %s:{q1}:dedup:bad f v", prefix));
    struct queue_many_job jobs[] = {
        {"e1", 2, "id1", "k1"}, {"e2", 2, "id2", NULL}, {"e3", 2, "id3", "bad"},
    };
    redisReply *rep = enqueue(r, jobs, 3);
    CHECK(rep != NULL && rep->type == REDIS_REPLY_ERROR);
    bool dup;
    CHECK(queue_parse_enqueue_many(rep, 3, 0, &dup, NULL, 0) == -1);
    freeReplyObject(rep);
    CHECK_INT(integer(r, "LLEN %s:{q1}:%s", "ready"), 0);
    CHECK_INT(integer(r, "EXISTS %s:{q1}:dedup:%s", "k1"), 0);
    CHECK_INT(integer(r, "EXISTS %s:{q1}:%s", "stats"), 0);
    redis_sync_free(r);
}
