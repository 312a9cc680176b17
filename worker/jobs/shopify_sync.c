/*
 * worker/jobs/shopify_sync.c: the Shopify job family (jobs.h).
 *
 * Syncs (queue `sync`, worker/kit/sync.c runs the pass):
 *   shopify.sync_orders     orders.json?status=any, incremental on updated_at
 *   shopify.sync_products   products.json → one product row per variant SKU
 *   shopify.sync_inventory  locations.json, then inventory_levels.json for
 *                           all of them → inventory at "shopify:<location>"
 * Positions are the next-page URLs from the Link header (page_info carries
 * the filters), kept only when they start with the store's API base.
 *
 * Stores (lib/stores.h, read from the environment): a sync job's payload
 * {"store": "<name>"} is its sync account — one cursor, lock, status and
 * rate-limit bucket per (store, resource); a job without one (the
 * scheduler's) enqueues one job per store when SHOPIFY_STORES is set, else
 * runs the single store "default". Orders land under account = the store.
 *
 * Webhook follow-ups (queue `webhooks`, payload from sentia-api: "raw" is
 * the body text): shopify.orders_create / orders_updated / orders_cancelled
 * / orders_paid → orders; shopify.products_create / products_update →
 * products; shopify.inventory_levels_update → inventory. The body is parsed
 * with integers as int64 and mapped by the same code as a sync page, then
 * written by sync_apply() — the same upserts, so a late webhook never
 * overwrites a newer synced row (external_updated_at). The payload's
 * "store" gives the account and the currency of variant prices.
 */
#include "worker/jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/stores.h"
#include "lib/url.h"
#include "worker/kit/pg_outcome.h"
#include "worker/providers/shopify.h"
#include "worker/kit/sync.h"

static const struct config_var jobs_shopify_config_vars[] = {
    {"SHOPIFY_API_BASE", CONFIG_URL_HTTP, NULL, 0, 0, 0, NULL, false},
    {"SHOPIFY_ACCESS_TOKEN", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    {"SHOPIFY_CURRENCY", CONFIG_STR, "GBP", 0, 0, 0, NULL, false},
    {"SHOPIFY_RATE_PER_S", CONFIG_INT, "2", 0, 0, 1000, NULL, false},
    {"SHOPIFY_BUCKET_SIZE", CONFIG_INT, "40", 0, 1, 10000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

static const char apply_sql[] = "SELECT sync_apply($1, $2, $3::jsonb)";

/* ---- configuration ------------------------------------------------------------ */

static const char *shopify_getenv(const char *name, void *ctx)
{
    (void)ctx;
    return getenv(name);
}

/* One store's connection for a pass (lib/stores.h), strings owned. */
struct shopify_store {
    char *base;
    char *token;
    char *currency;
};

static void shopify_store_free(void *data)
{
    struct shopify_store *s = data;
    if (s == NULL)
        return;
    free(s->base);
    free(s->token);
    free(s->currency);
    free(s);
}

/* The stores from the environment (SHOPIFY_STORES or the single "default"); 0 or -1. */
static int shopify_stores(struct stores *out)
{
    char *why = NULL;
    if (stores_load(shopify_getenv, NULL, out, &why) == 0)
        return 0;
    free(why);
    return -1;
}

/*
 * The named store's connection (new), or NULL when it is unknown or, with
 * need_api, has no API base or access token (webhooks need neither).
 */
static struct shopify_store *shopify_store_get(const char *name, bool need_api)
{
    struct stores all;
    if (shopify_stores(&all) != 0)
        return NULL;
    const struct stores_store *st = stores_by_name(&all, name);
    struct shopify_store *s = NULL;
    if (st != NULL && (!need_api || (st->api_base != NULL && st->access_token != NULL))) {
        s = mem_calloc(1, sizeof *s);
        s->base = st->api_base ? mem_strdup(st->api_base) : NULL;
        s->token = st->access_token ? mem_strdup(st->access_token) : NULL;
        s->currency = mem_strdup(st->currency);
    }
    stores_dispose(&all);
    return s;
}

static const char *jobs_shopify_missing(const struct config *cfg)
{
    (void)cfg;
    struct stores all;
    if (shopify_stores(&all) != 0)
        return "SHOPIFY_STORES or a store's variables are invalid (see lib/stores.h)";
    const char *why = NULL;
    for (size_t i = 0; i < all.n && why == NULL; i++) {
        if (all.v[i].api_base == NULL)
            why = all.listed ? "a store in SHOPIFY_STORES has no SHOPIFY_<STORE>_SHOP"
                             : "SHOPIFY_API_BASE is not set";
        else if (all.v[i].access_token == NULL)
            why = all.listed ? "a store in SHOPIFY_STORES has no SHOPIFY_<STORE>_ACCESS_TOKEN"
                             : "SHOPIFY_ACCESS_TOKEN is not set";
    }
    stores_dispose(&all);
    return why;
}

/* The run's store: payload "store", else "default" when SHOPIFY_STORES is unset. */
static int shopify_sync_account(struct job_run *run, char *out, size_t size, const char **why)
{
    const char *name = json_string_value(json_object_get(job_run_job(run)->payload, "store"));
    struct shopify_store *s = shopify_store_get(name ? name : STORES_DEFAULT_NAME, true);
    shopify_store_free(s);
    if (s == NULL) {
        *why = "bad payload: store is not one of the configured Shopify stores";
        return -1;
    }
    snprintf(out, size, "%s", name ? name : STORES_DEFAULT_NAME);
    return 0;
}

/* The shop's host (the limiter's account), from the API base URL. */
static void shopify_account(const char *base, char *out, size_t size)
{
    const char *host = strstr(base, "://");
    host = host ? host + 3 : base;
    snprintf(out, size, "%.*s", (int)strcspn(host, "/"), host);
}

/* One bucket per store: Shopify's limit is per shop and app. */
static void shopify_limiter(const struct config *cfg, const char *store,
                            struct ratelimit_spec *spec)
{
    char account[RATELIMIT_ACCOUNT_MAX + 1];
    struct shopify_store *s = shopify_store_get(store, true);
    shopify_account(s ? s->base : store, account, sizeof account);
    shopify_store_free(s);
    ratelimit_bucket(spec, "shopify", account, (int)config_int(cfg, "SHOPIFY_BUCKET_SIZE"),
                     (double)config_int(cfg, "SHOPIFY_RATE_PER_S"));
}

/* The pass's store, read once before the first page. */
static void shopify_prepare(struct sync_pass *p)
{
    struct shopify_store *s = shopify_store_get(sync_pass_sync_account(p), true);
    if (s == NULL) {
        sync_prepared(p, "the store is no longer configured", true, NULL);
        return;
    }
    sync_pass_set_family(p, s, shopify_store_free);
    sync_prepared(p, NULL, false, NULL);
}

static const struct shopify_store *shopify_of(const struct sync_pass *p)
{
    return sync_pass_family(p);
}

static size_t shopify_headers(struct sync_pass *p, const char *url, char *h[SYNC_HEADERS_MAX])
{
    (void)url;
    h[0] = mem_printf("X-Shopify-Access-Token: %s", shopify_of(p)->token);
    return 1;
}

/* ---- sync passes ----------------------------------------------------------------- */

static char *shopify_url(struct sync_pass *p, const char *position)
{
    return position ? mem_strdup(position)
                    : shopify_first_url(shopify_of(p)->base,
                                        (enum shopify_resource)sync_pass_kind(p),
                                        sync_pass_cursor_ms(p));
}

/* The Link header's next page; -1 with why when it leaves the API base. */
static int shopify_next(struct sync_pass *p, const struct http_response *res, char **next,
                        char *why, size_t why_size)
{
    bool foreign = false;
    *next = shopify_next_link(http_response_header(res, "link"), shopify_of(p)->base, &foreign);
    if (foreign) {
        snprintf(why, why_size, "the next-page link leaves the store's API base");
        return -1;
    }
    return 0;
}

/* locations.json → no rows; the next position is the levels request. */
static int shopify_locations_page(struct sync_pass *p, const struct http_response *res,
                                  json_t **rows, char **next, char *why, size_t why_size)
{
    const char *problem = NULL;
    json_error_t jerr;
    json_t *doc = json_loadb(res->body, res->body_len, 0, &jerr);
    if (doc == NULL) {
        snprintf(why, why_size, "locations: malformed JSON: %s", jerr.text);
        return -1;
    }
    *next = shopify_levels_url(shopify_of(p)->base, doc,
                               sync_pass_cursor_ms(p), &problem);
    json_decref(doc);
    if (*next == NULL) {
        snprintf(why, why_size, "locations: %s", problem);
        return -1;
    }
    *rows = json_array();
    return 0;
}

/* Another app sharing the store's bucket shows in the call-limit header. */
static void shopify_watch_bucket(struct sync_pass *p, const struct http_response *res)
{
    int used, size;
    if (shopify_call_limit(http_response_header(res, "x-shopify-shop-api-call-limit"), &used,
                           &size) &&
        used * 10 >= size * 9)
        log_warn(LOG_FIELDS(LF_STR("job_id", job_run_job(sync_pass_run(p))->id),
                            LF_INT("used", used), LF_INT("size", size)),
                 "shopify call bucket nearly full (shared with another app?)");
}

static int shopify_page(struct sync_pass *p, const struct http_response *res,
                        const char *position, json_t **rows, char **next, size_t *skipped,
                        char *why, size_t why_size)
{
    enum shopify_resource r = (enum shopify_resource)sync_pass_kind(p);
    shopify_watch_bucket(p, res);
    if (r == SHOPIFY_INVENTORY && position == NULL)
        return shopify_locations_page(p, res, rows, next, why, why_size);
    *rows = shopify_page_rows(r, res->body, res->body_len, shopify_of(p)->currency, skipped,
                              why, why_size);
    if (*rows == NULL)
        return -1;
    if (shopify_next(p, res, next, why, why_size) != 0) {
        json_decref(*rows);
        *rows = NULL;
        return -1;
    }
    return 0;
}

#define SHOPIFY_OPS(var, res, k)                                                           \
    static const struct sync_ops var = {                                                   \
        .source = "shopify", .resource = res, .kind = k, .missing = jobs_shopify_missing,  \
        .account_limiter = shopify_limiter, .prepare = shopify_prepare, .url = shopify_url, \
        .headers = shopify_headers, .page = shopify_page, .sync_account = shopify_sync_account}

SHOPIFY_OPS(shopify_orders_ops, "orders", SHOPIFY_ORDERS);
SHOPIFY_OPS(shopify_products_ops, "products", SHOPIFY_PRODUCTS);
SHOPIFY_OPS(shopify_inventory_ops, "inventory", SHOPIFY_INVENTORY);

/* ---- one pass per store ---------------------------------------------------------------- */

/* A scheduled pass without a store when SHOPIFY_STORES is set: one job per store. */
struct shopify_fan {
    struct stores stores;
    size_t next;
};

static void shopify_fan_free(void *data)
{
    struct shopify_fan *f = data;
    stores_dispose(&f->stores);
    free(f);
}

static void shopify_fan_next(struct job_run *run, struct shopify_fan *f);

static void shopify_on_fanned(struct job_run *run, const char *error, void *data)
{
    if (error != NULL) {
        job_run_fail(run, "%s: enqueueing a store's pass: %s", job_run_job(run)->type, error);
        return;
    }
    shopify_fan_next(run, data);
}

static void shopify_fan_next(struct job_run *run, struct shopify_fan *f)
{
    const struct job *self = job_run_job(run);
    if (f->next == f->stores.n) {
        log_info(LOG_FIELDS(LF_STR("job_id", self->id), LF_STR("type", self->type),
                            LF_INT("stores", (long long)f->stores.n)),
                 "shopify syncs enqueued per store");
        job_run_succeed(run);
        return;
    }
    const char *name = f->stores.v[f->next++].name;
    struct job *job = job_create("sync", self->type, json_pack("{ss}", "store", name));
    job->dedup_key = mem_printf("%s:%s", self->id, name);
    job_run_enqueue(run, job, shopify_on_fanned, f);
}

/* The pass of the payload's store, or one job per store (SHOPIFY_STORES). */
static void shopify_sync(struct job_run *run, const struct sync_ops *ops)
{
    struct shopify_fan *f = mem_calloc(1, sizeof *f);
    bool fan = json_object_get(job_run_job(run)->payload, "store") == NULL &&
               jobs_shopify_missing(job_run_services(run)->cfg) == NULL &&
               shopify_stores(&f->stores) == 0 && f->stores.listed;
    if (!fan) {
        shopify_fan_free(f);
        sync_run(run, ops);
        return;
    }
    job_run_set_state(run, f, shopify_fan_free);
    shopify_fan_next(run, f);
}

static void shopify_sync_orders(struct job_run *run) { shopify_sync(run, &shopify_orders_ops); }
static void shopify_sync_products(struct job_run *run) { shopify_sync(run, &shopify_products_ops); }
static void shopify_sync_inventory(struct job_run *run)
{
    shopify_sync(run, &shopify_inventory_ops);
}

/* ---- webhook follow-ups -------------------------------------------------------------- */

/* Maps a webhook body (one record) for resource r; NULL and why. */
static json_t *shopify_webhook_rows(enum shopify_resource r, const json_t *rec,
                                    const char *currency, size_t *skipped, char *why,
                                    size_t why_size)
{
    static const char *const what[] = {"order", "product", "inventory level"};
    struct provider_map m = {.what = what[r]};
    json_t *rows = json_array(), *row = NULL;
    bool ok;
    if (r == SHOPIFY_PRODUCTS) {
        ok = shopify_product_rows(rec, currency, rows, skipped, &m);
    } else {
        row = r == SHOPIFY_ORDERS ? shopify_order_row(rec, &m) : shopify_level_row(rec, &m);
        ok = row != NULL;
        if (ok)
            json_array_append_new(rows, row);
    }
    if (!ok) {
        snprintf(why, why_size, "%s", m.why);
        json_decref(rows);
        return NULL;
    }
    return rows;
}

/* Orders land under their store (sync_upsert_orders reads "account"). */
static void shopify_webhook_account(json_t *rows, const char *store)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        json_object_set_new(row, "account", json_string(store));
}

static void shopify_on_applied(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct job_run *run = data;
    const struct job *job = job_run_job(run);
    if (err != NULL) {
        pg_outcome_fail(run, job->type, err);
        return;
    }
    log_info(LOG_FIELDS(LF_STR("job_id", job->id), LF_STR("type", job->type),
                        LF_INT("written", atoi(PQgetvalue(res, 0, 0)))),
             "shopify webhook applied");
    job_run_succeed(run);
}

/* shopify.<topic>: the body → rows → sync_apply. */
static void shopify_webhook(struct job_run *run, enum shopify_resource r)
{
    static const char *const names[] = {"orders", "products", "inventory"};
    const struct job *job = job_run_job(run);
    const char *raw = json_string_value(json_object_get(job->payload, "raw"));
    char why[PROVIDER_MESSAGE_MAX + 64];
    size_t skipped = 0;
    if (raw == NULL) {
        job_run_fail_permanent(run, "bad payload: raw body missing");
        return;
    }
    json_error_t jerr;
    json_t *rec = json_loads(raw, 0, &jerr);
    if (rec == NULL) {
        job_run_fail_permanent(run, "bad payload: body is not JSON: %s", jerr.text);
        return;
    }
    const char *name = json_string_value(json_object_get(job->payload, "store"));
    struct shopify_store *store = shopify_store_get(name ? name : STORES_DEFAULT_NAME, false);
    json_t *rows = store ? shopify_webhook_rows(r, rec, store->currency, &skipped, why, sizeof why)
                         : NULL;
    json_decref(rec);
    shopify_store_free(store);
    if (store == NULL) {
        job_run_fail_permanent(run, "bad payload: store is not one of the configured stores");
        return;
    }
    if (rows == NULL) {
        job_run_fail_permanent(run, "bad payload: %s", why);
        return;
    }
    shopify_webhook_account(rows, name ? name : STORES_DEFAULT_NAME);
    char *text = json_dumps(rows, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(rows);
    const char *params[3] = {"shopify", names[r], text};
    job_run_query(run, apply_sql, 3, params, shopify_on_applied, run);
    free(text);
}

static void shopify_order_webhook(struct job_run *run) { shopify_webhook(run, SHOPIFY_ORDERS); }
static void shopify_product_webhook(struct job_run *run) { shopify_webhook(run, SHOPIFY_PRODUCTS); }
static void shopify_level_webhook(struct job_run *run) { shopify_webhook(run, SHOPIFY_INVENTORY); }

/* ---- registry ---------------------------------------------------------------------------- */

static const struct job_handler jobs_shopify_handlers[] = {
    {.type = "shopify.sync_orders", .run = shopify_sync_orders, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = "shopify.sync_products", .run = shopify_sync_products, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = "shopify.sync_inventory", .run = shopify_sync_inventory, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = "shopify.orders_create", .run = shopify_order_webhook},
    {.type = "shopify.orders_updated", .run = shopify_order_webhook},
    {.type = "shopify.orders_cancelled", .run = shopify_order_webhook},
    {.type = "shopify.orders_paid", .run = shopify_order_webhook},
    {.type = "shopify.products_create", .run = shopify_product_webhook},
    {.type = "shopify.products_update", .run = shopify_product_webhook},
    {.type = "shopify.inventory_levels_update", .run = shopify_level_webhook},
    {.type = NULL},
};

const struct job_family jobs_shopify = {
    .name = "shopify",
    .handlers = jobs_shopify_handlers,
    .config = jobs_shopify_config_vars,
    .missing = jobs_shopify_missing,
};
