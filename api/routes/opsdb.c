/*
 * api/routes/opsdb.c: SELECT 1 then ops_data_status() on the read pool
 * (see opsdb.h). One record per look; it lives until its last Postgres
 * callback, whether the request is still there or not.
 */
#include "api/routes/opsdb.h"

#include <stdlib.h>

#include "api/ctx.h"
#include "api/pending.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"

struct opsdb_run {
    struct api_pending pending; /* first: the expiry callback casts back */
    struct pgpool *pool;
    opsdb_cb cb;
    void *data;
    bool delivered;
    uint64_t sent_us;
    struct opsdb o;
};

static void opsdb_free(struct opsdb_run *r)
{
    json_decref(r->o.data);
    free(r);
}

/* Runs the callback once, with the request if it is still alive. */
static void opsdb_deliver(struct opsdb_run *r)
{
    if (r->delivered)
        return;
    r->delivered = true;
    h2o_req_t *req = api_pending_end(&r->pending);
    r->cb(req, &r->o, r->data);
}

static void opsdb_expired(struct api_pending *p)
{
    struct opsdb_run *r = (struct opsdb_run *)p;
    if (r->o.error == NULL)
        r->o.error = "postgres did not answer in time";
    opsdb_deliver(r);
}

static void opsdb_on_data(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct opsdb_run *r = data;
    if (err == NULL && PQntuples(res) == 1)
        r->o.data = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    if (r->o.data == NULL && r->o.error == NULL)
        r->o.error = err ? "ops_data_status() failed" : "ops_data_status() gave no document";
    if (err != NULL)
        log_warn(LOG_FIELDS(LF_STR("error", err->message)), "ops data: query failed");
    opsdb_deliver(r);
    opsdb_free(r);
}

static void opsdb_on_ping(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct opsdb_run *r = data;
    (void)res;
    if (err != NULL || r->delivered) {
        if (err != NULL)
            r->o.error = err->unavailable ? "postgres unreachable" : "SELECT 1 failed";
        opsdb_deliver(r);
        opsdb_free(r);
        return;
    }
    r->o.up = true;
    r->o.latency_ms = (double)(clock_mono_us() - r->sent_us) / 1000.0;
    pgpool_query(r->pool, "SELECT ops_data_status()::text", 0, NULL, 0, opsdb_on_data, r);
}

void opsdb_collect(h2o_req_t *req, opsdb_cb cb, void *data)
{
    struct opsdb_run *r = mem_calloc(1, sizeof *r);
    r->pool = api_ctx_pg_read(req);
    r->cb = cb;
    r->data = data;
    r->o.configured = r->pool != NULL;
    api_pending_begin(&r->pending, api_ctx_db_pending(req), req, opsdb_expired);
    if (r->pool == NULL) {
        r->o.error = "DATABASE_URL is not set";
        opsdb_deliver(r);
        opsdb_free(r);
        return;
    }
    pgpool_usage(r->pool, &r->o.pool);
    r->sent_us = clock_mono_us();
    pgpool_query(r->pool, "SELECT 1", 0, NULL, OPSDB_PING_TIMEOUT_MS, opsdb_on_ping, r);
}

json_t *opsdb_pool_json(const struct opsdb *o)
{
    json_t *doc = json_pack("{ss}", "status", !o->configured ? "not_configured"
                                              : o->up        ? "up"
                                                             : "down");
    if (o->up)
        json_object_set_new(doc, "latency_ms", json_real(o->latency_ms));
    if (o->error != NULL && !o->up)
        json_object_set_new(doc, "error", json_string(o->error));
    if (o->configured)
        json_object_set_new(doc, "pool",
                            json_pack("{sisisisi}", "size", o->pool.size, "in_use",
                                      o->pool.in_use, "idle", o->pool.idle, "queued",
                                      o->pool.queued));
    return doc;
}
