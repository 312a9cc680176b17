/*
 * api/routes/opsdb.h: the database side of the operations routes — a
 * SELECT 1 on this thread's read pool (its latency says whether the API
 * reaches Postgres) followed by ops_data_status() (migrations/functions/:
 * sync freshness, the newest forecast runs, working-capital age), for
 * /metrics, /health/detailed and /api/v1/slo.
 *
 * Ownership: the struct opsdb passed to the callback is borrowed for the
 * call; `data` is the caller's. The callback runs exactly once: with the
 * request (still alive) or with req NULL when h2o disposed it meanwhile, so
 * the caller can free what it passed in. Bounded by the thread's Postgres
 * deadline (api_ctx_db_pending) and OPSDB_PING_TIMEOUT_MS for the ping.
 */
#ifndef SENTIA_API_ROUTES_OPSDB_H
#define SENTIA_API_ROUTES_OPSDB_H

#include <h2o.h>
#include <jansson.h>
#include <stdbool.h>

#include "lib/pgpool.h"

enum { OPSDB_PING_TIMEOUT_MS = 2000 };

struct opsdb {
    bool configured;          /* DATABASE_URL is set */
    bool up;                  /* SELECT 1 answered in time */
    double latency_ms;        /* of that SELECT 1 */
    struct pgpool_usage pool; /* at the start of the look */
    json_t *data;             /* ops_data_status(), NULL when it failed */
    const char *error;        /* why not up / no data, or NULL */
};

typedef void (*opsdb_cb)(h2o_req_t *req, const struct opsdb *o, void *data);

void opsdb_collect(h2o_req_t *req, opsdb_cb cb, void *data);

/* The opsdb as JSON for /health/detailed's components.postgres.api. */
json_t *opsdb_pool_json(const struct opsdb *o);

#endif
