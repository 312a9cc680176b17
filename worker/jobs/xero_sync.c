/*
 * worker/jobs/xero_sync.c: the Xero job family (jobs.h) and its OAuth2 tokens.
 *
 *   xero.sync_invoices, xero.sync_contacts  (queue `sync`, worker/kit/sync.c):
 *     pages ?page=N until a short page, If-Modified-Since = cursor;
 *   xero.event (queue `webhooks`, one webhook event): fetches the one
 *     changed invoice or contact from XERO_API_BASE and upserts it.
 *
 * Tokens (struct xero_auth, in the run's state):
 *   1. load     the sealed box from `credentials` (AES-256-GCM under
 *               CREDENTIALS_KEY, associated data "xero/<tenant>/tokens");
 *               an access token valid for another minute is used as is;
 *   2. lock     otherwise take the refresh lock (worker/kit/lua/synclock.lua on
 *               <prefix>:xero:refresh:{<tenant>}) so replicas refresh one at
 *               a time — a replica that finds it taken waits and reloads;
 *               with the lock held, reload (someone may just have refreshed);
 *   3. refresh  POST XERO_IDENTITY_URL with the stored refresh token (or, the
 *               very first time, XERO_REFRESH_TOKEN);
 *   4. store    the rotated refresh token and the access token are sealed and
 *               written AT ONCE by one statement that does nothing else
 *               (credentials_put, compare-and-swap on version), before the
 *               access token is used. A crash between 3 and 4 loses the new
 *               token, but Xero accepts the old one again for 30 minutes
 *               (grace), so the next run refreshes again.
 *   invalid_grant → the integration is marked disconnected and the job is
 *   dead with the reason: an operator must re-authorise.
 */
#include "worker/jobs/planning.h"
#include "worker/jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "worker/kit/pg_outcome.h"
#include "worker/providers/provider.h"
#include "worker/kit/ratelimit.h"
#include "worker/kit/sync.h"
#include "worker/kit/synclock.h"
#include "worker/providers/xero.h"

static const struct config_var jobs_xero_config_vars[] = {
    {"XERO_API_BASE", CONFIG_URL_HTTP, "https://api.xero.com/api.xro/2.0", 0, 0, 0, NULL, false},
    {"XERO_IDENTITY_URL", CONFIG_URL_HTTP, "https://identity.xero.com/connect/token", 0, 0, 0,
     NULL, false},
    {"XERO_CLIENT_ID", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"XERO_CLIENT_SECRET", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    {"XERO_TENANT_ID", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"XERO_REFRESH_TOKEN", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    {"CREDENTIALS_KEY", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    {"XERO_PAGE_SIZE", CONFIG_INT, "100", 0, 1, XERO_PAGE_SIZE_MAX, NULL, false},
    {"XERO_RATE_PER_MIN", CONFIG_INT, "60", 0, 0, 100000, NULL, false},
    {"XERO_RATE_WINDOW_MS", CONFIG_INT, "60000", 0, 100, 3600000, NULL, false},
    {"XERO_CONCURRENCY", CONFIG_INT, "5", 0, 0, 1000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

enum {
    XERO_LOCK_MARGIN_MS = 5000,   /* the refresh lock outlives the token request by this */
    XERO_LOCK_POLL_MS = 200,      /* a waiting replica reloads this often… */
    XERO_BOX_MAX = 32 * 1024,     /* sealed token document */
};

/* The refresh lock's lease: the token request's timeout plus a margin. */
static int xero_lock_ttl_ms(const struct config *cfg)
{
    return (int)config_int(cfg, "SYNC_HTTP_TIMEOUT_MS") + XERO_LOCK_MARGIN_MS;
}

static const char load_sql[] =
    "SELECT encode(box, 'hex'), version FROM credentials"
    " WHERE provider = 'xero' AND account = $1 AND name = 'tokens'";
static const char put_sql[] = "SELECT credentials_put('xero', $1, 'tokens', $2, $3::bigint)";
static const char mark_sql[] = "SELECT integration_mark('xero', $1, $2, $3)";
static const char apply_sql[] = "SELECT sync_apply('xero', $1, $2::jsonb)";

/* ---- configuration ------------------------------------------------------------------ */

static const char *jobs_xero_missing(const struct config *cfg)
{
    uint8_t key[CRYPTO_AEAD_KEY_LEN];
    if (config_str(cfg, "XERO_CLIENT_ID") == NULL || config_str(cfg, "XERO_CLIENT_SECRET") == NULL)
        return "XERO_CLIENT_ID and XERO_CLIENT_SECRET are required";
    if (config_str(cfg, "XERO_TENANT_ID") == NULL)
        return "XERO_TENANT_ID is not set";
    if (crypto_aead_key_parse(config_str(cfg, "CREDENTIALS_KEY"), key) != 0)
        return "CREDENTIALS_KEY (32 bytes: 64 hex digits or base64) is required to keep the "
               "rotating refresh token";
    return NULL;
}

static void xero_limiter(const struct config *cfg, struct ratelimit_spec *spec)
{
    ratelimit_window(spec, "xero", config_str(cfg, "XERO_TENANT_ID"),
                     (int)config_int(cfg, "XERO_RATE_PER_MIN"),
                     (int)config_int(cfg, "XERO_RATE_WINDOW_MS"),
                     (int)config_int(cfg, "XERO_CONCURRENCY"),
                     (int)config_int(cfg, "SYNC_HTTP_TIMEOUT_MS") + 5000);
}

/* ---- tokens ------------------------------------------------------------------------------ */

struct xero_auth {
    struct job_run *run;
    const struct config *cfg;
    void (*done)(struct xero_auth *a, const char *error, bool permanent, const char *integration);
    void *data;
    char *access_token;      /* the result */
    char *refresh_token;     /* as stored (or from the environment) */
    int64_t version;         /* of the stored box; 0 = none */
    int tries;
    struct synclock lock;    /* the tenant's token refresh lock */
    bool renew;              /* the cached access token was refused: refresh anyway */
    struct xero_token fresh; /* a refresh's answer, until stored */
    char ad[160];            /* associated data */
    char why[PROVIDER_MESSAGE_MAX + 128];
};

static void xero_auth_free(struct xero_auth *a)
{
    free(a->access_token);
    free(a->refresh_token);
    xero_token_dispose(&a->fresh);
    free(a);
}

static const char *xero_tenant(const struct xero_auth *a)
{
    return config_str(a->cfg, "XERO_TENANT_ID");
}

static void xero_auth_load(struct xero_auth *a);

static void xero_unlock(struct xero_auth *a)
{
    synclock_release(a->run, &a->lock);
}

static void xero_auth_end(struct xero_auth *a, const char *error, bool permanent,
                          const char *integration)
{
    xero_unlock(a);
    a->done(a, error, permanent, integration);
}

/* The sealed document {refresh_token, access_token, expires_ms} as hex. */
static char *xero_seal(const struct xero_auth *a, const uint8_t *key)
{
    int64_t expires = clock_wall_ms() + a->fresh.expires_in_s * 1000;
    json_t *doc = json_pack("{sssssI}", "refresh_token", a->fresh.refresh_token, "access_token",
                            a->fresh.access_token, "expires_ms", (json_int_t)expires);
    char *plain = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    size_t len = strlen(plain);
    uint8_t *box = mem_alloc(len + CRYPTO_AEAD_OVERHEAD);
    long n = crypto_aead_seal(key, a->ad, strlen(a->ad), plain, len, box);
    char *hex = mem_alloc(2 * (size_t)(n > 0 ? n : 0) + 1);
    crypto_hex_encode(box, (size_t)(n > 0 ? n : 0), hex);
    memset(plain, 0, len);
    free(plain);
    free(box);
    return hex;
}

static void xero_on_stored(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct xero_auth *a = data;
    if (err != NULL) {
        pg_outcome_describe("storing the rotated Xero tokens", err, a->why, sizeof a->why);
        xero_auth_end(a, a->why, pg_outcome_permanent(err), NULL);
        return;
    }
    if (PQgetisnull(res, 0, 0)) { /* our lock had expired and another replica wrote */
        a->version = -1;
        char v[24];
        uint8_t key[CRYPTO_AEAD_KEY_LEN];
        crypto_aead_key_parse(config_str(a->cfg, "CREDENTIALS_KEY"), key);
        char *hex = xero_seal(a, key);
        snprintf(v, sizeof v, "-1");
        const char *params[3] = {xero_tenant(a), hex, v};
        job_run_query(a->run, put_sql, 3, params, xero_on_stored, a);
        free(hex);
        return;
    }
    free(a->access_token);
    a->access_token = mem_strdup(a->fresh.access_token);
    a->renew = false;
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(a->run)->id), LF_STR("tenant", xero_tenant(a))),
             "xero tokens rotated and stored");
    xero_auth_end(a, NULL, false, NULL);
}

static void xero_on_marked(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct xero_auth *a = data;
    (void)res, (void)err;
    xero_auth_end(a, a->why, true, NULL);
}

static void xero_on_token(void *data, const struct http_response *res)
{
    struct xero_auth *a = data;
    bool invalid_grant = false;
    char why[PROVIDER_MESSAGE_MAX];
    if (res->status == 0) {
        snprintf(a->why, sizeof a->why, "xero token endpoint: %s",
                 res->timed_out ? "timeout" : res->error ? res->error : "transfer failed");
        xero_auth_end(a, a->why, false, NULL);
        return;
    }
    if (xero_token_parse(res->status, res->body, res->body_len, &a->fresh, &invalid_grant, why,
                         sizeof why) != 0) {
        snprintf(a->why, sizeof a->why, "xero: %s", why);
        if (invalid_grant || res->status == 400 || res->status == 401) {
            /* the refresh token (or client) is dead: only re-authorising helps */
            snprintf(a->why, sizeof a->why,
                     "xero refresh token rejected (%s): the integration must be re-authorised",
                     invalid_grant ? "invalid_grant" : why);
            const char *params[3] = {xero_tenant(a), "disconnected", a->why};
            job_run_query(a->run, mark_sql, 3, params, xero_on_marked, a);
            return;
        }
        xero_auth_end(a, a->why, false, NULL);
        return;
    }
    uint8_t key[CRYPTO_AEAD_KEY_LEN];
    char v[24];
    crypto_aead_key_parse(config_str(a->cfg, "CREDENTIALS_KEY"), key);
    char *hex = xero_seal(a, key);
    snprintf(v, sizeof v, "%lld", (long long)a->version);
    const char *params[3] = {xero_tenant(a), hex, v};
    job_run_query(a->run, put_sql, 3, params, xero_on_stored, a);
    free(hex);
}

/* POSTs the refresh grant (the lock is held). */
static void xero_refresh(struct xero_auth *a)
{
    if (a->refresh_token == NULL) {
        const char *env = config_str(a->cfg, "XERO_REFRESH_TOKEN");
        if (env == NULL) {
            xero_auth_end(a, "xero: no refresh token stored and XERO_REFRESH_TOKEN is not set",
                          true, "disconnected");
            return;
        }
        a->refresh_token = mem_strdup(env);
    }
    char *form = xero_refresh_form(a->refresh_token);
    char *basic = mem_printf("%s:%s", config_str(a->cfg, "XERO_CLIENT_ID"),
                             config_str(a->cfg, "XERO_CLIENT_SECRET"));
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded",
                             "Accept: application/json", NULL};
    struct http_request req = {.method = "POST", .url = config_str(a->cfg, "XERO_IDENTITY_URL"),
                               .headers = headers, .body = form, .body_len = strlen(form),
                               .basic_auth = basic,
                               .timeout_ms = (int)config_int(a->cfg, "SYNC_HTTP_TIMEOUT_MS"),
                               .max_response_bytes = 64 * 1024};
    job_run_http(a->run, &req, xero_on_token, a);
    free(form);
    free(basic);
}

static void xero_reload(struct job_run *run, void *data)
{
    (void)run;
    xero_auth_load(data);
}

static void xero_on_lock(struct job_run *run, const redisReply *r, const char *error, void *data)
{
    struct xero_auth *a = data;
    int64_t left = 0;
    int got = synclock_acquired(&a->lock, r, error, &left);
    if (got < 0) {
        xero_auth_end(a, "xero: refresh lock: redis unavailable", false, NULL);
        return;
    }
    if (got == 0) {
        /* …until the holder's lease must have expired */
        if (++a->tries > xero_lock_ttl_ms(a->cfg) / XERO_LOCK_POLL_MS + 1) {
            xero_auth_end(a, "xero: another replica holds the token refresh lock", false, NULL);
            return;
        }
        job_run_after(run, XERO_LOCK_POLL_MS, xero_reload, a);
        return;
    }
    xero_auth_load(a); /* with the lock held: refresh only if still needed */
}

static void xero_take_lock(struct xero_auth *a)
{
    synclock_acquire(a->run, &a->lock, xero_lock_ttl_ms(a->cfg), xero_on_lock, a);
}

/* Opens the stored box; 0, or -1 when it cannot be read under our key. */
static int xero_open_box(struct xero_auth *a, const char *hex, int64_t *expires_ms)
{
    uint8_t key[CRYPTO_AEAD_KEY_LEN];
    size_t hlen = strlen(hex), n = hlen / 2;
    int rc = -1;
    if (n > XERO_BOX_MAX || crypto_aead_key_parse(config_str(a->cfg, "CREDENTIALS_KEY"), key) != 0)
        return -1;
    uint8_t *box = mem_alloc(n + 1), *plain = mem_alloc(n + 1);
    if (crypto_hex_decode(hex, hlen, box) != (long)n)
        goto done;
    long len = crypto_aead_open(key, a->ad, strlen(a->ad), box, n, plain);
    if (len < 0)
        goto done;
    json_t *doc = json_loadb((const char *)plain, (size_t)len, 0, NULL);
    const char *refresh = json_string_value(json_object_get(doc, "refresh_token"));
    const char *access = json_string_value(json_object_get(doc, "access_token"));
    json_t *exp = json_object_get(doc, "expires_ms");
    if (refresh && access && json_is_integer(exp)) {
        free(a->refresh_token);
        free(a->access_token);
        a->refresh_token = mem_strdup(refresh);
        a->access_token = mem_strdup(access);
        *expires_ms = json_integer_value(exp);
        rc = 0;
    }
    json_decref(doc);
    memset(plain, 0, n);
done:
    free(box);
    free(plain);
    return rc;
}

static void xero_on_loaded(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct xero_auth *a = data;
    int64_t expires = 0;
    if (err != NULL) {
        pg_outcome_describe("xero: loading tokens", err, a->why, sizeof a->why);
        xero_auth_end(a, a->why, pg_outcome_permanent(err), NULL);
        return;
    }
    if (PQntuples(res) == 1) {
        a->version = atoll(PQgetvalue(res, 0, 1));
        if (xero_open_box(a, PQgetvalue(res, 0, 0), &expires) != 0) {
            xero_auth_end(a, "xero: stored tokens cannot be opened with CREDENTIALS_KEY", true,
                          NULL);
            return;
        }
        if (!a->renew && expires - XERO_TOKEN_EARLY_MS > clock_wall_ms()) {
            xero_auth_end(a, NULL, false, NULL);
            return;
        }
    }
    if (a->lock.locked)
        xero_refresh(a);
    else
        xero_take_lock(a);
}

static void xero_auth_load(struct xero_auth *a)
{
    const char *params[1] = {xero_tenant(a)};
    job_run_query(a->run, load_sql, 1, params, xero_on_loaded, a);
}

/* Starts getting a valid access token; a->done is called once. */
static struct xero_auth *xero_auth_create(struct job_run *run)
{
    struct xero_auth *a = mem_calloc(1, sizeof *a);
    const struct worker_services *sv = job_run_services(run);
    a->run = run;
    a->cfg = sv->cfg;
    synclock_init(&a->lock, run, "xero:refresh", "xero:refresh_fence",
                  config_str(a->cfg, "XERO_TENANT_ID"));
    snprintf(a->ad, sizeof a->ad, "xero/%s/tokens", config_str(a->cfg, "XERO_TENANT_ID"));
    return a;
}

/* The headers every Accounting call carries. */
static size_t xero_api_headers(const struct xero_auth *a, int64_t cursor_ms,
                               char *h[SYNC_HEADERS_MAX])
{
    char since[32];
    size_t n = 0;
    h[n++] = mem_printf("Authorization: Bearer %s", a->access_token);
    h[n++] = mem_printf("xero-tenant-id: %s", xero_tenant(a));
    xero_if_modified_since(cursor_ms, since);
    if (since[0])
        h[n++] = mem_printf("If-Modified-Since: %s", since);
    return n;
}

/* ---- sync passes ----------------------------------------------------------------------------- */

static void xero_pass_auth_done(struct xero_auth *a, const char *error, bool permanent,
                                const char *integration)
{
    sync_prepared(a->data, error, permanent, integration);
}

static void xero_auth_destroy(void *p)
{
    xero_auth_free(p);
}

static void xero_prepare(struct sync_pass *p)
{
    struct xero_auth *a = xero_auth_create(sync_pass_run(p));
    a->done = xero_pass_auth_done;
    a->data = p;
    sync_pass_set_family(p, a, xero_auth_destroy);
    xero_auth_load(a);
}

/* A 401 with a cached access token: refresh once, then the page again.
 * (With the refresh lock held a replica refreshes even if the token looks
 * valid; another replica's fresh token is used if it stored one meanwhile —
 * then only the expiry check is skipped once more.) */
static void xero_reauth(struct sync_pass *p)
{
    struct xero_auth *a = sync_pass_family(p);
    a->renew = true;
    a->tries = 0;
    xero_auth_load(a);
}

static int xero_page_of(const char *position)
{
    int n = position ? atoi(position) : 1;
    return n >= 1 ? n : 1;
}

static char *xero_url(struct sync_pass *p, const char *position)
{
    const struct config *cfg = sync_pass_cfg(p);
    return xero_page_url(config_str(cfg, "XERO_API_BASE"), (enum xero_resource)sync_pass_kind(p),
                         xero_page_of(position), (int)config_int(cfg, "XERO_PAGE_SIZE"));
}

static size_t xero_headers(struct sync_pass *p, const char *url, char *h[SYNC_HEADERS_MAX])
{
    (void)url;
    return xero_api_headers(sync_pass_family(p), sync_pass_cursor_ms(p), h);
}

static int xero_page(struct sync_pass *p, const struct http_response *res, const char *position,
                     json_t **rows, char **next, size_t *skipped, char *why, size_t why_size)
{
    int size = (int)config_int(sync_pass_cfg(p), "XERO_PAGE_SIZE");
    size_t count = 0;
    *skipped = 0;
    *rows = xero_page_rows((enum xero_resource)sync_pass_kind(p), res->body, res->body_len, size,
                           &count, why, why_size);
    if (*rows == NULL)
        return -1;
    *next = count < (size_t)size ? NULL : mem_printf("%d", xero_page_of(position) + 1);
    return 0;
}

#define XERO_OPS(var, res, k, after)                                                              \
    static const struct sync_ops var = {                                                   \
        .source = "xero", .resource = res, .kind = k, .missing = jobs_xero_missing,        \
        .limiter = xero_limiter, .prepare = xero_prepare, .reauth = xero_reauth,           \
        .url = xero_url,                                                                   \
        .headers = xero_headers, .page = xero_page, .follow_up = after}

/* New invoices move receivables and payables: a fresh working-capital
 * snapshot follows every invoice sync (deduplicated per hour). */
XERO_OPS(xero_invoices_ops, "invoices", XERO_INVOICES, jobs_forecast_working_capital_job);
XERO_OPS(xero_contacts_ops, "contacts", XERO_CONTACTS, NULL);

static void xero_sync_invoices(struct job_run *run) { sync_run(run, &xero_invoices_ops); }
static void xero_sync_contacts(struct job_run *run) { sync_run(run, &xero_contacts_ops); }

/* ---- xero.event ------------------------------------------------------------------------------ */

struct xero_event {
    struct job_run *run;
    struct xero_auth *auth;
    struct ratelimit_spec limit;
    struct ratelimit_req rl;
    enum xero_resource resource;
    char *url;
    int waits;
    bool reauthed;
    char why[PROVIDER_MESSAGE_MAX + 32];
};

static void xero_event_free(void *p)
{
    struct xero_event *e = p;
    if (e->auth)
        xero_auth_free(e->auth);
    free(e->url);
    free(e);
}

static const char *xero_resource_name(enum xero_resource r)
{
    return r == XERO_INVOICES ? "invoices" : "contacts";
}

static void xero_event_on_applied(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct xero_event *e = data;
    if (err != NULL) {
        pg_outcome_fail(e->run, "xero.event", err);
        return;
    }
    log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(e->run)->id),
                        LF_STR("resource", xero_resource_name(e->resource)),
                        LF_INT("written", atoi(PQgetvalue(res, 0, 0)))),
             "xero event applied");
    job_run_succeed(e->run);
}

static void xero_event_fetch(struct xero_event *e);

/* The integration is marked unauthorised: the job is dead with the reason. */
static void xero_event_on_marked(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct xero_event *e = data;
    char why[sizeof e->why];
    (void)res, (void)err;
    snprintf(why, sizeof why, "%s", e->why);
    job_run_fail_permanent(e->run, "%s", why);
}

static void xero_event_retry(struct job_run *run, void *data)
{
    (void)run;
    xero_event_fetch(data);
}

static void xero_event_on_response(void *data, const struct http_response *res)
{
    struct xero_event *e = data;
    struct provider_outcome o;
    char why[PROVIDER_MESSAGE_MAX + 64];
    size_t count = 0;
    ratelimit_release(e->run, &e->rl);
    provider_judge(res->status, res->error, res->timed_out,
                   http_response_header(res, "retry-after"), res->body, res->body_len, &o);
    if (o.verdict == PROVIDER_WAIT && ++e->waits <= SYNC_WAITS_MAX &&
        o.wait_ms <= SYNC_WAIT_INLINE_MAX_MS) {
        job_run_after(e->run, (uint64_t)o.wait_ms, xero_event_retry, e);
        return;
    }
    if (o.verdict == PROVIDER_WAIT) {
        job_run_defer(e->run, o.wait_ms, "xero.event: %s", o.message);
        return;
    }
    if (o.verdict == PROVIDER_UNAUTHORISED && !e->reauthed) { /* maybe a revoked cached token */
        e->reauthed = true;
        e->auth->renew = true;
        e->auth->tries = 0;
        xero_auth_load(e->auth);
        return;
    }
    if (o.verdict == PROVIDER_UNAUTHORISED) {
        snprintf(e->why, sizeof e->why, "xero: %s", o.message);
        const char *params[3] = {xero_tenant(e->auth), "unauthorised", e->why};
        job_run_query(e->run, mark_sql, 3, params, xero_event_on_marked, e);
        return;
    }
    if (o.verdict != PROVIDER_OK) {
        if (o.verdict == PROVIDER_REJECTED)
            job_run_fail_permanent(e->run, "xero.event: %s", o.message);
        else
            job_run_fail(e->run, "xero.event: %s", o.message);
        return;
    }
    json_t *rows = xero_page_rows(e->resource, res->body, res->body_len, XERO_PAGE_SIZE_MAX,
                                  &count, why, sizeof why);
    if (rows == NULL) {
        job_run_fail(e->run, "xero.event: unusable answer: %s", why);
        return;
    }
    char *text = json_dumps(rows, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(rows);
    const char *params[2] = {xero_resource_name(e->resource), text};
    job_run_query(e->run, apply_sql, 2, params, xero_event_on_applied, e);
    free(text);
}

static void xero_event_on_slot(struct job_run *run, const char *error, void *data)
{
    struct xero_event *e = data;
    if (error != NULL) {
        job_run_fail(run, "xero.event: rate limiter: %s", error);
        return;
    }
    char *headers[SYNC_HEADERS_MAX + 2] = {0};
    size_t n = xero_api_headers(e->auth, -1, headers);
    headers[n] = mem_strdup("Accept: application/json");
    const struct config *cfg = job_run_services(run)->cfg;
    struct http_request req = {.method = "GET", .url = e->url,
                               .headers = (const char *const *)headers,
                               .timeout_ms = (int)config_int(cfg, "SYNC_HTTP_TIMEOUT_MS"),
                               .max_response_bytes = SYNC_RESPONSE_MAX};
    job_run_http(run, &req, xero_event_on_response, e);
    for (size_t i = 0; headers[i]; i++)
        free(headers[i]);
}

static void xero_event_fetch(struct xero_event *e)
{
    e->rl.spec = &e->limit;
    e->rl.cb = xero_event_on_slot;
    e->rl.data = e;
    ratelimit_acquire(e->run, &e->rl);
}

static void xero_event_auth_done(struct xero_auth *a, const char *error, bool permanent,
                                 const char *integration)
{
    struct xero_event *e = a->data;
    (void)integration;
    if (error == NULL)
        xero_event_fetch(e);
    else if (permanent)
        job_run_fail_permanent(e->run, "%s", error);
    else
        job_run_fail(e->run, "%s", error);
}

static void xero_event(struct job_run *run)
{
    const struct job *job = job_run_job(run);
    const struct config *cfg = job_run_services(run)->cfg;
    const char *missing = jobs_xero_missing(cfg), *why = NULL;
    const char *tenant = json_string_value(json_object_get(job->payload, "tenantId"));
    if (missing != NULL) {
        job_run_fail_permanent(run, "xero not configured: %s", missing);
        return;
    }
    if (tenant == NULL || strcmp(tenant, config_str(cfg, "XERO_TENANT_ID")) != 0) {
        job_run_fail_permanent(run, "bad payload: tenantId is not XERO_TENANT_ID");
        return;
    }
    struct xero_event *e = mem_calloc(1, sizeof *e);
    e->run = run;
    if (xero_event_target(job->payload, config_str(cfg, "XERO_API_BASE"), &e->resource, &e->url,
                          &why) != 0) {
        free(e);
        job_run_fail_permanent(run, "bad payload: %s", why);
        return;
    }
    job_run_set_state(run, e, xero_event_free);
    xero_limiter(cfg, &e->limit);
    e->auth = xero_auth_create(run);
    e->auth->done = xero_event_auth_done;
    e->auth->data = e;
    xero_auth_load(e->auth);
}

/* ---- registry ------------------------------------------------------------------------------------ */

static const struct job_handler jobs_xero_handlers[] = {
    {.type = "xero.sync_invoices", .run = xero_sync_invoices, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = "xero.sync_contacts", .run = xero_sync_contacts, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = "xero.event", .run = xero_event},
    {.type = NULL},
};

const struct job_family jobs_xero = {
    .name = "xero",
    .handlers = jobs_xero_handlers,
    .config = jobs_xero_config_vars,
    .missing = jobs_xero_missing,
};
