/*
 * api/routes/audit_log.h: one audit_log row per dashboard command
 * (migrations/0006_auth.sql; docs/API-CONTRACT.md "Audit"), written
 * asynchronously through the API thread's Postgres pool.
 *
 * A command starts only when the pool is up (audit_log_ready): otherwise it
 * is answered 503 database_unavailable and nothing is done. A row whose
 * INSERT fails anyway (Postgres went down between the check and the write)
 * is never dropped: it is pushed, as JSON with its time, onto the Redis list
 * "<prefix>:audit:pending", and every later successful INSERT on any API
 * thread drains that list one row at a time (LPOP, INSERT with the row's own
 * time). Only when both Postgres and Redis fail is the row lost, and then it
 * is written to the log at error level in full.
 *
 * Ownership: the entry's strings and detail are copied.
 */
#ifndef SENTIA_API_ROUTES_AUDIT_LOG_H
#define SENTIA_API_ROUTES_AUDIT_LOG_H

#include <jansson.h>
#include <stdbool.h>

#include "api/ctx.h"

struct pgpool;
struct redis_client;

struct audit_entry {
    const struct api_caller *caller;
    const char *action;     /* AuditAction, e.g. "queue.pause" */
    const char *target;     /* e.g. "queue:webhooks" */
    const char *request_id;
    const char *outcome;    /* accepted | done | replayed | refused | failed */
    json_t *detail;         /* object: status, code, job_id, confirm, touched… */
};

/* The request thread's Postgres pool (NULL when the API has none). */
struct pgpool *audit_log_pool(h2o_req_t *req);
/* True when rows can be written now (the pool exists and is up). */
bool audit_log_ready(const struct pgpool *pool);
/* Writes e (see above); pool may be NULL (then straight to the Redis list). */
void audit_log_write(struct pgpool *pool, struct redis_client *redis, const char *prefix,
                     const struct audit_entry *e);

#endif
