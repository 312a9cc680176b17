/*
 * worker/kit/sync.c: the shared sync pass (see sync.h for the steps).
 *
 * State: one struct sync_pass per run, attached with job_run_set_state, so
 * the runtime frees it whenever the run ends (a timeout cancels our
 * callbacks). Every callback that finishes the run copies what its message
 * needs first. The lock is released (fire and forget) before any finish;
 * a release lost to a crash only costs the lease TTL.
 */
#include "worker/kit/sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "worker/kit/pg_outcome.h"
#include "worker/kit/synclock.h"
#include "worker/providers/provider.h"

const struct config_var sync_config_vars[] = {
    {"SYNC_LOCK_TTL_MS", CONFIG_INT, "60000", 0, 1000, 3600000, NULL, false},
    {"SYNC_HTTP_TIMEOUT_MS", CONFIG_INT, "30000", 0, 1000, 600000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

static const char begin_sql[] = "SELECT sync_begin($1, $2, $3::bigint, $4)::text";
static const char page_sql[] =
    "SELECT sync_page($1, $2, $3, $4::bigint, $5::jsonb, $6, $7::integer, $8)::text";
static const char failed_sql[] = "SELECT sync_failed($1, $2, $3, $4, $5, $6)::text";

struct sync_pass {
    struct job_run *run;
    const struct sync_ops *ops;
    const struct config *cfg;
    struct ratelimit_spec limit;
    struct ratelimit_req rl;
    struct synclock lock;
    int lock_ttl_ms;
    int64_t cursor_ms;
    char *position; /* NULL: the pass's first page */
    char *next;     /* the position being committed */
    size_t skipped; /* rows the page being committed skipped */
    char sync_account[SYNC_ACCOUNT_MAX + 1];
    char field[160]; /* "<source>:<resource>" or "<source>:<account>:<resource>" */
    int waits;      /* 429 waits for the current page */
    bool reauthed;  /* ops->reauth tried for the current page */
    int pages;      /* pages committed by this run */
    int64_t rows;   /* rows committed by this run */
    void *family;
    void (*family_free)(void *);
    struct sync_mirror mirror;
    /* how the run ends once the failure is recorded */
    enum { END_FAIL, END_PERMANENT } end;
    char why[JOB_ERROR_MAX + 1];
};

static void sync_pass_free(void *state)
{
    struct sync_pass *p = state;
    if (p->family_free)
        p->family_free(p->family);
    free(p->position);
    free(p->next);
    free(p);
}

/* ---- accessors ------------------------------------------------------------------ */

struct job_run *sync_pass_run(const struct sync_pass *p) { return p->run; }
const struct config *sync_pass_cfg(const struct sync_pass *p) { return p->cfg; }
/* The provider account (integrations row): the sync account for families
 * whose limiter depends on it, else the limiter's account. */
const char *sync_pass_account(const struct sync_pass *p)
{
    return p->ops->account_limiter ? p->sync_account : p->limit.account;
}
int sync_pass_kind(const struct sync_pass *p) { return p->ops->kind; }
const char *sync_pass_sync_account(const struct sync_pass *p) { return p->sync_account; }
int64_t sync_pass_cursor_ms(const struct sync_pass *p) { return p->cursor_ms; }
void *sync_pass_family(const struct sync_pass *p) { return p->family; }

void sync_pass_set_family(struct sync_pass *p, void *state, void (*destroy)(void *))
{
    if (p->family_free)
        p->family_free(p->family);
    p->family = state;
    p->family_free = destroy;
}

/* ---- Redis: status mirror and lock ------------------------------------------------ */

static void sync_on_mirrored(struct job_run *run, const redisReply *r, const char *error,
                             void *data)
{
    struct sync_mirror m = *(struct sync_mirror *)data;
    (void)r;
    if (error != NULL)
        log_warn(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id), LF_STR("error", error)),
                 "could not mirror the sync status to redis");
    if (m.cb)
        m.cb(run, m.data);
}

void sync_mirror_status(struct job_run *run, const char *source, const char *resource,
                        const char *status_json, struct sync_mirror *m)
{
    char field[160];
    snprintf(field, sizeof field, "%s:%s", source, resource);
    sync_mirror_field(run, field, status_json, m);
}

void sync_mirror_field(struct job_run *run, const char *field, const char *status_json,
                       struct sync_mirror *m)
{
    struct redis_args a;
    redis_args_init(&a);
    redis_args_add(&a, "HSET");
    redis_args_add_fmt(&a, "%s:sync:status", job_run_services(run)->prefix);
    redis_args_add(&a, field);
    redis_args_add(&a, status_json);
    job_run_redis(run, NULL, 0, &a, sync_on_mirrored, m);
    redis_args_dispose(&a);
}

/* The lock's two keys for a (source, resource). */
/* Sends "release" for our lock (no reply awaited). */
static void sync_unlock(struct sync_pass *p)
{
    synclock_release(p->run, &p->lock);
}

/* ---- finishing ---------------------------------------------------------------------- */

static void sync_log(const struct sync_pass *p, const char *msg)
{
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(p->run)->id), LF_STR("source", p->ops->source),
                        LF_STR("resource", p->ops->resource), LF_INT("pages", p->pages),
                        LF_INT("rows", p->rows)),
             "%s", msg);
}

static void sync_finish_failed(struct job_run *run, void *data)
{
    struct sync_pass *p = data;
    char why[JOB_ERROR_MAX + 1];
    snprintf(why, sizeof why, "%s", p->why);
    sync_unlock(p);
    if (p->end == END_PERMANENT)
        job_run_fail_permanent(run, "%s", why);
    else
        job_run_fail(run, "%s", why);
}

static void sync_on_failed_recorded(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct sync_pass *p = data;
    if (err != NULL || PQntuples(res) != 1) {
        sync_finish_failed(p->run, p);
        return;
    }
    p->mirror = (struct sync_mirror){sync_finish_failed, p};
    sync_mirror_field(p->run, p->field, PQgetvalue(res, 0, 0), &p->mirror);
}

/*
 * Records the failure in sync_state (and the integration when `integration`
 * is set), mirrors the status, then fails the run.
 */
static void sync_fail(struct sync_pass *p, bool permanent, const char *integration,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void sync_fail(struct sync_pass *p, bool permanent, const char *integration,
                      const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(p->why, sizeof p->why, "%s.%s: ", p->ops->source, p->ops->resource);
    va_start(ap, fmt);
    vsnprintf(p->why + n, sizeof p->why - (size_t)n, fmt, ap);
    va_end(ap);
    p->end = permanent ? END_PERMANENT : END_FAIL;
    const char *params[6] = {p->ops->source, p->ops->resource, sync_pass_account(p), p->why,
                             integration, p->sync_account};
    job_run_query(p->run, failed_sql, 6, params, sync_on_failed_recorded, p);
}

static void sync_finish(struct sync_pass *p)
{
    sync_log(p, "sync pass complete");
    sync_unlock(p);
    job_run_succeed(p->run);
}

static void sync_on_follow_up(struct job_run *run, const char *error, void *data)
{
    struct sync_pass *p = data;
    if (error != NULL) {
        /* The pages are committed; only the follow-up is missing: retrying
         * the pass re-reads from the cursor and enqueues it again. */
        sync_unlock(p);
        job_run_fail(run, "sync complete but follow-up job not enqueued: %s", error);
        return;
    }
    sync_finish(p);
}

static void sync_succeed(struct job_run *run, void *data)
{
    struct sync_pass *p = data;
    if (p->ops->follow_up != NULL) {
        job_run_enqueue(run, p->ops->follow_up(clock_wall_ms()), sync_on_follow_up, p);
        return;
    }
    sync_finish(p);
}

/* ---- pages ---------------------------------------------------------------------------- */

static void sync_next_page(struct sync_pass *p);

static void sync_page_committed(struct job_run *run, void *data)
{
    (void)run;
    sync_next_page(data);
}

static void sync_on_page(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct sync_pass *p = data;
    char *next = p->next;
    p->next = NULL;
    if (err != NULL) {
        free(next);
        const char *state = err->sqlstate ? err->sqlstate : "";
        if (strcmp(state, "55000") == 0) { /* a newer lock holder: it carries on */
            sync_log(p, "sync superseded by a newer holder of the lock");
            job_run_succeed(p->run);
            return;
        }
        char what[64], why[1024];
        snprintf(what, sizeof what, "committing page %d", p->pages + 1);
        pg_outcome_describe(what, err, why, sizeof why);
        sync_fail(p, pg_outcome_permanent(err), NULL, "%s", why);
        return;
    }
    p->pages++;
    free(p->position);
    p->position = next;
    p->waits = 0;
    p->reauthed = false;
    p->mirror = (struct sync_mirror){next ? sync_page_committed : sync_succeed, p};
    sync_mirror_field(p->run, p->field, PQgetvalue(res, 0, 0), &p->mirror);
}

/* One statement: the page's rows (taken) and the next position (p->next). */
static void sync_commit_rows(struct sync_pass *p, json_t *rows)
{
    char *text = json_dumps(rows, JSON_COMPACT | JSON_REAL_PRECISION(15));
    char skipped_text[24];
    snprintf(skipped_text, sizeof skipped_text, "%zu", p->skipped);
    p->rows += (int64_t)json_array_size(rows);
    json_decref(rows);
    const char *params[8] = {p->ops->source, p->ops->resource, sync_pass_account(p), p->lock.fence,
                             text, p->next, skipped_text, p->sync_account};
    job_run_query(p->run, page_sql, 8, params, sync_on_page, p);
    free(text);
}

/* A usable 2xx answer: map the whole page, then commit it with the position. */
static void sync_commit_page(struct sync_pass *p, const struct http_response *res)
{
    json_t *rows = NULL;
    char *next = NULL, why[PROVIDER_MESSAGE_MAX + 64];
    size_t skipped = 0;
    if (p->ops->page(p, res, p->position, &rows, &next, &skipped, why, sizeof why) != 0) {
        sync_fail(p, false, NULL, "page %d unusable: %s", p->pages + 1, why);
        return;
    }
    free(p->next);
    p->next = next;
    p->skipped = skipped;
    if (p->ops->enrich != NULL)
        p->ops->enrich(p, rows);
    else
        sync_commit_rows(p, rows);
}

void sync_enriched(struct sync_pass *p, json_t *rows, const char *error, bool permanent,
                   const char *integration)
{
    if (error != NULL) {
        json_decref(rows);
        sync_fail(p, permanent, integration, "page %d: %s", p->pages + 1, error);
        return;
    }
    sync_commit_rows(p, rows);
}

void sync_defer(struct sync_pass *p, int64_t wait_ms, const char *why)
{
    sync_unlock(p);
    job_run_defer(p->run, wait_ms, "%s.%s: %s", p->ops->source, p->ops->resource, why);
}

static void sync_retry_page(struct job_run *run, void *data)
{
    (void)run;
    sync_next_page(data);
}

static void sync_on_response(void *data, const struct http_response *res)
{
    struct sync_pass *p = data;
    struct provider_outcome o;
    ratelimit_release(p->run, &p->rl);
    if (p->ops->judge != NULL)
        p->ops->judge(p, res, &o);
    else
        provider_judge(res->status, res->error, res->timed_out,
                       http_response_header(res, "retry-after"), res->body, res->body_len, &o);
    switch (o.verdict) {
    case PROVIDER_OK:
        sync_commit_page(p, res);
        break;
    case PROVIDER_WAIT:
        if (++p->waits <= SYNC_WAITS_MAX && o.wait_ms <= SYNC_WAIT_INLINE_MAX_MS) {
            job_run_after(p->run, (uint64_t)o.wait_ms, sync_retry_page, p);
        } else {
            sync_unlock(p);
            job_run_defer(p->run, o.wait_ms, "%s.%s: %s", p->ops->source, p->ops->resource,
                          o.message);
        }
        break;
    case PROVIDER_UNAUTHORISED:
        if (p->ops->reauth && !p->reauthed) {
            p->reauthed = true;
            p->ops->reauth(p);
            break;
        }
        sync_fail(p, true, "unauthorised", "page %d: %s", p->pages + 1, o.message);
        break;
    case PROVIDER_REJECTED:
        sync_fail(p, true, NULL, "page %d: %s", p->pages + 1, o.message);
        break;
    default:
        sync_fail(p, false, NULL, "page %d: %s", p->pages + 1, o.message);
        break;
    }
}

/* A limiter slot was granted: send the page's request. */
static void sync_on_slot(struct job_run *run, const char *error, void *data)
{
    struct sync_pass *p = data;
    if (error != NULL) {
        sync_fail(p, false, NULL, "rate limiter: %s", error);
        return;
    }
    char *url = p->ops->url(p, p->position);
    char *headers[SYNC_HEADERS_MAX + 2] = {0};
    size_t n = p->ops->headers(p, url, headers);
    headers[n] = mem_strdup("Accept: application/json");
    struct http_request req = {
        .method = "GET", .url = url, .headers = (const char *const *)headers,
        .timeout_ms = (int)config_int(p->cfg, "SYNC_HTTP_TIMEOUT_MS"),
        .max_response_bytes = SYNC_RESPONSE_MAX};
    job_run_http(run, &req, sync_on_response, p);
    for (size_t i = 0; headers[i]; i++)
        free(headers[i]);
    free(url);
}

static void sync_next_page(struct sync_pass *p)
{
    p->rl.spec = &p->limit;
    p->rl.cb = sync_on_slot;
    p->rl.data = p;
    ratelimit_acquire(p->run, &p->rl);
}

void sync_prepared(struct sync_pass *p, const char *error, bool permanent,
                   const char *integration)
{
    if (error != NULL) {
        sync_fail(p, permanent, integration, "%s", error);
        return;
    }
    sync_next_page(p);
}

/* ---- begin ---------------------------------------------------------------------------- */

static void sync_on_begin(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct sync_pass *p = data;
    if (err != NULL) {
        const char *state = err->sqlstate ? err->sqlstate : "";
        if (strcmp(state, "55000") == 0) {
            sync_log(p, "sync superseded by a newer holder of the lock");
            job_run_succeed(p->run);
            return;
        }
        char what[128];
        snprintf(what, sizeof what, "%s.%s: sync_begin", p->ops->source, p->ops->resource);
        sync_unlock(p);
        pg_outcome_fail(p->run, what, err);
        return;
    }
    json_t *st = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    json_t *cursor = json_object_get(st, "cursor_ms");
    const char *pos = json_string_value(json_object_get(st, "position"));
    p->cursor_ms = json_is_integer(cursor) ? json_integer_value(cursor) : -1;
    p->position = pos ? mem_strdup(pos) : NULL;
    json_decref(st);
    if (p->ops->prepare)
        p->ops->prepare(p);
    else
        sync_next_page(p);
}

static void sync_refresh_lock(struct job_run *run, void *data);

static void sync_on_refreshed(struct job_run *run, const redisReply *r, const char *error,
                              void *data)
{
    struct sync_pass *p = data;
    if (!synclock_refreshed(&p->lock, r, error)) {
        job_run_fail(run, "%s.%s: lost the sync lock (lease expired)", p->ops->source,
                     p->ops->resource);
        return;
    }
    /* a Redis hiccup is survivable: the fence still protects the commits */
    job_run_after(run, (uint64_t)p->lock_ttl_ms / 3, sync_refresh_lock, p);
}

static void sync_refresh_lock(struct job_run *run, void *data)
{
    struct sync_pass *p = data;
    synclock_refresh(run, &p->lock, p->lock_ttl_ms, sync_on_refreshed, p);
}

static void sync_on_locked(struct job_run *run, const redisReply *r, const char *error,
                           void *data)
{
    struct sync_pass *p = data;
    int64_t left = 0;
    int got = synclock_acquired(&p->lock, r, error, &left);
    if (got < 0) {
        job_run_fail(run, "%s.%s: sync lock: %s", p->ops->source, p->ops->resource,
                     error ? error : "unexpected reply");
        return;
    }
    if (got == 0) {
        uint16_t jitter;
        crypto_random(&jitter, sizeof jitter);
        job_run_defer(run, left + 100 + jitter % 500, "%s.%s: a sync is already running",
                      p->ops->source, p->ops->resource);
        return;
    }
    job_run_after(run, (uint64_t)p->lock_ttl_ms / 3, sync_refresh_lock, p);
    const char *params[4] = {p->ops->source, p->ops->resource, p->lock.fence, p->sync_account};
    job_run_query(run, begin_sql, 4, params, sync_on_begin, p);
}

void sync_run(struct job_run *run, const struct sync_ops *ops)
{
    const struct worker_services *sv = job_run_services(run);
    const char *missing = ops->missing(sv->cfg);
    if (missing != NULL) {
        job_run_fail_permanent(run, "%s not configured: %s", ops->source, missing);
        return;
    }
    char account[SYNC_ACCOUNT_MAX + 1] = "default";
    const char *why = NULL;
    if (ops->sync_account != NULL && ops->sync_account(run, account, sizeof account, &why) != 0) {
        job_run_fail_permanent(run, "%s.%s: %s", ops->source, ops->resource, why);
        return;
    }
    struct sync_pass *p = mem_calloc(1, sizeof *p);
    snprintf(p->sync_account, sizeof p->sync_account, "%s", account);
    p->run = run;
    p->ops = ops;
    p->cfg = sv->cfg;
    p->cursor_ms = -1;
    p->lock_ttl_ms = (int)config_int(sv->cfg, "SYNC_LOCK_TTL_MS");
    if (ops->account_limiter != NULL)
        ops->account_limiter(sv->cfg, p->sync_account, &p->limit);
    else
        ops->limiter(sv->cfg, &p->limit);
    if (strcmp(account, "default") == 0)
        snprintf(p->field, sizeof p->field, "%s:%s", ops->source, ops->resource);
    else
        snprintf(p->field, sizeof p->field, "%s:%s:%s", ops->source, account, ops->resource);
    synclock_init(&p->lock, run, "sync:lock", "sync:fence", p->field);
    job_run_set_state(run, p, sync_pass_free);
    synclock_acquire(run, &p->lock, p->lock_ttl_ms, sync_on_locked, p);
}
