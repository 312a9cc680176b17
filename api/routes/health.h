/*
 * api/routes/health.h: the probes and /health/detailed (DESIGN.md §5, §7;
 * docs/API.md states the rules).
 *
 * /health ({"status":"healthy","service","version","commit","environment",
 * "timestamp"}), /health/live[ness]: no I/O, always fast. /health/ready[iness],
 * /ready: Redis PING within REDIS_TIMEOUT_MS → 200 "ready": true, else 503
 * "ready": false with Retry-After.
 * /health/detailed: a snapshot (api/snapshot.h) judged by health_evaluate():
 *   unhealthy (503): Redis did not answer (or not completely, in time);
 *   degraded (200): a queue has ready jobs and no live worker serves it; a
 *     live worker reports Postgres down; a queue's oldest ready job is older
 *     than STALE_JOB_MS;
 *   healthy (200) otherwise.
 * A live worker is a member of <prefix>:workers whose registry hash
 * <prefix>:worker:<id> still exists; it serves the queues named in its
 * `queues` field ("webhooks:32,notify:16"). Its Postgres status is its
 * `postgres` field (up | down; absent = unknown).
 */
#ifndef SENTIA_API_HEALTH_H
#define SENTIA_API_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/ctx.h"

enum health_status {
    HEALTH_HEALTHY,
    HEALTH_DEGRADED,
    HEALTH_UNHEALTHY,
};

struct snapshot;
struct snapshot_worker;

/* Judges a snapshot; appends one text per reason to `reasons` (an array). */
enum health_status health_evaluate(const struct snapshot *s, int64_t stale_job_ms,
                                   json_t *reasons);
/* True when worker w is live and lists queue in its `queues` field. */
bool health_worker_serves(const struct snapshot_worker *w, const char *queue);
const char *health_status_name(enum health_status st);

/* Routes: /health; /health/live[ness]; /health/ready[iness] and /ready; /health/detailed. */
void health_ok(struct api_call *call);
void health_live(struct api_call *call);
void health_ready(struct api_call *call);
void health_detailed(struct api_call *call);
/* /health/history: {"interval_s", "window_s", "samples": newest first} (api/history.h). */
void health_history(struct api_call *call);

#endif
