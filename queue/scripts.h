/*
 * queue/scripts.h: the queue's atomic Lua scripts (queue/lua/<name>.lua, one per
 * lifecycle arrow of DESIGN.md §3), embedded at build time with their SHA-1.
 * Each script's header comment in queue/lua/ documents its KEYS and ARGV.
 * The table is constant; lib/redis runs entries with EVALSHA and reloads
 * them on NOSCRIPT.
 */
#ifndef SENTIA_QUEUE_SCRIPTS_H
#define SENTIA_QUEUE_SCRIPTS_H

#include "lib/redis.h"

enum queue_script_id {
    QUEUE_SCRIPT_ACK,
    QUEUE_SCRIPT_DEAD_DROP,
    QUEUE_SCRIPT_DEAD_RETRY,
    QUEUE_SCRIPT_ENQUEUE,
    QUEUE_SCRIPT_ENQUEUE_BULK,
    QUEUE_SCRIPT_ENQUEUE_MANY,
    QUEUE_SCRIPT_FAIL,
    QUEUE_SCRIPT_FIND,
    QUEUE_SCRIPT_HEARTBEAT,
    QUEUE_SCRIPT_PROMOTE,
    QUEUE_SCRIPT_PURGE,
    QUEUE_SCRIPT_REAP,
    QUEUE_SCRIPT_REMOVE,
    QUEUE_SCRIPT_RESERVE,
    QUEUE_SCRIPT_REVIVE,
    QUEUE_SCRIPT_STALE,
    QUEUE_SCRIPT_STATS,
    QUEUE_SCRIPT_THROUGHPUT,
    QUEUE_SCRIPT_WINDOW,
    QUEUE_SCRIPT_COUNT,
};

extern const struct redis_script queue_scripts[QUEUE_SCRIPT_COUNT];
/* The same scripts as a NULL-terminated list, for redis_client_options. */
extern const struct redis_script *const queue_script_list[];

#endif
