/*
 * queue/inspect.h: what an operator does to one queue's jobs — list them by
 * state with search, find one by id, delete one, retry one dead job, and the
 * two bulk dead commands guarded by `confirm` (issue 10 §3, §4).
 *
 * Everything reads only the queue's own keys (its ready/dead lists, delayed
 * zset, and the active lists of the workers in its workers zset): never a
 * scan of the key space. Searching scans a bounded window of the state's
 * key per call (queue/lua/window.lua).
 *
 * Ownership as in queue.h: ops reference the envelopes and strings passed
 * in; parsed values borrow the reply.
 */
#ifndef SENTIA_QUEUE_INSPECT_H
#define SENTIA_QUEUE_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "queue/queue.h"

enum queue_state {
    QUEUE_STATE_READY,
    QUEUE_STATE_DELAYED,
    QUEUE_STATE_ACTIVE,
    QUEUE_STATE_DEAD,
};

enum {
    QUEUE_SEARCH_BUDGET = 5000, /* envelopes one listing call looks at, at most */
};

/* "ready", …; and back (0, or -1 for anything else). */
const char *queue_state_name(enum queue_state s);
int queue_state_parse(const char *s, enum queue_state *out);

struct queue_window_query {
    enum queue_state state;
    int64_t first;      /* position (0 = the job workers take next) */
    int want;           /* most matches, ≥ 1 */
    int budget;         /* most envelopes looked at, ≥ want */
    const char *q;      /* substring of the envelope bytes, or NULL */
    const char *type;   /* exact type, or NULL */
};

/* One window of a state; the op owns the type needle it builds. */
void queue_op_window(struct queue_op *op, const char *prefix, const char *queue,
                     const struct queue_window_query *w);

struct queue_window {
    int64_t total;  /* jobs in the state now */
    int64_t next;   /* position after the last one looked at, -1 at the end */
    size_t first;   /* envelopes: r->element[first + 2i], worker [first + 2i + 1] */
    size_t count;
};

/* 0, or -1 if malformed. */
int queue_parse_window(const redisReply *r, struct queue_window *out);

/* Finds job id anywhere in the queue (active_only: in active lists only). */
void queue_op_find(struct queue_op *op, const char *prefix, const char *queue,
                   const char *id, bool active_only);

struct queue_found {
    enum queue_state state;
    const redisReply *envelope;
    const char *worker; /* "" unless active */
};

/* 1 found, 0 absent, -1 malformed. */
int queue_parse_find(const redisReply *r, struct queue_found *out);

/*
 * Deletes one job by its exact envelope from ready, delayed or dead (never
 * active); a tracked job's record becomes "deleted". Reply: 1 or 0.
 */
void queue_op_remove(struct queue_op *op, const char *prefix, const char *queue,
                     enum queue_state state, const char *id, const char *envelope,
                     size_t len, bool tracked);

/* Drops the dead list only if it holds exactly confirm jobs. */
void queue_op_dead_drop(struct queue_op *op, const char *prefix, const char *queue,
                        int64_t confirm);

/* LRANGE of the whole dead list (newest first), to build a dead_retry. */
void queue_op_dead_read(struct queue_op *op, const char *prefix, const char *queue);

/*
 * The dead_retry call for the list read by queue_op_dead_read (reply rd):
 * fresh envelopes (attempt 0) oldest first; ones that do not decode stay
 * dead and are counted in *malformed. Owns the envelopes it built: keep the
 * op and rd alive until it ran, then queue_dead_retry_dispose().
 */
struct queue_dead_retry {
    struct queue_op op;
    char **fresh;
    size_t n;
};
void queue_dead_retry_build(struct queue_dead_retry *dr, const char *prefix,
                            const char *queue, int64_t confirm, const redisReply *rd,
                            int64_t *malformed);
void queue_dead_retry_dispose(struct queue_dead_retry *dr);

/*
 * The bulk replies ({status, n}): 0 done (*n touched), 1 confirm mismatch
 * (*n the real count), 2 the list changed while read (read again), -1
 * malformed.
 */
int queue_parse_bulk(const redisReply *r, int64_t *n);

#endif
