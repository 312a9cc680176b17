/*
 * worker/core/env.h: the state one sentia-worker process shares between the
 * runtime (runtime.c, its owner) and the parts it drives — consumers, job
 * runs and the scheduler: the settings, the loop, the clients and the job
 * families. Header only, so the parts read their owner's state without
 * including the owner (runtime.c includes them, never the other way round).
 *
 * Only runtime.c changes struct worker_runtime; the parts read it, and call
 * `progress` when something the shutdown waits for has changed. It lives
 * from worker_runtime_run()'s start to its end.
 */
#ifndef SENTIA_WORKER_CORE_ENV_H
#define SENTIA_WORKER_CORE_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/http.h"
#include "lib/pgpool.h"
#include "lib/redis.h"
#include "worker/core/handler.h"
#include "worker/core/queues.h"
#include "worker/core/waits.h"

enum {
    WORKER_ID_MAX = 96,   /* "<hostname>-<pid>-<4 hex>", hostname cut to 64 */
    WORKER_HOST_MAX = 64,
};

/* Everything the runtime takes from the configuration. */
struct worker_settings {
    const char *redis_url;
    const char *database_url; /* NULL: no pool; queries fail (transient) */
    const char *prefix;
    struct worker_queue_spec queues[WORKER_QUEUES_MAX];
    size_t nqueues;
    int pg_pool_size;
    int shutdown_timeout_ms;
    int job_timeout_ms; /* handlers without their own timeout */
    int lease_ms;       /* heartbeat older than this → reaped */
    int redis_timeout_ms;
    int max_dead_jobs;  /* MAX_DEAD_JOBS: dead list cap per queue */
    /* What main.c composes in (worker/jobs/jobs.h): the job families, and the
     * Lua scripts they use besides the queue's and the core's (NULL-terminated;
     * both loaded on every Redis connect). */
    const struct job_family *const *families;
    const struct redis_script *const *scripts;
};

struct consumer;

struct worker_runtime {
    uv_loop_t *loop;
    const struct worker_settings *settings;
    struct worker_services services; /* what handlers see */
    char id[WORKER_ID_MAX + 1];
    char host[WORKER_HOST_MAX + 1];
    char queues_text[WORKER_QUEUES_TEXT_MAX];
    int64_t started_ms;
    struct redis_client *redis; /* commands and scripts; never blocks */
    struct pgpool *pg;          /* NULL without DATABASE_URL */
    struct http_client *http;
    struct consumer *consumers[WORKER_QUEUES_MAX];
    size_t nconsumers;
    bool stopping;
    const char *pg_state; /* "up" | "down" | "unknown" (registry) */
    int64_t pg_changed_ms;
    struct worker_waits waits; /* queue waits since the last flush (waits.h) */
    struct worker_runtime_private *priv; /* timers and shutdown state */
    /* Something a shutdown waits for changed (a run, a flush, a closed
     * connection): the runtime re-checks its shutdown sequence. */
    void (*progress)(struct worker_runtime *rt);
};

#endif
