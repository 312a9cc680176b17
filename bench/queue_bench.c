/*
 * bench/queue_bench.c: measures the queue protocol itself against a real
 * Redis — how fast jobs can be enqueued (one enqueue script per job,
 * pipelined) and reserved + acknowledged (reserve script for a batch, one
 * ack script per batch), the way sentia-api and sentia-worker use it.
 *
 *   queue_bench REDIS_URL JOBS [BATCH]
 * Prints "enqueue_per_s=N" and "reserve_ack_per_s=N" lines for bench/queue.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/mem.h"
#include "lib/redis.h"
#include "queue/queue.h"
#include "queue/scripts.h"

static const char *const bench_prefix = "bench";
static const char *const bench_queue = "bench";

static void bench_die(struct redis_sync *r, const char *what)
{
    fprintf(stderr, "queue_bench: %s: %s\n", what, redis_sync_error(r));
    exit(1);
}

/* Sends ops[0..n) in one pipeline and checks every reply. */
static void bench_pipeline(struct redis_sync *r, struct queue_op *ops, size_t n)
{
    struct redis_args *cmds = mem_calloc(n, sizeof *cmds);
    redisReply **replies = mem_calloc(n, sizeof *replies);
    for (size_t i = 0; i < n; i++)
        queue_op_argv(&ops[i], &cmds[i]);
    if (redis_sync_pipeline(r, cmds, n, replies) != 0)
        bench_die(r, "pipeline");
    for (size_t i = 0; i < n; i++) {
        if (replies[i] == NULL || replies[i]->type == REDIS_REPLY_ERROR)
            bench_die(r, replies[i] ? replies[i]->str : "no reply");
        freeReplyObject(replies[i]);
        redis_args_dispose(&cmds[i]);
    }
    free(cmds);
    free(replies);
}

static double bench_enqueue(struct redis_sync *r, long jobs, size_t batch)
{
    uint64_t t0 = clock_mono_us();
    struct queue_op *ops = mem_calloc(batch, sizeof *ops);
    struct job **js = mem_calloc(batch, sizeof *js);
    char **envs = mem_calloc(batch, sizeof *envs);
    for (long done = 0; done < jobs;) {
        size_t n = (size_t)(jobs - done) < batch ? (size_t)(jobs - done) : batch;
        for (size_t i = 0; i < n; i++) {
            size_t len;
            js[i] = job_create(bench_queue, "sys.noop", NULL);
            envs[i] = job_encode(js[i], &len);
            queue_op_enqueue(&ops[i], bench_prefix, js[i], envs[i], len, 0, 0);
        }
        bench_pipeline(r, ops, n);
        for (size_t i = 0; i < n; i++) {
            queue_op_dispose(&ops[i]);
            job_free(js[i]);
            free(envs[i]);
        }
        done += (long)n;
    }
    free(ops);
    free(js);
    free(envs);
    return jobs / ((clock_mono_us() - t0) / 1e6);
}

/* Reserves a batch, then acks it in one script call, until the queue is empty. */
static double bench_drain(struct redis_sync *r, long jobs, int batch)
{
    uint64_t t0 = clock_mono_us();
    long done = 0;
    struct queue_done *acks = mem_calloc((size_t)batch, sizeof *acks);
    while (done < jobs) {
        struct queue_op op;
        bool paused;
        size_t first;
        queue_op_reserve(&op, bench_prefix, bench_queue, "bench-worker", batch);
        redisReply *res = queue_op_run_sync(r, &op);
        queue_op_dispose(&op);
        if (res == NULL || queue_parse_reserve(res, &paused, &first) != 0)
            bench_die(r, "reserve");
        size_t n = res->elements - first;
        for (size_t i = 0; i < n; i++)
            acks[i] = (struct queue_done){res->element[first + i]->str,
                                          res->element[first + i]->len, "sys.noop", 5};
        queue_op_ack(&op, bench_prefix, bench_queue, "bench-worker", acks, n);
        redisReply *a = queue_op_run_sync(r, &op);
        queue_op_dispose(&op);
        if (a == NULL || a->type != REDIS_REPLY_INTEGER || a->integer != (long long)n)
            bench_die(r, "ack");
        freeReplyObject(a);
        freeReplyObject(res);
        if (n == 0)
            break;
        done += (long)n;
    }
    free(acks);
    return done / ((clock_mono_us() - t0) / 1e6);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: queue_bench REDIS_URL JOBS [BATCH]\n");
        return 2;
    }
    long jobs = atol(argv[2]);
    int batch = argc > 3 ? atoi(argv[3]) : 100;
    struct redis_sync *r = NULL;
    char *err = NULL;
    if (redis_sync_connect(argv[1], 30000, &r, &err) != 0) {
        fprintf(stderr, "queue_bench: %s\n", err);
        free(err);
        return 1;
    }
    for (int i = 0; i < QUEUE_SCRIPT_COUNT; i++) {
        redisReply *rep = redis_sync_commandf(r, "SCRIPT LOAD %s", queue_scripts[i].source);
        if (rep)
            freeReplyObject(rep);
    }
    printf("enqueue_per_s=%.0f\n", bench_enqueue(r, jobs, 1000));
    printf("reserve_ack_per_s=%.0f\n", bench_drain(r, jobs, batch));
    redis_sync_free(r);
    return 0;
}
