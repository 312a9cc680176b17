/*
 * worker/core/runtime.h: one sentia-worker process — its libuv loop, the services
 * shared by every job (Redis, the Postgres pool, the HTTP client), one
 * consumer per served queue, the housekeeping timers (heartbeat + registry,
 * promote, reap) and the shutdown sequence.
 *
 * Shutdown (SIGTERM/SIGINT): stop reserving → let in-flight runs finish until
 * the shutdown timeout → abandon the rest → write every result (acks, fails)
 * → hand the worker's active lists back to ready (reap with lease 0) →
 * deregister → close Redis, Postgres and HTTP → the loop ends, exit 0.
 *
 * struct worker_runtime is visible to the worker's own modules (consumer.c,
 * run.c), which read its services; only runtime.c changes it. It lives from
 * worker_runtime_run()'s start to its end.
 */
#ifndef SENTIA_WORKER_RUNTIME_H
#define SENTIA_WORKER_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/http.h"
#include "lib/pgpool.h"
#include "lib/redis.h"
#include "worker/core/handler.h"
#include "worker/core/queues.h"

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
    struct worker_runtime_private *priv; /* timers and shutdown state */
};

/* "<hostname>-<pid>-<4 random hex>" into out (WORKER_ID_MAX + 1 bytes). */
void worker_make_id(const char *host, int pid, char *out);

/*
 * Runs the worker until it has shut down. `cfg` is handed to handlers.
 * Returns the process exit code (0 after a clean shutdown).
 */
int worker_runtime_run(const struct config *cfg, const struct worker_settings *s);

/* Consumers call this when their drained state may have changed. */
void worker_runtime_progress(struct worker_runtime *rt);

#endif
