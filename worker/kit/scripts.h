/*
 * worker/kit/scripts.h: the Lua scripts job families share
 * (worker/kit/lua/<name>.lua), embedded at build time by
 * queue/embed_scripts.c like the queue's: the shared provider rate limiter
 * and the sync lock with its fencing token. Each script's header comment
 * documents its KEYS and ARGV. main.c hands kit_script_list to the runtime,
 * whose Redis client loads them on every connect.
 */
#ifndef SENTIA_WORKER_KIT_SCRIPTS_H
#define SENTIA_WORKER_KIT_SCRIPTS_H

#include "lib/redis.h"

enum kit_script_id {
    KIT_SCRIPT_RATELIMIT,
    KIT_SCRIPT_SYNCLOCK,
    KIT_SCRIPT_COUNT,
};

extern const struct redis_script kit_scripts[KIT_SCRIPT_COUNT];
/* The same scripts as a NULL-terminated list. */
extern const struct redis_script *const kit_script_list[];

#endif
