/*
 * tests/queue/test_inspect.c: the operator side of the queue library
 * (queue/inspect.h, throughput.h, track.h) against the test Redis: listing
 * windows by state with search and type filter, find by id, delete one,
 * the confirm-guarded bulk dead commands, the per-minute throughput
 * counters kept by ack and fail, and command-job tracking records.
 * Skipped without SENTIA_TEST_REDIS_PORT. Every case uses its own prefix.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/clock.h"
#include "lib/mem.h"
#include "queue/inspect.h"
#include "queue/job.h"
#include "queue/queue.h"
#include "queue/throughput.h"
#include "queue/track.h"
#include "tests/test.h"

static char prefix[64];

/* A connection and a fresh prefix, or NULL (case skipped). */
static struct redis_sync *open_redis(void)
{
    const char *url = test_redis_url(0); /* with the suite's password */
    struct redis_sync *r = NULL;
    char id[33];
    if (url == NULL) {
        fprintf(stderr, "skip: SENTIA_TEST_REDIS_PORT not set\n");
        return NULL;
    }
    char *err = NULL;
    if (redis_sync_connect(url, 2000, &r, &err) != 0)
        abort();
    crypto_random_id(id);
    snprintf(prefix, sizeof prefix, "ti%.12s", id);
    return r;
}

/* Runs op (disposed) and returns the reply. */
static redisReply *run(struct redis_sync *r, struct queue_op *op)
{
    redisReply *rep = queue_op_run_sync(r, op);
    queue_op_dispose(op);
    return rep;
}

static void run_free(struct redis_sync *r, struct queue_op *op)
{
    freeReplyObject(run(r, op));
}

/* Enqueues a job of type with payload text; returns it (caller frees). */
static struct job *put(struct redis_sync *r, const char *type, const char *text)
{
    struct queue_op op;
    size_t len;
    struct job *j = job_create("q1", type, json_pack("{ss}", "text", text));
    char *env = job_encode(j, &len);
    queue_op_enqueue(&op, prefix, j, env, len, 0, 0);
    run_free(r, &op);
    free(env);
    return j;
}

/* Reserves one job for worker w; returns its decoded job (caller frees). */
static struct job *take(struct redis_sync *r, const char *w)
{
    struct queue_op op;
    const char *why;
    struct job *j = NULL;
    queue_op_heartbeat(&op, prefix, "q1", w);
    run_free(r, &op);
    queue_op_reserve(&op, prefix, "q1", w, 1);
    redisReply *rep = run(r, &op);
    if (rep && rep->elements == 2)
        job_decode(rep->element[1]->str, rep->element[1]->len, &j, &why);
    freeReplyObject(rep);
    return j;
}

/* Fails job j (taken by w) straight to dead. */
static void kill_job(struct redis_sync *r, const char *w, struct job *j)
{
    struct queue_op op;
    struct queue_failure f;
    queue_plan_failure(j, "boom", true, 0, clock_wall_ms(), &f);
    queue_op_fail(&op, prefix, w, j, &f, 1000);
    run_free(r, &op);
    queue_failure_dispose(&f);
}

static void ack_job(struct redis_sync *r, const char *w, struct job *j)
{
    struct queue_op op;
    struct queue_done d = {j->raw, j->raw_len, j->type, 2000};
    queue_op_ack(&op, prefix, "q1", w, &d, 1);
    run_free(r, &op);
}

static redisReply *window(struct redis_sync *r, enum queue_state s, int64_t first,
                          int want, const char *q, const char *type, struct queue_window *w)
{
    struct queue_op op;
    struct queue_window_query wq = {s, first, want, QUEUE_SEARCH_BUDGET, q, type};
    queue_op_window(&op, prefix, "q1", &wq);
    redisReply *rep = run(r, &op);
    if (queue_parse_window(rep, w) != 0)
        memset(w, 0, sizeof *w);
    return rep;
}

static const char *window_id(const redisReply *rep, const struct queue_window *w, size_t i)
{
    static char id[JOB_ID_MAX + 1];
    const char *env = rep->element[w->first + 2 * i]->str;
    snprintf(id, sizeof id, "%.32s", env + 7);
    return id;
}

TEST(window_pages_ready_in_run_order)
{
    struct redis_sync *r = open_redis();
    if (!r)
        return;
    struct job *a = put(r, "t.a", "first"), *b = put(r, "t.b", "second"),
               *c = put(r, "t.a", "third");
    struct queue_window w;
    redisReply *rep = window(r, QUEUE_STATE_READY, 0, 2, NULL, NULL, &w);
    CHECK_INT(w.total, 3);
    CHECK_INT(w.count, 2);
    CHECK_INT(w.next, 2);
    CHECK_STR(window_id(rep, &w, 0), a->id); /* oldest runs first */
    CHECK_STR(window_id(rep, &w, 1), b->id);
    freeReplyObject(rep);
    rep = window(r, QUEUE_STATE_READY, 2, 2, NULL, NULL, &w);
    CHECK_INT(w.count, 1);
    CHECK_INT(w.next, -1);
    CHECK_STR(window_id(rep, &w, 0), c->id);
    freeReplyObject(rep);
    /* type filter and payload search */
    rep = window(r, QUEUE_STATE_READY, 0, 10, NULL, "t.a", &w);
    CHECK_INT(w.count, 2);
    freeReplyObject(rep);
    rep = window(r, QUEUE_STATE_READY, 0, 10, "secon", NULL, &w);
    CHECK_INT(w.count, 1);
    CHECK_STR(window_id(rep, &w, 0), b->id);
    freeReplyObject(rep);
    rep = window(r, QUEUE_STATE_READY, 0, 10, c->id, NULL, &w);
    CHECK_INT(w.count, 1);
    freeReplyObject(rep);
    job_free(a);
    job_free(b);
    job_free(c);
    redis_sync_free(r);
}

TEST(window_active_and_dead_and_find)
{
    struct redis_sync *r = open_redis();
    if (!r)
        return;
    job_free(put(r, "t.a", "one"));
    job_free(put(r, "t.a", "needle-in-payload"));
    struct job *j1 = take(r, "w1"), *j2 = take(r, "w2");
    CHECK(j1 && j2);
    struct queue_window w;
    redisReply *rep = window(r, QUEUE_STATE_ACTIVE, 0, 10, NULL, NULL, &w);
    CHECK_INT(w.total, 2);
    CHECK_INT(w.count, 2);
    CHECK_STR(rep->element[w.first + 1]->str, "w1");
    freeReplyObject(rep);
    kill_job(r, "w2", j2);
    rep = window(r, QUEUE_STATE_DEAD, 0, 10, "needle", NULL, &w);
    CHECK_INT(w.total, 1);
    CHECK_INT(w.count, 1);
    freeReplyObject(rep);
    struct queue_op op;
    struct queue_found f;
    queue_op_find(&op, prefix, "q1", j2->id, false);
    rep = run(r, &op);
    CHECK_INT(queue_parse_find(rep, &f), 1);
    CHECK_INT(f.state, QUEUE_STATE_DEAD);
    freeReplyObject(rep);
    queue_op_find(&op, prefix, "q1", j1->id, false);
    rep = run(r, &op);
    CHECK_INT(queue_parse_find(rep, &f), 1);
    CHECK_INT(f.state, QUEUE_STATE_ACTIVE);
    CHECK_STR(f.worker, "w1");
    freeReplyObject(rep);
    queue_op_find(&op, prefix, "q1", "nope", false);
    rep = run(r, &op);
    CHECK_INT(queue_parse_find(rep, &f), 0);
    freeReplyObject(rep);
    job_free(j1);
    job_free(j2);
    redis_sync_free(r);
}

TEST(remove_one_by_envelope)
{
    struct redis_sync *r = open_redis();
    if (!r)
        return;
    struct job *a = put(r, "t.a", "x");
    struct queue_op op;
    struct queue_found f;
    queue_op_find(&op, prefix, "q1", a->id, false);
    redisReply *rep = run(r, &op);
    CHECK_INT(queue_parse_find(rep, &f), 1);
    queue_op_remove(&op, prefix, "q1", f.state, a->id, f.envelope->str, f.envelope->len, false);
    redisReply *rm = run(r, &op);
    CHECK(rm && rm->type == REDIS_REPLY_INTEGER && rm->integer == 1);
    freeReplyObject(rm);
    queue_op_remove(&op, prefix, "q1", f.state, a->id, f.envelope->str, f.envelope->len, false);
    rm = run(r, &op);
    CHECK(rm && rm->integer == 0);
    freeReplyObject(rm);
    freeReplyObject(rep);
    job_free(a);
    redis_sync_free(r);
}

/* n dead jobs on q1. */
static void make_dead(struct redis_sync *r, int n)
{
    for (int i = 0; i < n; i++) {
        job_free(put(r, "t.d", "dead"));
        struct job *j = take(r, "wd");
        kill_job(r, "wd", j);
        job_free(j);
    }
}

static int64_t llen(struct redis_sync *r, const char *part)
{
    redisReply *rep = redis_sync_commandf(r, "LLEN %s:{q1}:%s", prefix, part);
    int64_t n = rep ? rep->integer : -1;
    freeReplyObject(rep);
    return n;
}

TEST(dead_drop_needs_exact_confirm)
{
    struct redis_sync *r = open_redis();
    if (!r)
        return;
    make_dead(r, 3);
    struct queue_op op;
    int64_t n = 0;
    queue_op_dead_drop(&op, prefix, "q1", 2);
    redisReply *rep = run(r, &op);
    CHECK_INT(queue_parse_bulk(rep, &n), 1);
    CHECK_INT(n, 3);
    CHECK_INT(llen(r, "dead"), 3);
    freeReplyObject(rep);
    queue_op_dead_drop(&op, prefix, "q1", 3);
    rep = run(r, &op);
    CHECK_INT(queue_parse_bulk(rep, &n), 0);
    CHECK_INT(n, 3);
    CHECK_INT(llen(r, "dead"), 0);
    freeReplyObject(rep);
    redis_sync_free(r);
}

TEST(dead_retry_needs_exact_confirm_and_keeps_malformed)
{
    struct redis_sync *r = open_redis();
    if (!r)
        return;
    make_dead(r, 2);
    freeReplyObject(redis_sync_commandf(r, "RPUSH %s:{q1}:dead not-json", prefix));
    struct queue_op op;
    struct queue_dead_retry dr;
    int64_t n = 0, bad = 0;
    queue_op_dead_read(&op, prefix, "q1");
    redisReply *rd = run(r, &op);
    queue_dead_retry_build(&dr, prefix, "q1", 4, rd, &bad);
    redisReply *rep = queue_op_run_sync(r, &dr.op);
    CHECK_INT(queue_parse_bulk(rep, &n), 1);
    CHECK_INT(n, 3);
    freeReplyObject(rep);
    queue_dead_retry_dispose(&dr);
    queue_dead_retry_build(&dr, prefix, "q1", 3, rd, &bad);
    CHECK_INT(bad, 1);
    rep = queue_op_run_sync(r, &dr.op);
    CHECK_INT(queue_parse_bulk(rep, &n), 0);
    CHECK_INT(n, 2);
    CHECK_INT(llen(r, "dead"), 1);
    CHECK_INT(llen(r, "ready"), 2);
    freeReplyObject(rep);
    queue_dead_retry_dispose(&dr);
    /* the list changed since it was read → 2, nothing touched */
    make_dead(r, 1);
    queue_dead_retry_build(&dr, prefix, "q1", 2, rd, &bad);
    rep = queue_op_run_sync(r, &dr.op);
    CHECK_INT(queue_parse_bulk(rep, &n), 2);
    CHECK_INT(llen(r, "dead"), 2);
    freeReplyObject(rep);
    queue_dead_retry_dispose(&dr);
    freeReplyObject(rd);
    /* revived envelopes start again at attempt 0 */
    struct job *j = take(r, "wr");
    CHECK(j != NULL);
    CHECK_INT(j->attempt, 0);
    job_free(j);
    redis_sync_free(r);
}

TEST(throughput_counts_ack_and_fail_per_minute)
{
    struct redis_sync *r = open_redis();
    if (!r)
        return;
    int64_t minute = queue_minute_of(clock_wall_ms());
    for (int i = 0; i < 3; i++) {
        job_free(put(r, "t.a", "ok"));
        struct job *j = take(r, "wt");
        ack_job(r, "wt", j);
        job_free(j);
    }
    make_dead(r, 2);
    struct queue_op op;
    int64_t c[3], f[3];
    queue_op_throughput(&op, prefix, "q1", minute - 1, 3);
    redisReply *rep = run(r, &op);
    CHECK_INT(queue_parse_throughput(rep, c, f, 3), 0);
    CHECK_INT(c[0], 0);
    /* the test may straddle a minute boundary */
    CHECK_INT(c[1] + c[2], 3);
    CHECK_INT(f[1] + f[2], 2);
    freeReplyObject(rep);
    rep = redis_sync_commandf(r, "TTL %s:{q1}:tp:%lld", prefix, (long long)minute);
    CHECK(rep && rep->integer > 24 * 3600 && rep->integer <= QUEUE_THROUGHPUT_TTL_S);
    freeReplyObject(rep);
    redis_sync_free(r);
}

/* Enqueues a tracked job; returns it. */
static struct job *put_tracked(struct redis_sync *r, int max_attempts)
{
    struct queue_op op;
    size_t len;
    struct job *j = job_create("q1", "t.cmd", NULL);
    j->track = true;
    j->max_attempts = max_attempts;
    char *env = job_encode(j, &len);
    struct queue_track_origin who = {"user_1", "req-1"};
    queue_op_enqueue_tracked(&op, prefix, j, env, len, &who);
    run_free(r, &op);
    free(env);
    return j;
}

static redisReply *track_get(struct redis_sync *r, const char *id, struct queue_track *t)
{
    struct queue_op op;
    queue_op_track_get(&op, prefix, "q1", id);
    redisReply *rep = run(r, &op);
    if (queue_parse_track(rep, t) != 1)
        memset(t, 0, sizeof *t);
    return rep;
}

TEST(tracking_record_follows_a_command_job)
{
    struct redis_sync *r = open_redis();
    if (!r)
        return;
    struct job *j = put_tracked(r, 2);
    struct queue_track t;
    redisReply *rep = track_get(r, j->id, &t);
    CHECK_STR(t.state, "ready");
    CHECK_STR(t.requested_by, "user_1");
    CHECK_INT(t.attempts, 0);
    CHECK_INT(t.max_attempts, 2);
    freeReplyObject(rep);
    struct job *run1 = take(r, "wk");
    CHECK(run1 && run1->track);
    struct queue_op op;
    struct queue_failure f;
    queue_plan_failure(run1, "first try failed", false, 0, clock_wall_ms(), &f);
    queue_op_fail(&op, prefix, "wk", run1, &f, 1000);
    run_free(r, &op);
    queue_failure_dispose(&f);
    rep = track_get(r, j->id, &t);
    CHECK_STR(t.state, "delayed");
    CHECK_STR(t.last_error, "first try failed");
    CHECK_INT(t.attempts, 1);
    freeReplyObject(rep);
    /* due now: move it back and finish it */
    freeReplyObject(redis_sync_commandf(r, "DEL %s:{q1}:delayed", prefix));
    job_free(put(r, "t.other", "untracked"));
    freeReplyObject(redis_sync_commandf(r, "DEL %s:{q1}:ready", prefix));
    size_t len;
    struct job again = *run1;
    again.attempt = 1;
    char *env = job_encode(&again, &len);
    freeReplyObject(redis_sync_commandf(r, "LPUSH %s:{q1}:ready %b", prefix, env, len));
    free(env);
    struct job *run2 = take(r, "wk");
    CHECK(run2 && run2->track);
    ack_job(r, "wk", run2);
    rep = track_get(r, j->id, &t);
    CHECK_STR(t.state, "succeeded");
    CHECK_INT(t.attempts, 2);
    CHECK(t.finished_ms > 0 && t.started_ms > 0);
    freeReplyObject(rep);
    rep = redis_sync_commandf(r, "TTL %s:{q1}:track:%s", prefix, j->id);
    CHECK(rep && rep->integer > 3500 && rep->integer <= QUEUE_TRACK_TTL_S);
    freeReplyObject(rep);
    job_free(run1);
    job_free(run2);
    job_free(j);
    redis_sync_free(r);
}

TEST(untracked_jobs_leave_no_record)
{
    struct redis_sync *r = open_redis();
    if (!r)
        return;
    job_free(put(r, "t.a", "x"));
    struct job *j = take(r, "wu");
    CHECK(j && !j->track);
    CHECK(!job_envelope_tracked(j->raw, j->raw_len));
    ack_job(r, "wu", j);
    redisReply *rep = redis_sync_commandf(r, "EXISTS %s:{q1}:track:%s", prefix, j->id);
    CHECK(rep && rep->integer == 0);
    freeReplyObject(rep);
    job_free(j);
    redis_sync_free(r);
}

TEST(tracked_envelope_flag_sits_after_the_id)
{
    struct job *j = job_create("q1", "t", NULL);
    size_t len;
    j->track = true;
    char *env = job_encode(j, &len);
    CHECK(job_envelope_tracked(env, len));
    CHECK(strncmp(env, "{\"id\":\"", 7) == 0);
    free(env);
    /* payload text cannot fake the flag */
    j->track = false;
    json_decref(j->payload);
    j->payload = json_pack("{sb}", "track", 1);
    env = job_encode(j, &len);
    CHECK(!job_envelope_tracked(env, len));
    free(env);
    job_free(j);
}
