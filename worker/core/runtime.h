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
 * struct worker_runtime (worker/core/env.h) is what the runtime shares with
 * its parts; only runtime.c changes it.
 */
#ifndef SENTIA_WORKER_RUNTIME_H
#define SENTIA_WORKER_RUNTIME_H

#include "lib/config.h"
#include "worker/core/env.h"

/* "<hostname>-<pid>-<4 random hex>" into out (WORKER_ID_MAX + 1 bytes). */
void worker_make_id(const char *host, int pid, char *out);

/*
 * Runs the worker until it has shut down. `cfg` is handed to handlers.
 * Returns the process exit code (0 after a clean shutdown).
 */
int worker_runtime_run(const struct config *cfg, const struct worker_settings *s);

#endif
