/*
 * worker/core/scripts.h: the core's own Lua scripts (worker/core/lua/<name>.lua),
 * embedded at build time by queue/embed_scripts.c like the queue's: the
 * scheduler's lease. Each script's header comment documents its KEYS and
 * ARGV. The runtime's Redis client loads them with the queue's scripts and
 * the job families' (worker/kit/scripts.h, handed in by main.c).
 */
#ifndef SENTIA_WORKER_SCRIPTS_H
#define SENTIA_WORKER_SCRIPTS_H

#include "lib/redis.h"

enum worker_script_id {
    WORKER_SCRIPT_SCHEDULER,
    WORKER_SCRIPT_COUNT,
};

extern const struct redis_script worker_scripts[WORKER_SCRIPT_COUNT];
/* The same scripts as a NULL-terminated list. */
extern const struct redis_script *const worker_script_list[];

#endif
