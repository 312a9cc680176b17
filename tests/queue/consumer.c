/*
 * tests/queue/consumer.c: a deliberately simple, synchronous consumer of the
 * queue protocol for integration tests (the real worker is asynchronous).
 * It runs the same operations as sentia-worker — heartbeat, promote, reap,
 * pause check, BLMOVE, ack / fail — so tests can kill it, pause its queue,
 * make its jobs fail, and count what it processed.
 *
 *   queue-test-consumer QUEUE WORKER_ID MODE [MAX_JOBS]
 *   MODE: ack | fail (transient) | dead (permanent) | hold (never finish)
 * Environment: REDIS_URL, QUEUE_PREFIX, LEASE_MS (default 30000),
 * RECORD_KEY (RPUSH "<worker> <job id>" there for every job started).
 * Prints "ready" once registered, exits 0 on SIGTERM or after MAX_JOBS.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/mem.h"
#include "lib/redis.h"
#include "queue/queue.h"

static volatile sig_atomic_t consumer_stop;

static void consumer_on_term(int sig)
{
    (void)sig;
    consumer_stop = 1;
}

struct consumer {
    struct redis_sync *r;
    const char *prefix, *queue, *id, *mode, *record;
    int lease_ms;
};

/* Runs an op and frees its reply; exits on a Redis failure (test tool). */
static redisReply *consumer_run(struct consumer *c, struct queue_op *op, bool keep)
{
    redisReply *r = queue_op_run_sync(c->r, op);
    queue_op_dispose(op);
    if (r == NULL || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "consumer: redis: %s\n", r ? r->str : redis_sync_error(c->r));
        exit(3);
    }
    if (!keep) {
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* Heartbeat, promote due jobs, and reap workers whose lease ran out. */
static void consumer_housekeeping(struct consumer *c)
{
    struct queue_op op;
    char queues[96];
    snprintf(queues, sizeof queues, "%s:1", c->queue);
    struct queue_worker_info w = {.id = c->id, .host = "test", .version = "test",
                                  .queues = queues, .pid = (int)getpid(),
                                  .started_ms = clock_wall_ms(),
                                  .heartbeat_ms = clock_wall_ms(), .concurrency = 1};
    queue_op_worker_update(&op, c->prefix, &w);
    consumer_run(c, &op, false);
    queue_op_worker_expire(&op, c->prefix, c->id);
    consumer_run(c, &op, false);
    queue_op_worker_touch(&op, c->prefix, c->id, w.heartbeat_ms);
    consumer_run(c, &op, false);
    queue_op_register(&op, c->prefix, c->queue);
    consumer_run(c, &op, false);
    queue_op_heartbeat(&op, c->prefix, c->queue, c->id);
    consumer_run(c, &op, false);
    queue_op_promote(&op, c->prefix, c->queue, 0);
    consumer_run(c, &op, false);
    queue_op_stale(&op, c->prefix, c->queue, c->lease_ms);
    redisReply *stale = consumer_run(c, &op, true);
    for (size_t i = 0; i < stale->elements; i++) {
        queue_op_reap(&op, c->prefix, c->queue, stale->element[i]->str, c->lease_ms);
        consumer_run(c, &op, false);
    }
    freeReplyObject(stale);
}

static bool consumer_paused(struct consumer *c)
{
    redisReply *r = redis_sync_commandf(c->r, "EXISTS %s:{%s}:paused", c->prefix, c->queue);
    bool paused = r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
    if (r)
        freeReplyObject(r);
    return paused;
}

/* Acts on one reserved envelope according to the mode. */
static void consumer_handle(struct consumer *c, const char *raw, size_t len)
{
    struct job *job = NULL;
    const char *why = NULL;
    struct queue_op op;
    if (job_decode(raw, len, &job, &why) != 0) {
        fprintf(stderr, "consumer: malformed envelope: %s\n", why);
        return;
    }
    if (c->record) {
        char entry[256];
        snprintf(entry, sizeof entry, "%s %s", c->id, job->id);
        redisReply *r = redis_sync_commandf(c->r, "RPUSH %s %s", c->record, entry);
        if (r)
            freeReplyObject(r);
    }
    if (strcmp(c->mode, "ack") == 0) {
        struct queue_done d = {job->raw, job->raw_len, job->type, 100};
        queue_op_ack(&op, c->prefix, c->queue, c->id, &d, 1);
        consumer_run(c, &op, false);
    } else if (strcmp(c->mode, "fail") == 0 || strcmp(c->mode, "dead") == 0) {
        struct queue_failure f;
        char error[96];
        snprintf(error, sizeof error, "simulated failure on attempt %d", job->attempt + 1);
        queue_plan_failure(job, error, strcmp(c->mode, "dead") == 0, 0, clock_wall_ms(), &f);
        queue_op_fail(&op, c->prefix, c->id, job, &f, 100);
        consumer_run(c, &op, false);
        queue_failure_dispose(&f);
    }
    job_free(job);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: queue-test-consumer QUEUE WORKER_ID MODE [MAX_JOBS]\n");
        return 2;
    }
    struct consumer c = {.queue = argv[1], .id = argv[2], .mode = argv[3]};
    long max = argc > 4 ? atol(argv[4]) : -1, done = 0;
    char *err = NULL;
    c.prefix = getenv("QUEUE_PREFIX") ? getenv("QUEUE_PREFIX") : "sentia";
    c.lease_ms = getenv("LEASE_MS") ? atoi(getenv("LEASE_MS")) : QUEUE_LEASE_MS;
    c.record = getenv("RECORD_KEY");
    if (redis_sync_connect(getenv("REDIS_URL"), 5000, &c.r, &err) != 0) {
        fprintf(stderr, "consumer: %s\n", err);
        free(err);
        return 3;
    }
    signal(SIGTERM, consumer_on_term);
    consumer_housekeeping(&c);
    printf("ready\n");
    fflush(stdout);
    while (!consumer_stop && (max < 0 || done < max)) {
        consumer_housekeeping(&c);
        if (consumer_paused(&c)) {
            usleep(100 * 1000);
            continue;
        }
        struct queue_op op;
        queue_op_wait(&op, c.prefix, c.queue, c.id, 0.2);
        redisReply *r = consumer_run(&c, &op, true);
        if (r->type == REDIS_REPLY_STRING) {
            consumer_handle(&c, r->str, r->len);
            done++;
        }
        freeReplyObject(r);
    }
    redis_sync_free(c.r);
    return 0;
}
