/*
 * worker/jobs/amazon_sync.c: the Amazon job family (jobs.h): amazon.sync_orders
 * (queue `sync`), SP-API Orders v0 orders and their items into orders /
 * order_lines (source `amazon`, account = marketplace id); the pure rules
 * are worker/providers/amazon.h, the pass is worker/kit/sync.c.
 *
 * One pass per marketplace (payload {"marketplace": "<id>"}): one cursor,
 * one lock, one status each. A job without a marketplace (the scheduler's)
 * enqueues one job per AMAZON_MARKETPLACE_IDS entry (idempotency key
 * "<job id>:<marketplace>") and succeeds.
 *
 * A pass: LWA access token (prepare) → getOrders from the cursor, NextToken
 * paging (the kit) → for each order of a page, getOrderItems with its own
 * NextToken paging and its own limiter (enrich) → the page's orders with
 * their lines in one statement. Limiters (worker/kit/ratelimit.h, shared
 * by replicas): buckets "amazon" / "<marketplace>:orders" and
 * "<marketplace>:items". 429 → wait 1/rate (x-amzn-RateLimit-Limit, else
 * the documented rate) without spending an attempt; 5xx and transport
 * failures retry; 401/403 → integration unauthorised, job dead; an order
 * whose items answer 404 keeps its stored lines (logged).
 *
 * Token cache: the access token is kept in Redis at
 * <prefix>:amazon:token:{<client id>} until amazon_token_good_until, sealed
 * (AES-256-GCM, lib/crypto.h) under HMAC-SHA256(client secret, "sentia
 * amazon token cache"), so every replica reuses it and Redis never holds it
 * in clear. A 401/403 on getOrders drops the cache and asks LWA once more.
 */
#include "worker/jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "worker/kit/sync.h"
#include "worker/providers/amazon.h"

static const struct config_var jobs_amazon_config_vars[] = {
    {"AMAZON_REFRESH_TOKEN", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    {"AMAZON_CLIENT_ID", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"AMAZON_CLIENT_SECRET", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    {"AMAZON_MARKETPLACE_IDS", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"AMAZON_REGION", CONFIG_ENUM, "na", 0, 0, 0, "na|eu|fe", false},
    {"AMAZON_SP_API_BASE", CONFIG_URL_HTTP, NULL, 0, 0, 0, NULL, false},
    {"AMAZON_LWA_URL", CONFIG_URL_HTTP, "https://api.amazon.com/auth/o2/token", 0, 0, 0, NULL,
     false},
    {"AMAZON_PAGE_SIZE", CONFIG_INT, "100", 0, 1, AMAZON_PAGE_MAX, NULL, false},
    {"AMAZON_ORDERS_PER_HOUR", CONFIG_INT, "60", 0, 0, 3600000, NULL, false},
    {"AMAZON_ORDERS_BURST", CONFIG_INT, "20", 0, 1, 10000, NULL, false},
    {"AMAZON_ITEMS_PER_MINUTE", CONFIG_INT, "30", 0, 0, 600000, NULL, false},
    {"AMAZON_ITEMS_BURST", CONFIG_INT, "30", 0, 1, 10000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

enum {
    AMAZON_BOX_MAX = 8192,  /* sealed token document */
};

static const char cache_info[] = "sentia amazon token cache";
static const char cache_ad[] = "amazon/lwa/access_token";

/* ---- configuration -------------------------------------------------------------- */

static const char *jobs_amazon_missing(const struct config *cfg)
{
    static const char *const need[] = {"AMAZON_REFRESH_TOKEN", "AMAZON_CLIENT_ID",
                                       "AMAZON_CLIENT_SECRET", "AMAZON_MARKETPLACE_IDS"};
    static const char *const why[] = {"AMAZON_REFRESH_TOKEN is not set",
                                      "AMAZON_CLIENT_ID is not set",
                                      "AMAZON_CLIENT_SECRET is not set",
                                      "AMAZON_MARKETPLACE_IDS is not set"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (config_str(cfg, need[i]) == NULL || config_str(cfg, need[i])[0] == '\0')
            return why[i];
    const char *problem = NULL;
    char *list = amazon_marketplace_list(config_str(cfg, "AMAZON_MARKETPLACE_IDS"), &problem);
    free(list);
    if (list == NULL)
        return "AMAZON_MARKETPLACE_IDS is not a list of marketplace ids";
    char *base = amazon_api_base(config_str(cfg, "AMAZON_REGION"),
                                 config_str(cfg, "AMAZON_SP_API_BASE"), &problem);
    free(base);
    return base == NULL ? "AMAZON_REGION is not na, eu or fe" : NULL;
}

/* Whether id is one of the configured marketplaces. */
static bool amazon_configured_marketplace(const struct config *cfg, const char *id)
{
    const char *problem = NULL;
    char *list = amazon_marketplace_list(config_str(cfg, "AMAZON_MARKETPLACE_IDS"), &problem);
    bool found = false;
    size_t n = strlen(id);
    for (const char *s = list; s && *s && !found; s += strcspn(s, ",") + (s[strcspn(s, ",")] != 0))
        found = strcspn(s, ",") == n && strncmp(s, id, n) == 0;
    free(list);
    return found;
}

static int amazon_sync_account(struct job_run *run, char *out, size_t size, const char **why)
{
    const char *id = json_string_value(json_object_get(job_run_job(run)->payload, "marketplace"));
    if (id == NULL || !amazon_configured_marketplace(job_run_services(run)->cfg, id)) {
        *why = "bad payload: marketplace is not one of AMAZON_MARKETPLACE_IDS";
        return -1;
    }
    snprintf(out, size, "%s", id);
    return 0;
}

/* The marketplace of the run (validated by amazon_sync_account). */
static const char *amazon_marketplace(const struct job_run *run)
{
    return json_string_value(json_object_get(job_run_job(run)->payload, "marketplace"));
}

static void amazon_limiter_for(const struct config *cfg, const char *marketplace, bool items,
                               struct ratelimit_spec *spec)
{
    char account[RATELIMIT_ACCOUNT_MAX + 1];
    snprintf(account, sizeof account, "%s:%s", marketplace, items ? "items" : "orders");
    if (items)
        ratelimit_bucket(spec, "amazon", account, (int)config_int(cfg, "AMAZON_ITEMS_BURST"),
                         (double)config_int(cfg, "AMAZON_ITEMS_PER_MINUTE") / 60.0);
    else
        ratelimit_bucket(spec, "amazon", account, (int)config_int(cfg, "AMAZON_ORDERS_BURST"),
                         (double)config_int(cfg, "AMAZON_ORDERS_PER_HOUR") / 3600.0);
}

/* ---- pass state ------------------------------------------------------------------ */

struct amazon_pass {
    struct sync_pass *p;
    struct job_run *run;
    const struct config *cfg;
    char *base;
    char *token;         /* the access token in use */
    int64_t issued_ms;
    uint8_t key[CRYPTO_SHA256_LEN];
    char cache_key[256];
    /* items of the page being enriched */
    struct ratelimit_spec items_limit;
    struct ratelimit_req rl;
    json_t *rows;        /* the page's order rows (owned) */
    size_t at;           /* the order whose items are being read */
    json_t *lines;       /* its lines so far (owned) */
    char *items_next;    /* its next items page, NULL for the first */
    int waits;
};

static void amazon_pass_free(void *data)
{
    struct amazon_pass *a = data;
    free(a->base);
    if (a->token)
        memset(a->token, 0, strlen(a->token));
    free(a->token);
    json_decref(a->rows);
    json_decref(a->lines);
    free(a->items_next);
    memset(a->key, 0, sizeof a->key);
    free(a);
}

static struct amazon_pass *amazon_of(struct sync_pass *p) { return sync_pass_family(p); }

/* ---- token ----------------------------------------------------------------------- */

static void amazon_token_fetch(struct amazon_pass *a);

static void amazon_set_token(struct amazon_pass *a, const char *token)
{
    free(a->token);
    a->token = mem_strdup(token);
}

/* Reads a cached box (hex); 0 and a->token set, or -1. */
static int amazon_cache_open(struct amazon_pass *a, const char *hex)
{
    size_t hlen = strlen(hex), n = hlen / 2;
    int rc = -1;
    if (n <= CRYPTO_AEAD_OVERHEAD || n > AMAZON_BOX_MAX)
        return -1;
    uint8_t *box = mem_alloc(n), *plain = mem_alloc(n + 1);
    long len = -1;
    if (crypto_hex_decode(hex, hlen, box) == (long)n)
        len = crypto_aead_open(a->key, cache_ad, strlen(cache_ad), box, n, plain);
    if (len > 0 && len <= AMAZON_TOKEN_MAX) {
        plain[len] = '\0';
        amazon_set_token(a, (const char *)plain);
        rc = 0;
    }
    if (len > 0)
        memset(plain, 0, (size_t)len);
    free(box);
    free(plain);
    return rc;
}

static void amazon_on_cached(struct job_run *run, const redisReply *r, const char *error,
                             void *data)
{
    struct amazon_pass *a = data;
    (void)run;
    if (error != NULL)
        log_warn(LOG_FIELDS(LF_STR("job_id", job_run_job(a->run)->id), LF_STR("error", error)),
                 "amazon token not cached");
    (void)r;
    sync_prepared(a->p, NULL, false, NULL);
}

/* Seals the fresh token into Redis until it must be replaced, then goes on. */
static void amazon_cache_store(struct amazon_pass *a, int64_t good_until_ms)
{
    int64_t ttl = good_until_ms - clock_wall_ms();
    size_t len = strlen(a->token);
    if (ttl < 1000 || len > AMAZON_TOKEN_MAX) {
        sync_prepared(a->p, NULL, false, NULL);
        return;
    }
    uint8_t *box = mem_alloc(len + CRYPTO_AEAD_OVERHEAD);
    long n = crypto_aead_seal(a->key, cache_ad, strlen(cache_ad), a->token, len, box);
    char *hex = mem_alloc((size_t)n * 2 + 1);
    crypto_hex_encode(box, (size_t)n, hex);
    struct redis_args args;
    redis_args_init(&args);
    redis_args_add(&args, "SET");
    redis_args_add(&args, a->cache_key);
    redis_args_add(&args, hex);
    redis_args_add(&args, "PX");
    redis_args_add_fmt(&args, "%lld", (long long)ttl);
    job_run_redis(a->run, NULL, 0, &args, amazon_on_cached, a);
    redis_args_dispose(&args);
    free(hex);
    free(box);
}

static void amazon_on_token(void *data, const struct http_response *res)
{
    struct amazon_pass *a = data;
    struct amazon_token t = {0};
    bool invalid_grant = false;
    char why[AMAZON_WHY_MAX], msg[AMAZON_WHY_MAX + 64];
    if (res->status == 0) {
        snprintf(msg, sizeof msg, "amazon LWA token: %s",
                 res->timed_out ? "timeout" : res->error ? res->error : "transfer failed");
        sync_prepared(a->p, msg, false, NULL);
        return;
    }
    if (amazon_token_parse(res->status, res->body, res->body_len, &t, &invalid_grant, why,
                           sizeof why) != 0) {
        snprintf(msg, sizeof msg, "amazon LWA token: %s", why);
        if (invalid_grant || res->status == 401 || res->status == 403)
            sync_prepared(a->p, msg, true, "unauthorised");
        else
            sync_prepared(a->p, msg, false, NULL);
        return;
    }
    amazon_set_token(a, t.access_token);
    int64_t good_until = amazon_token_good_until(&t, a->issued_ms);
    amazon_token_dispose(&t);
    amazon_cache_store(a, good_until);
}

static void amazon_token_fetch(struct amazon_pass *a)
{
    char *form = amazon_token_form(config_str(a->cfg, "AMAZON_REFRESH_TOKEN"),
                                   config_str(a->cfg, "AMAZON_CLIENT_ID"),
                                   config_str(a->cfg, "AMAZON_CLIENT_SECRET"));
    const char *headers[] = {"Content-Type: application/x-www-form-urlencoded;charset=UTF-8",
                             "Accept: application/json", NULL};
    struct http_request req = {.method = "POST", .url = config_str(a->cfg, "AMAZON_LWA_URL"),
                               .headers = headers, .body = form, .body_len = strlen(form),
                               .timeout_ms = (int)config_int(a->cfg, "SYNC_HTTP_TIMEOUT_MS")};
    a->issued_ms = clock_wall_ms();
    job_run_http(a->run, &req, amazon_on_token, a);
    memset(form, 0, strlen(form));
    free(form);
}

static void amazon_on_cache_read(struct job_run *run, const redisReply *r, const char *error,
                                 void *data)
{
    struct amazon_pass *a = data;
    (void)run;
    if (error == NULL && r != NULL && r->type == REDIS_REPLY_STRING &&
        amazon_cache_open(a, r->str) == 0) {
        sync_prepared(a->p, NULL, false, NULL);
        return;
    }
    amazon_token_fetch(a);
}

static void amazon_prepare(struct sync_pass *p)
{
    struct amazon_pass *a = mem_calloc(1, sizeof *a);
    const char *problem = NULL;
    a->p = p;
    a->run = sync_pass_run(p);
    a->cfg = sync_pass_cfg(p);
    a->base = amazon_api_base(config_str(a->cfg, "AMAZON_REGION"),
                              config_str(a->cfg, "AMAZON_SP_API_BASE"), &problem);
    const char *secret = config_str(a->cfg, "AMAZON_CLIENT_SECRET");
    crypto_hmac_sha256(secret, strlen(secret), cache_info, strlen(cache_info), a->key);
    snprintf(a->cache_key, sizeof a->cache_key, "%s:amazon:token:{%.200s}",
             job_run_services(a->run)->prefix, config_str(a->cfg, "AMAZON_CLIENT_ID"));
    amazon_limiter_for(a->cfg, amazon_marketplace(a->run), true, &a->items_limit);
    sync_pass_set_family(p, a, amazon_pass_free);
    struct redis_args args;
    redis_args_init(&args);
    redis_args_add(&args, "GET");
    redis_args_add(&args, a->cache_key);
    job_run_redis(a->run, NULL, 0, &args, amazon_on_cache_read, a);
    redis_args_dispose(&args);
}

static void amazon_on_dropped(struct job_run *run, const redisReply *r, const char *error,
                              void *data)
{
    (void)run;
    (void)r;
    (void)error;
    amazon_token_fetch(data);
}

/* getOrders refused the token: drop the cache (once per run) and ask LWA. */
static void amazon_reauth(struct sync_pass *p)
{
    struct amazon_pass *a = amazon_of(p);
    struct redis_args args;
    redis_args_init(&args);
    redis_args_add(&args, "DEL");
    redis_args_add(&args, a->cache_key);
    job_run_redis(a->run, NULL, 0, &args, amazon_on_dropped, a);
    redis_args_dispose(&args);
}

/* ---- getOrders ----------------------------------------------------------------------- */

static void amazon_limiter(const struct config *cfg, const char *marketplace,
                           struct ratelimit_spec *spec)
{
    amazon_limiter_for(cfg, marketplace, false, spec);
}

static char *amazon_url(struct sync_pass *p, const char *position)
{
    struct amazon_pass *a = amazon_of(p);
    char after[32];
    amazon_updated_after(sync_pass_cursor_ms(p), clock_wall_ms(), after);
    return amazon_orders_url(a->base, sync_pass_sync_account(p), after,
                             (int)config_int(a->cfg, "AMAZON_PAGE_SIZE"), position);
}

static size_t amazon_headers(struct sync_pass *p, const char *url, char *h[SYNC_HEADERS_MAX])
{
    (void)url;
    h[0] = mem_printf("x-amz-access-token: %s", amazon_of(p)->token);
    return 1;
}

static void amazon_outcome(enum amazon_operation op, const struct http_response *res,
                           struct provider_outcome *out)
{
    static const enum provider_verdict map[] = {
        [AMAZON_OK] = PROVIDER_OK, [AMAZON_WAIT] = PROVIDER_WAIT,
        [AMAZON_RETRY] = PROVIDER_RETRY, [AMAZON_UNAUTHORISED] = PROVIDER_UNAUTHORISED,
        [AMAZON_REJECTED] = PROVIDER_REJECTED};
    struct amazon_outcome o;
    amazon_judge(op, res->status, http_response_header(res, "x-amzn-ratelimit-limit"),
                 res->body, res->body_len, &o);
    memset(out, 0, sizeof *out);
    out->verdict = map[o.verdict];
    out->status = o.status;
    out->wait_ms = o.wait_ms;
    if (res->status == 0)
        snprintf(out->message, sizeof out->message, "%s",
                 res->timed_out ? "timeout" : res->error ? res->error : "transfer failed");
    else
        snprintf(out->message, sizeof out->message, "%s", o.message);
}

static void amazon_judge_orders(struct sync_pass *p, const struct http_response *res,
                                struct provider_outcome *out)
{
    (void)p;
    amazon_outcome(AMAZON_GET_ORDERS, res, out);
}

static int amazon_page(struct sync_pass *p, const struct http_response *res,
                       const char *position, json_t **rows, char **next, size_t *skipped,
                       char *why, size_t why_size)
{
    struct amazon_orders_page page = {0};
    (void)position;
    *skipped = 0;
    if (amazon_orders_page_parse(res->body, res->body_len, sync_pass_sync_account(p), &page, why,
                                 why_size) != 0)
        return -1;
    *rows = json_incref(page.rows);
    *next = page.next_token ? mem_strdup(page.next_token) : NULL;
    amazon_orders_page_dispose(&page);
    return 0;
}

/* ---- getOrderItems (enrich) ---------------------------------------------------------- */

static void amazon_items_next(struct amazon_pass *a);

static void amazon_items_fail(struct amazon_pass *a, const char *error, bool permanent,
                              const char *integration)
{
    json_t *rows = a->rows;
    a->rows = NULL;
    sync_enriched(a->p, rows, error, permanent, integration);
}

/* The current order is complete: its lines go into its row; next order. */
static void amazon_order_done(struct amazon_pass *a, bool with_lines)
{
    json_t *row = json_array_get(a->rows, a->at);
    if (with_lines)
        json_object_set(row, "lines", a->lines);
    json_decref(a->lines);
    a->lines = NULL;
    free(a->items_next);
    a->items_next = NULL;
    a->at++;
    amazon_items_next(a);
}

static const char *amazon_order_id(const struct amazon_pass *a)
{
    return json_string_value(json_object_get(json_array_get(a->rows, a->at), "external_id"));
}

static void amazon_items_page(struct amazon_pass *a, const struct http_response *res)
{
    struct amazon_items_page page = {0};
    char why[AMAZON_WHY_MAX], msg[AMAZON_WHY_MAX + 96];
    if (amazon_items_page_parse(res->body, res->body_len, amazon_order_id(a),
                                (int)json_array_size(a->lines) + 1, &page, why,
                                sizeof why) != 0) {
        snprintf(msg, sizeof msg, "items of order %s unusable: %s", amazon_order_id(a), why);
        amazon_items_fail(a, msg, false, NULL);
        return;
    }
    json_array_extend(a->lines, page.lines);
    free(a->items_next);
    a->items_next = page.next_token ? mem_strdup(page.next_token) : NULL;
    amazon_items_page_dispose(&page);
    a->waits = 0;
    if (a->items_next != NULL && json_array_size(a->lines) < AMAZON_ITEMS_MAX)
        amazon_items_next(a);
    else
        amazon_order_done(a, true);
}

static void amazon_items_again(struct job_run *run, void *data)
{
    (void)run;
    amazon_items_next(data);
}

static void amazon_on_items(void *data, const struct http_response *res)
{
    struct amazon_pass *a = data;
    struct provider_outcome o;
    char msg[PROVIDER_MESSAGE_MAX + 96];
    ratelimit_release(a->run, &a->rl);
    amazon_outcome(AMAZON_GET_ORDER_ITEMS, res, &o);
    snprintf(msg, sizeof msg, "items of order %s: %s", amazon_order_id(a), o.message);
    switch (o.verdict) {
    case PROVIDER_OK:
        amazon_items_page(a, res);
        break;
    case PROVIDER_WAIT:
        if (++a->waits <= SYNC_WAITS_MAX && o.wait_ms <= SYNC_WAIT_INLINE_MAX_MS)
            job_run_after(a->run, (uint64_t)o.wait_ms, amazon_items_again, a);
        else
            sync_defer(a->p, o.wait_ms, msg);
        break;
    case PROVIDER_UNAUTHORISED:
        amazon_items_fail(a, msg, true, "unauthorised");
        break;
    case PROVIDER_REJECTED:
        if (res->status == 404) { /* gone from Amazon: keep what is stored */
            log_warn(LOG_FIELDS(LF_STR("job_id", job_run_job(a->run)->id),
                                LF_STR("order", amazon_order_id(a))),
                     "amazon order items not found; stored lines kept");
            amazon_order_done(a, false);
            break;
        }
        amazon_items_fail(a, msg, true, NULL);
        break;
    default:
        amazon_items_fail(a, msg, false, NULL);
        break;
    }
}

static void amazon_on_items_slot(struct job_run *run, const char *error, void *data)
{
    struct amazon_pass *a = data;
    if (error != NULL) {
        char msg[256];
        snprintf(msg, sizeof msg, "items rate limiter: %s", error);
        amazon_items_fail(a, msg, false, NULL);
        return;
    }
    char *url = amazon_items_url(a->base, amazon_order_id(a), a->items_next);
    char *token = mem_printf("x-amz-access-token: %s", a->token);
    const char *headers[] = {token, "Accept: application/json", NULL};
    struct http_request req = {.method = "GET", .url = url, .headers = headers,
                               .timeout_ms = (int)config_int(a->cfg, "SYNC_HTTP_TIMEOUT_MS"),
                               .max_response_bytes = SYNC_RESPONSE_MAX};
    job_run_http(run, &req, amazon_on_items, a);
    free(token);
    free(url);
}

/* The next items request of the page, or the page's commit when all are read. */
static void amazon_items_next(struct amazon_pass *a)
{
    if (a->at >= json_array_size(a->rows)) {
        json_t *rows = a->rows;
        a->rows = NULL;
        sync_enriched(a->p, rows, NULL, false, NULL);
        return;
    }
    if (a->lines == NULL)
        a->lines = json_array();
    if (amazon_order_id(a) == NULL) {
        amazon_items_fail(a, "an order row without external_id", true, NULL);
        return;
    }
    a->rl.spec = &a->items_limit;
    a->rl.cb = amazon_on_items_slot;
    a->rl.data = a;
    ratelimit_acquire(a->run, &a->rl);
}

static void amazon_enrich(struct sync_pass *p, json_t *rows)
{
    struct amazon_pass *a = amazon_of(p);
    json_decref(a->rows);
    a->rows = rows;
    a->at = 0;
    a->waits = 0;
    amazon_items_next(a);
}

static const struct sync_ops amazon_orders_ops = {
    .source = "amazon", .resource = "orders", .kind = 0, .missing = jobs_amazon_missing,
    .account_limiter = amazon_limiter, .prepare = amazon_prepare, .reauth = amazon_reauth,
    .url = amazon_url, .headers = amazon_headers, .page = amazon_page,
    .judge = amazon_judge_orders, .enrich = amazon_enrich,
    .sync_account = amazon_sync_account};

/* ---- fan-out ------------------------------------------------------------------------ */

struct amazon_fan {
    char *list;   /* the marketplaces, comma-separated */
    char *at;     /* the next one */
    int enqueued;
};

static void amazon_fan_free(void *data)
{
    struct amazon_fan *f = data;
    free(f->list);
    free(f);
}

static void amazon_fan_next(struct job_run *run, struct amazon_fan *f);

static void amazon_on_fanned(struct job_run *run, const char *error, void *data)
{
    if (error != NULL) {
        job_run_fail(run, "amazon.sync_orders: enqueueing a marketplace pass: %s", error);
        return;
    }
    struct amazon_fan *f = data;
    f->enqueued++;
    amazon_fan_next(run, f);
}

static void amazon_fan_next(struct job_run *run, struct amazon_fan *f)
{
    if (*f->at == '\0') {
        log_info(LOG_FIELDS(LF_STR("job_id", job_run_job(run)->id),
                            LF_INT("marketplaces", f->enqueued)),
                 "amazon order syncs enqueued per marketplace");
        job_run_succeed(run);
        return;
    }
    size_t n = strcspn(f->at, ",");
    char id[AMAZON_MARKETPLACE_ID_MAX + 1];
    snprintf(id, sizeof id, "%.*s", (int)n, f->at);
    f->at += n + (f->at[n] == ',');
    struct job *job = job_create("sync", "amazon.sync_orders", json_pack("{ss}", "marketplace", id));
    job->dedup_key = mem_printf("%s:%s", job_run_job(run)->id, id);
    job_run_enqueue(run, job, amazon_on_fanned, f);
}

static void amazon_sync_orders(struct job_run *run)
{
    const struct config *cfg = job_run_services(run)->cfg;
    const char *missing = jobs_amazon_missing(cfg);
    if (json_object_get(job_run_job(run)->payload, "marketplace") != NULL || missing != NULL) {
        sync_run(run, &amazon_orders_ops);
        return;
    }
    const char *problem = NULL;
    struct amazon_fan *f = mem_calloc(1, sizeof *f);
    f->list = amazon_marketplace_list(config_str(cfg, "AMAZON_MARKETPLACE_IDS"), &problem);
    f->at = f->list;
    job_run_set_state(run, f, amazon_fan_free);
    amazon_fan_next(run, f);
}

/* ---- registry ---------------------------------------------------------------------------- */

static const struct job_handler jobs_amazon_handlers[] = {
    {.type = "amazon.sync_orders", .run = amazon_sync_orders, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = NULL},
};

const struct job_family jobs_amazon = {
    .name = "amazon",
    .handlers = jobs_amazon_handlers,
    .config = jobs_amazon_config_vars,
    .missing = jobs_amazon_missing,
};
