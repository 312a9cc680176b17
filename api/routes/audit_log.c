/*
 * api/routes/audit_log.c: audit rows through the thread's pool, with the
 * Redis fallback list and its drain (see audit_log.h).
 */
#include "api/routes/audit_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/pgpool.h"
#include "lib/redis.h"

static const char audit_sql[] =
    "INSERT INTO audit_log (subject, role, auth_kind, action, target, request_id, "
    "outcome, detail, at) VALUES ($1, $2, $3, $4, NULLIF($5, ''), NULLIF($6, ''), $7, "
    "$8::jsonb, COALESCE(NULLIF($9, '')::timestamptz, now()))";

/* One row on its way: the JSON form (also the fallback list's element). */
struct audit_write {
    struct pgpool *pool;
    struct redis_client *redis;
    char *prefix;
    json_t *row;
};

static const char *const audit_fields[] = {"subject", "role", "auth_kind", "action",
                                           "target",  "request_id", "outcome"};

static void audit_write_free(struct audit_write *w)
{
    json_decref(w->row);
    free(w->prefix);
    free(w);
}

struct pgpool *audit_log_pool(h2o_req_t *req)
{
    return api_ctx_pg(req);
}

bool audit_log_ready(const struct pgpool *pool)
{
    return pool != NULL && pgpool_up(pool);
}

static void audit_drain(struct pgpool *pool, struct redis_client *redis, const char *prefix);

static void audit_lost(void *data, const redisReply *r, const char *error)
{
    struct audit_write *w = data;
    if (error != NULL || r == NULL || r->type == REDIS_REPLY_ERROR) {
        char *text = json_dumps(w->row, JSON_COMPACT);
        log_error(LOG_FIELDS(LF_STR("row", text)),
                  "audit row could be written neither to Postgres nor to Redis");
        free(text);
    }
    audit_write_free(w);
}

/* Keeps the row in "<prefix>:audit:pending" for a later drain. */
static void audit_fallback(struct audit_write *w)
{
    struct redis_args a;
    char *text = json_dumps(w->row, JSON_COMPACT);
    redis_args_init(&a);
    redis_args_add(&a, "RPUSH");
    redis_args_add_fmt(&a, "%s:audit:pending", w->prefix);
    redis_args_add(&a, text);
    if (w->redis == NULL || redis_client_command(w->redis, 0, audit_lost, w, &a) != 0)
        audit_lost(w, NULL, "not connected");
    redis_args_dispose(&a);
    free(text);
}

static void audit_inserted(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct audit_write *w = data;
    (void)res;
    if (err != NULL) {
        log_warn(LOG_FIELDS(LF_STR("error", err->message)),
                 "audit row kept in Redis until Postgres is back");
        audit_fallback(w);
        return;
    }
    audit_drain(w->pool, w->redis, w->prefix);
    audit_write_free(w);
}

static void audit_insert(struct audit_write *w)
{
    const char *params[9];
    for (size_t i = 0; i < 7; i++) {
        params[i] = json_string_value(json_object_get(w->row, audit_fields[i]));
        if (params[i] == NULL)
            params[i] = "";
    }
    char *detail = json_dumps(json_object_get(w->row, "detail"), JSON_COMPACT | JSON_ENCODE_ANY);
    params[7] = detail ? detail : "null";
    params[8] = json_string_value(json_object_get(w->row, "at"));
    if (params[8] == NULL)
        params[8] = "";
    if (w->pool == NULL) {
        free(detail);
        audit_fallback(w);
        return;
    }
    pgpool_query(w->pool, audit_sql, 9, params, 0, audit_inserted, w);
    free(detail);
}

static struct audit_write *audit_write_new(struct pgpool *pool, struct redis_client *redis,
                                           const char *prefix, json_t *row)
{
    struct audit_write *w = mem_calloc(1, sizeof *w);
    w->pool = pool;
    w->redis = redis;
    w->prefix = mem_strdup(prefix);
    w->row = row;
    return w;
}

void audit_log_write(struct pgpool *pool, struct redis_client *redis, const char *prefix,
                     const struct audit_entry *e)
{
    const struct api_caller *c = e->caller;
    json_t *row = json_pack("{sssssssssssssssO}", "subject", c->subject, "role",
                            api_role_name(c->role), "auth_kind",
                            api_caller_auth_name(c), "action",
                            e->action, "target", e->target ? e->target : "", "request_id",
                            e->request_id ? e->request_id : "", "outcome", e->outcome,
                            "detail", e->detail ? e->detail : json_null());
    if (row == NULL)
        abort(); /* only on a non-UTF-8 subject, which the gate never admits */
    char at[40];
    int64_t ms = clock_wall_ms();
    time_t sec = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&sec, &tm);
    size_t n = strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(at + n, sizeof at - n, ".%03dZ", (int)(ms % 1000));
    json_object_set_new(row, "at", json_string(at));
    audit_insert(audit_write_new(pool, redis, prefix, row));
}

/* ---- draining the fallback list ------------------------------------------- */

struct audit_drain_ctx {
    struct pgpool *pool;
    struct redis_client *redis;
    char *prefix;
};

static void audit_popped(void *data, const redisReply *r, const char *error)
{
    struct audit_drain_ctx *d = data;
    json_t *row = NULL;
    if (error == NULL && r != NULL && r->type == REDIS_REPLY_STRING)
        row = json_loadb(r->str, r->len, 0, NULL);
    if (json_is_object(row))
        audit_insert(audit_write_new(d->pool, d->redis, d->prefix, row));
    else
        json_decref(row);
    free(d->prefix);
    free(d);
}

/* Pops one kept row and inserts it; its success pops the next one. */
static void audit_drain(struct pgpool *pool, struct redis_client *redis, const char *prefix)
{
    if (redis == NULL)
        return;
    struct audit_drain_ctx *d = mem_calloc(1, sizeof *d);
    struct redis_args a;
    d->pool = pool;
    d->redis = redis;
    d->prefix = mem_strdup(prefix);
    redis_args_init(&a);
    redis_args_add(&a, "LPOP");
    redis_args_add_fmt(&a, "%s:audit:pending", prefix);
    if (redis_client_command(redis, 0, audit_popped, d, &a) != 0) {
        free(d->prefix);
        free(d);
    }
    redis_args_dispose(&a);
}
