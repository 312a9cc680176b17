/*
 * api/routes/qcall.h: the plumbing the queue and command routes share — a
 * request that runs Redis operations one after another (struct qcall), the
 * read answer with its ETag and 304, and the command frame: body
 * validation, Idempotency-Key, the audit row (api/routes/audit_log.h) and
 * the 202/200 answers (docs/API-CONTRACT.md "Commands").
 *
 * A qcall copies what it needs from the request (prefix, caller, request
 * id, path parameters), because an HTTP/2 reset may free the request while
 * Redis answers: it waits in an api_pending record with the thread's Redis
 * deadline, exactly one operation outstanding at a time. Each step gets the
 * reply and either runs the next operation (qcall_run) or answers
 * (qcall_answer*), which frees the qcall once no reply is outstanding.
 *
 * Ownership: qcall_begin() allocates; the qcall frees itself after its
 * answer (or, when the request vanished or the deadline passed, when the
 * outstanding reply arrives). `data` is freed with free() unless
 * free_data is set.
 */
#ifndef SENTIA_API_ROUTES_QCALL_H
#define SENTIA_API_ROUTES_QCALL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "api/ctx.h"
#include "queue/job.h"
#include "queue/queue.h"

enum {
    QCALL_IDEM_TTL_S = 86400,    /* Idempotency-Key answers kept 24 h */
    QCALL_IDEM_KEY_MAX = 255,
    QCALL_BODY_MAX = 64 * 1024,  /* command bodies are small */
};

struct qcall;
struct pgpool;
typedef void (*qcall_pg_fn_ptr)(struct qcall *c, PGresult *res);
typedef void qcall_step_fn(struct qcall *c, const redisReply *r);

struct qcall {
    struct api_pending pending;
    struct redis_client *redis;
    struct pgpool *pg;         /* the thread's pool, for the audit row */
    int query_timeout_ms;      /* API_QUERY_TIMEOUT_MS */
    qcall_step_fn *step;       /* runs on the next reply */
    qcall_step_fn *after;      /* qcall_need_queue's and the command frame's next step */
    qcall_pg_fn_ptr pg_next;   /* qcall_pg's next step */
    bool busy;                 /* a reply is outstanding */
    bool answered;
    char prefix[QUEUE_PREFIX_MAX + 1];
    char queue[QUEUE_NAME_MAX + 1];  /* the {queue} parameter, if any */
    char id[JOB_ID_MAX + 1];         /* the {id} parameter, if any */
    struct api_caller caller;
    char request_id[API_REQUEST_ID_MAX + 1];
    int64_t now_ms;
    /* Commands (qcall_command_begin): */
    const char *action;        /* audit action, static */
    char target[160];          /* audit target */
    char idem_key[160];        /* Redis key of the Idempotency-Key, "" if none */
    char fingerprint[65];      /* SHA-256 hex of method, path and body */
    json_t *body;              /* the command's JSON object */
    int64_t arg;               /* a route's small value */
    int retries;               /* a route's retry count */
    void *data;
    void (*free_data)(void *data);
};

/*
 * A qcall for call with `queue` and `id` copied from the path when present.
 * Answers 503 redis_unavailable and returns NULL when Redis is down, 400
 * invalid_parameter / 404 for a malformed {queue} or {id}.
 */
struct qcall *qcall_begin(struct api_call *call);
/* The same for routes that read Postgres only: no Redis check. */
struct qcall *qcall_begin_pg(struct api_call *call);
/* qcall_begin for a read that takes no query parameter (any → 400). */
struct qcall *qcall_begin_read(struct api_call *call);

enum {
    QCALL_PAGE_LIMIT_DEFAULT = 50,
    QCALL_PAGE_LIMIT_MAX = 200,
};

/*
 * A Postgres read's query string and its keyset paging. `query` is the
 * query string as {name: value}, owned by the caller (json_decref);
 * `cursor` points into it (NULL when absent); `limit` is limit + 1 as
 * text, for a LIMIT that tells whether a next page exists.
 */
struct qcall_page {
    json_t *query;
    const char *cursor;
    char limit[24];
};

/*
 * The "limit" parameter of query q into *limit: QCALL_PAGE_LIMIT_DEFAULT
 * when absent, else an integer from 1 to QCALL_PAGE_LIMIT_MAX; the 400
 * message when it is not one, else NULL.
 */
const char *qcall_limit(const json_t *q, int *limit);

/*
 * qcall_begin_pg, then the query string against `allowed` (NULL-terminated,
 * qcall_query) and its cursor (decimal digits, at most 19) and limit (1–200,
 * default 50, into c->arg) read into *page. NULL after answering: 503 as
 * qcall_begin_pg, 400 unknown_parameter / invalid_parameter.
 */
struct qcall *qcall_begin_pg_query(struct api_call *call, const char *const *allowed,
                                   struct qcall_page *page);

/*
 * A read that walks a Redis list of names one operation at a time (the
 * queues, the workers): the names, in byte order, the one being read, and
 * the answer's items so far. Owned by the qcall (c->data).
 */
struct qcall_walk {
    char **names;
    size_t n, next;
    json_t *items; /* a JSON array */
    int64_t now_ms; /* a route's clock, 0 until set */
};

/*
 * Starts a walk over the string members of array reply r that `keep`
 * accepts (NULL: all), sorted; NULL after answering 503 redis_error for a
 * reply that is not an array.
 */
struct qcall_walk *qcall_walk_begin(struct qcall *c, const redisReply *r,
                                    bool (*keep)(const char *name));

/*
 * Runs one parameterised statement on the thread's pool; `next` gets the
 * result. Pool missing or down → 503 database_unavailable; a statement
 * over API_QUERY_TIMEOUT_MS → 503 database_timeout; another error → 500.
 */
typedef void qcall_pg_fn(struct qcall *c, PGresult *res);
void qcall_pg(struct qcall *c, const char *sql, int nparams, const char *const *params,
              qcall_pg_fn *next);

/* Runs op (then disposes it); `next` gets the reply. */
void qcall_run(struct qcall *c, struct queue_op *op, qcall_step_fn *next);

/* Reads: 200 with ETag + Cache-Control (or 304 on a matching If-None-Match). */
void qcall_answer_read(struct qcall *c, json_t *doc);
/* Answers status with doc (commands: stored for the Idempotency-Key, audited). */
void qcall_answer(struct qcall *c, int status, json_t *doc);
/* Answers an error (commands: stored and audited as well). */
void qcall_fail(struct qcall *c, int status, const char *code, const char *message);

/*
 * Checks that c->queue is a registered queue, then runs `next` with the
 * SISMEMBER reply already checked (404 otherwise).
 */
void qcall_need_queue(struct qcall *c, qcall_step_fn *next);

/*
 * The command frame. Validates the body against `fields` (NULL-terminated
 * names the object may hold; others → 400 unknown_field), the
 * Content-Type (415) and the Idempotency-Key (400), then — for a key seen
 * before — replays the first answer (or 422 when it came with another
 * request); otherwise runs `start`. Postgres unavailable for the audit row →
 * 503 database_unavailable before anything is done. `target` names what the
 * command acts on for the audit row.
 */
void qcall_command_begin(struct api_call *call, const char *action, const char *target,
                         const char *const *fields, qcall_step_fn *start);

/*
 * The query string as {name: value} (percent-decoded), every name one of
 * `allowed` (NULL-terminated) and given once; NULL after answering 400
 * unknown_parameter / invalid_parameter.
 */
json_t *qcall_query(struct qcall *c, h2o_req_t *req, const char *const *allowed);

/* "2026-12-04T18:30:00.123Z" of epoch ms, or JSON null for 0. */
json_t *qcall_time(int64_t ms);

/* The ETag of body bytes into out ("\"<32 hex>\""), for reads. */
void qcall_etag(const char *body, size_t len, char out[35]);

#endif
