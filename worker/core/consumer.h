/*
 * worker/core/consumer.h: the jobs of one queue in one worker process.
 *
 * A consumer owns `slots` places for runs. It fills free slots with one
 * `reserve` script call (many jobs per round trip) on the shared command
 * connection; when the queue is empty it waits with a plain BLMOVE on its own
 * blocking connection (timeout CONSUMER_WAIT_S), then tops up again. The
 * reserve script refuses while the queue is paused, so every blocking wait is
 * preceded by a pause check and a pause stops delivery within one wait.
 *
 * Results (acks and fails) are collected while the loop turns and written in
 * batches from worker's check phase (consumer_flush): one ack script call for
 * up to CONSUMER_ACK_BATCH jobs, one fail call per failed job. While Redis is
 * unreachable the results stay in memory and are written when it is back.
 * A job going dead past MAX_DEAD_JOBS drops the oldest dead job (counted in
 * the queue's dead_evicted); the consumer logs what was dropped once per
 * burst: at the first drop, then at most once per CONSUMER_EVICT_LOG_MS.
 *
 * After a reserve or wait whose reply was lost (timeout, disconnect), Redis
 * may have moved jobs into this worker's active list without the worker
 * knowing; before reserving again the consumer reads the list and returns
 * any envelope it does not hold (fail script, defer to now: no attempt spent).
 *
 * Lifetime: created and started by the runtime; consumer_stop() ends
 * reserving and closes the blocking connection; consumer_free() after the
 * runtime's Redis client is closed (no reply can reach it any more).
 */
#ifndef SENTIA_WORKER_CONSUMER_H
#define SENTIA_WORKER_CONSUMER_H

#include <stdbool.h>
#include <stddef.h>

struct consumer;
struct job_run;
struct worker_runtime;

enum {
    CONSUMER_ACK_BATCH = 512,       /* jobs per ack script call: bounds its run time */
    CONSUMER_PAUSE_RECHECK_MS = 500, /* while paused, ask again this often */
    CONSUMER_RETRY_MS = 250,        /* after a Redis error */
    CONSUMER_EVICT_LOG_MS = 60000,  /* at most one "dead jobs dropped" line per queue */
};
#define CONSUMER_WAIT_S 1.0 /* one blocking wait; also the pause latency bound */

struct consumer *consumer_create(struct worker_runtime *rt, const char *queue, int slots);
const char *consumer_queue(const struct consumer *c);
int consumer_slots(const struct consumer *c);
int consumer_in_flight(const struct consumer *c);

/* Writes pending results and reserves for free slots (check phase). */
void consumer_tick(struct consumer *c);
/* Stops reserving and closes the blocking connection. */
void consumer_stop(struct consumer *c);
/* Abandons every running run (shutdown deadline). */
void consumer_abandon(struct consumer *c);
/* Drops unwritten results (Redis still down at the end of shutdown); returns how many. */
size_t consumer_drop_results(struct consumer *c);
/* True once stopped and nothing is running, unwritten or awaited. */
bool consumer_drained(const struct consumer *c);
void consumer_free(struct consumer *c);

#endif
