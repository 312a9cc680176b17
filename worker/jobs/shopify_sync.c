/*
 * worker/jobs/shopify_sync.c: the Shopify job family (jobs.h).
 *
 * Syncs (queue `sync`, worker/kit/sync.c runs the pass):
 *   shopify.sync_orders     orders.json?status=any, incremental on updated_at
 *   shopify.sync_products   products.json → one product row per variant SKU
 *   shopify.sync_inventory  locations.json, then inventory_levels.json for
 *                           all of them → inventory at "shopify:<location>"
 * Positions are the next-page URLs from the Link header (page_info carries
 * the filters), kept only when they start with SHOPIFY_API_BASE.
 *
 * Webhook follow-ups (queue `webhooks`, payload from sentia-api: "raw" is
 * the body text): shopify.orders_create / orders_updated / orders_cancelled
 * / orders_paid → orders; shopify.products_create / products_update →
 * products; shopify.inventory_levels_update → inventory. The body is parsed
 * with integers as int64 and mapped by the same code as a sync page, then
 * written by sync_apply() — the same upserts, so a late webhook never
 * overwrites a newer synced row (external_updated_at).
 */
#include "worker/jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mem.h"
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

static const char *jobs_shopify_missing(const struct config *cfg)
{
    if (config_str(cfg, "SHOPIFY_API_BASE") == NULL)
        return "SHOPIFY_API_BASE is not set";
    if (config_str(cfg, "SHOPIFY_ACCESS_TOKEN") == NULL)
        return "SHOPIFY_ACCESS_TOKEN is not set";
    return NULL;
}

/* The shop's host (the limiter's account), from the API base URL. */
static void shopify_account(const char *base, char *out, size_t size)
{
    const char *host = strstr(base, "://");
    host = host ? host + 3 : base;
    snprintf(out, size, "%.*s", (int)strcspn(host, "/"), host);
}

static void shopify_limiter(const struct config *cfg, struct ratelimit_spec *spec)
{
    char account[RATELIMIT_ACCOUNT_MAX + 1];
    shopify_account(config_str(cfg, "SHOPIFY_API_BASE"), account, sizeof account);
    ratelimit_bucket(spec, "shopify", account, (int)config_int(cfg, "SHOPIFY_BUCKET_SIZE"),
                     (double)config_int(cfg, "SHOPIFY_RATE_PER_S"));
}

static size_t shopify_headers(struct sync_pass *p, const char *url, char *h[SYNC_HEADERS_MAX])
{
    (void)url;
    h[0] = mem_printf("X-Shopify-Access-Token: %s",
                      config_str(sync_pass_cfg(p), "SHOPIFY_ACCESS_TOKEN"));
    return 1;
}

/* ---- sync passes ----------------------------------------------------------------- */

static char *shopify_url(struct sync_pass *p, const char *position)
{
    return position ? mem_strdup(position)
                    : shopify_first_url(config_str(sync_pass_cfg(p), "SHOPIFY_API_BASE"),
                                        (enum shopify_resource)sync_pass_kind(p),
                                        sync_pass_cursor_ms(p));
}

/* The Link header's next page; -1 with why when it leaves the API base. */
static int shopify_next(struct sync_pass *p, const struct http_response *res, char **next,
                        char *why, size_t why_size)
{
    bool foreign = false;
    const char *base = config_str(sync_pass_cfg(p), "SHOPIFY_API_BASE");
    *next = shopify_next_link(http_response_header(res, "link"), base, &foreign);
    if (foreign) {
        snprintf(why, why_size, "the next-page link leaves SHOPIFY_API_BASE");
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
    *next = shopify_levels_url(config_str(sync_pass_cfg(p), "SHOPIFY_API_BASE"), doc,
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
    *rows = shopify_page_rows(r, res->body, res->body_len,
                              config_str(sync_pass_cfg(p), "SHOPIFY_CURRENCY"), skipped, why,
                              why_size);
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
        .limiter = shopify_limiter, .url = shopify_url, .headers = shopify_headers,        \
        .page = shopify_page}

SHOPIFY_OPS(shopify_orders_ops, "orders", SHOPIFY_ORDERS);
SHOPIFY_OPS(shopify_products_ops, "products", SHOPIFY_PRODUCTS);
SHOPIFY_OPS(shopify_inventory_ops, "inventory", SHOPIFY_INVENTORY);

static void shopify_sync_orders(struct job_run *run) { sync_run(run, &shopify_orders_ops); }
static void shopify_sync_products(struct job_run *run) { sync_run(run, &shopify_products_ops); }
static void shopify_sync_inventory(struct job_run *run) { sync_run(run, &shopify_inventory_ops); }

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
    json_t *rows = shopify_webhook_rows(r, rec, config_str(job_run_services(run)->cfg,
                                                           "SHOPIFY_CURRENCY"),
                                        &skipped, why, sizeof why);
    json_decref(rec);
    if (rows == NULL) {
        job_run_fail_permanent(run, "bad payload: %s", why);
        return;
    }
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
