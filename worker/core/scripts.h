/*
 * worker/core/scripts.h: the worker's own Lua scripts (worker/core/lua/<name>.lua),
 * embedded at build time by queue/embed_scripts.c like the queue's: the
 * shared provider rate limiter, the sync lock with its fencing token, and
 * the scheduler's lease. Each script's header comment documents its KEYS
 * and ARGV. The runtime's Redis client loads them with the queue's scripts.
 */
#ifndef SENTIA_WORKER_SCRIPTS_H
#define SENTIA_WORKER_SCRIPTS_H

#include "lib/redis.h"

enum worker_script_id {
    WORKER_SCRIPT_RATELIMIT,
    WORKER_SCRIPT_SCHEDULER,
    WORKER_SCRIPT_SYNCLOCK,
    WORKER_SCRIPT_COUNT,
};

extern const struct redis_script worker_scripts[WORKER_SCRIPT_COUNT];
/* The same scripts as a NULL-terminated list. */
extern const struct redis_script *const worker_script_list[];

#endif
