/*
 * queue/track.h: tracking records of command jobs, so a dashboard command's
 * status_url can follow its job until it ends and for an hour after.
 *
 * A tracked job carries "track":true in its envelope (queue/job.h). Its
 * record is a small hash "<prefix>:{Q}:track:<id>" (the queue's hash slot,
 * so the lifecycle scripts update it atomically with the job):
 *   queue, type, state (ready | delayed | succeeded | dead | deleted),
 *   attempts (runs started), max_attempts, last_error, created_ms,
 *   started_ms, finished_ms, requested_by, request_id.
 * enqueue.lua writes it with the job (TTL QUEUE_TRACK_LIVE_TTL_S, so a job
 * lost with its queue cannot keep it forever); ack.lua, fail.lua and
 * remove.lua update it and set QUEUE_TRACK_TTL_S once the job ended. A job
 * running now is found in the active lists (find.lua, active only).
 * Because a status URL names only the id, "<prefix>:jobq:<id>" holds the
 * queue's name (written before the enqueue, same live TTL).
 * Untracked jobs cost nothing: no record, no index, no extra key in scripts.
 *
 * Ownership as in queue.h; parsed records borrow the reply.
 */
#ifndef SENTIA_QUEUE_TRACK_H
#define SENTIA_QUEUE_TRACK_H

#include <stdint.h>

#include "queue/queue.h"

enum {
    QUEUE_TRACK_TTL_S = 3600,            /* after the end (fixed in the scripts) */
    QUEUE_TRACK_LIVE_TTL_S = 8 * 86400,  /* until the end */
};

/* Who asked, for the record. */
struct queue_track_origin {
    const char *requested_by;
    const char *request_id;
};

/* Appends the record's key of job id in queue to a. */
void queue_track_add_key(struct redis_args *a, const char *prefix,
                         const char *queue, const char *id);

/* SET <prefix>:jobq:<id> queue (live TTL). */
void queue_op_track_index(struct queue_op *op, const char *prefix, const char *id,
                          const char *queue);
/* GET <prefix>:jobq:<id>: the queue's name, or nil. */
void queue_op_track_locate(struct queue_op *op, const char *prefix, const char *id);

/*
 * Enqueues job (job->track must be true) now with its record: one script
 * call (queue/lua/enqueue.lua). Reply as queue_parse_enqueue.
 */
void queue_op_enqueue_tracked(struct queue_op *op, const char *prefix,
                              const struct job *job, const char *envelope,
                              size_t len, const struct queue_track_origin *who);

/* HGETALL of the record. */
void queue_op_track_get(struct queue_op *op, const char *prefix, const char *queue,
                        const char *id);

/* A record read back; strings borrow the reply (NULL when absent). */
struct queue_track {
    const char *queue, *type, *state, *last_error, *requested_by, *request_id;
    int64_t attempts, max_attempts, created_ms, started_ms, finished_ms; /* 0 = unknown */
};

/* 1 when found, 0 when there is no record, -1 when the reply is malformed. */
int queue_parse_track(const redisReply *r, struct queue_track *out);

#endif
