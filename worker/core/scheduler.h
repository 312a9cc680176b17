/*
 * worker/core/scheduler.h: periodic jobs from SCHEDULE (lib/schedule.h), run by
 * every worker and enqueued by exactly one of them.
 *
 * Every SCHEDULER_TICK_MS (±10 %) each worker:
 *   1. asks worker/core/lua/scheduler.lua for the lease (<prefix>:scheduler:lease,
 *      PX SCHEDULER_LEASE_MS): the holder renews it, anyone else takes it when
 *      it expired — and then gets a new fencing token (INCR
 *      <prefix>:scheduler:fence);
 *   2. as holder, for each entry whose current slot is newer than the last
 *      one recorded (<prefix>:scheduler:last, field = job type): "claim"
 *      checks lease + fence + the record atomically; then the job is enqueued
 *      with the idempotency key "sched:<type>:<slot start ms>" — the queue's
 *      own SET NX — so even two holders (a paused process whose lease expired
 *      and its successor) produce one job per slot; "done" records the slot.
 *   A slot missed while no worker ran is not replayed: the current slot is
 *   enqueued once on recovery.
 * It also announces which providers this worker has configured (hash
 * <prefix>:sync:providers, every 30 s) for GET /api/integrations/status.
 *
 * Lifetime: scheduler_start() after the runtime's services exist;
 * scheduler_stop() when shutting down; the struct frees itself once its
 * timer is closed and no Redis reply is outstanding.
 */
#ifndef SENTIA_WORKER_SCHEDULER_H
#define SENTIA_WORKER_SCHEDULER_H

#include <stddef.h>

#include "lib/config.h"

struct worker_runtime;
struct scheduler;

/* SCHEDULE, SCHEDULER_TICK_MS, SCHEDULER_LEASE_MS. */
extern const struct config_var scheduler_config_vars[];

/* Validates a SCHEDULE text (NULL = empty); 0, or -1 and why. */
int scheduler_check(const char *text, char *why, size_t why_size);

struct scheduler *scheduler_start(struct worker_runtime *rt);
void scheduler_stop(struct scheduler *s);

#endif
