/*
 * api/history.h: GET /health/history's store — what one API process saw of
 * its dependencies every HEALTH_HISTORY_INTERVAL_MS (30 s) over the last
 * hour, so an operator sees when it went degraded and why.
 *
 * One sampler runs on the server's first thread: each tick it PINGs Redis
 * on that thread's connection and runs SELECT 1 on its read pool (both
 * bounded by a timer), reads the process's RSS against the instance's
 * memory, and appends a sample: status (unhealthy: Redis did not answer;
 * degraded: Postgres configured and not answering, or RSS above 85 % of the
 * memory), its reasons and both latencies. Queue-level reasons (stale jobs,
 * queues nobody serves) are /health/detailed's, which looks at every queue.
 *
 * The ring is process-wide (any thread answers /health/history) behind a
 * mutex; api_history_json copies the samples newest first.
 *
 * Ownership: the server owns the history (api_history_create/free); the
 * sampler frees itself once stopped and its last check came back.
 */
#ifndef SENTIA_API_HISTORY_H
#define SENTIA_API_HISTORY_H

#include <jansson.h>
#include <stdint.h>

enum {
    API_HISTORY_SAMPLES = 240,        /* an hour at 15 s; 120 at the default 30 s */
    API_HISTORY_WINDOW_MS = 3600 * 1000,
};

struct api_history;
struct api_thread;
struct api_history_sampler;

struct api_history *api_history_create(void);
void api_history_free(struct api_history *h);

/* The samples of the last hour, newest first:
 * [{"at","status","reasons","redis_latency_ms","postgres_latency_ms","rss_bytes"}]. */
json_t *api_history_json(struct api_history *h, int64_t now_ms);

/* Starts sampling on t's loop every interval_ms into h. */
struct api_history_sampler *api_history_sampler_start(struct api_thread *t,
                                                      struct api_history *h, int interval_ms);
/* Stops it (on t's loop); safe with NULL. */
void api_history_sampler_stop(struct api_history_sampler *s);

#endif
