/*
 * worker/jobs/unleashed_sync.c: the Unleashed job family (jobs.h), all syncs on
 * queue `sync` run by worker/kit/sync.c:
 *   unleashed.sync_stock            StockOnHand → inventory, products.avg_cost
 *   unleashed.sync_products         Products → products
 *   unleashed.sync_purchase_orders  PurchaseOrders → purchase_orders (+ lines)
 *   unleashed.sync_sales_orders     SalesOrders → orders (source unleashed)
 * The position is the page number (in the path); every request is signed
 * (worker/providers/unleashed.h). A wrong key answers 403: the integration is marked
 * unauthorised and the job goes dead with the reason.
 */
#include "worker/jobs/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "worker/kit/sync.h"
#include "worker/providers/unleashed.h"

static const struct config_var jobs_unleashed_config_vars[] = {
    {"UNLEASHED_API_BASE", CONFIG_URL_HTTP, "https://api.unleashedsoftware.com", 0, 0, 0, NULL,
     false},
    {"UNLEASHED_API_ID", CONFIG_STR, NULL, 0, 0, 0, NULL, false},
    {"UNLEASHED_API_KEY", CONFIG_STR, NULL, 0, 0, 0, NULL, true},
    {"UNLEASHED_CURRENCY", CONFIG_STR, "GBP", 0, 0, 0, NULL, false},
    {"UNLEASHED_PAGE_SIZE", CONFIG_INT, "200", 0, 1, UNLEASHED_PAGE_SIZE_MAX, NULL, false},
    {"UNLEASHED_RATE_PER_MIN", CONFIG_INT, "300", 0, 0, 100000, NULL, false},
    {NULL, CONFIG_STR, NULL, 0, 0, 0, NULL, false},
};

static const char *jobs_unleashed_missing(const struct config *cfg)
{
    if (config_str(cfg, "UNLEASHED_API_ID") == NULL)
        return "UNLEASHED_API_ID is not set";
    if (config_str(cfg, "UNLEASHED_API_KEY") == NULL)
        return "UNLEASHED_API_KEY is not set";
    return NULL;
}

static void unleashed_limiter(const struct config *cfg, struct ratelimit_spec *spec)
{
    ratelimit_window(spec, "unleashed", config_str(cfg, "UNLEASHED_API_ID"),
                     (int)config_int(cfg, "UNLEASHED_RATE_PER_MIN"), 60000, 0, 0);
}

/* The page number of a position (NULL: 1). */
static int unleashed_page_of(const char *position)
{
    int n = position ? atoi(position) : 1;
    return n >= 1 ? n : 1;
}

static char *unleashed_url(struct sync_pass *p, const char *position)
{
    const struct config *cfg = sync_pass_cfg(p);
    char *query = unleashed_query((int)config_int(cfg, "UNLEASHED_PAGE_SIZE"),
                                  sync_pass_cursor_ms(p));
    char *url = unleashed_page_url(config_str(cfg, "UNLEASHED_API_BASE"),
                                   (enum unleashed_resource)sync_pass_kind(p),
                                   unleashed_page_of(position), query);
    free(query);
    return url;
}

/* The signature covers the query string exactly as sent. */
static size_t unleashed_headers(struct sync_pass *p, const char *url,
                                char *h[SYNC_HEADERS_MAX])
{
    const struct config *cfg = sync_pass_cfg(p);
    const char *q = strchr(url, '?');
    char sig[CRYPTO_BASE64_SIZE(CRYPTO_SHA256_LEN)];
    unleashed_signature(config_str(cfg, "UNLEASHED_API_KEY"), q ? q + 1 : "", sig);
    h[0] = mem_printf("api-auth-id: %s", config_str(cfg, "UNLEASHED_API_ID"));
    h[1] = mem_printf("api-auth-signature: %s", sig);
    h[2] = mem_strdup("client-type: sentia/sentia");
    h[3] = mem_strdup("Content-Type: application/json");
    return 4;
}

static int unleashed_page(struct sync_pass *p, const struct http_response *res,
                          const char *position, json_t **rows, char **next, size_t *skipped,
                          char *why, size_t why_size)
{
    const struct config *cfg = sync_pass_cfg(p);
    int pages = 0, page = unleashed_page_of(position);
    *skipped = 0;
    *rows = unleashed_page_rows((enum unleashed_resource)sync_pass_kind(p), res->body,
                                res->body_len, (int)config_int(cfg, "UNLEASHED_PAGE_SIZE"),
                                config_str(cfg, "UNLEASHED_CURRENCY"), &pages, why, why_size);
    if (*rows == NULL)
        return -1;
    *next = page < pages ? mem_printf("%d", page + 1) : NULL;
    return 0;
}

#define UNLEASHED_OPS(var, res, k)                                                         \
    static const struct sync_ops var = {                                                   \
        .source = "unleashed", .resource = res, .kind = k,                                 \
        .missing = jobs_unleashed_missing, .limiter = unleashed_limiter,                   \
        .url = unleashed_url, .headers = unleashed_headers, .page = unleashed_page}

UNLEASHED_OPS(unleashed_stock_ops, "stock", UNLEASHED_STOCK);
UNLEASHED_OPS(unleashed_products_ops, "products", UNLEASHED_PRODUCTS);
UNLEASHED_OPS(unleashed_po_ops, "purchase_orders", UNLEASHED_PURCHASE_ORDERS);
UNLEASHED_OPS(unleashed_so_ops, "sales_orders", UNLEASHED_SALES_ORDERS);

static void unleashed_sync_stock(struct job_run *run) { sync_run(run, &unleashed_stock_ops); }
static void unleashed_sync_products(struct job_run *run) { sync_run(run, &unleashed_products_ops); }
static void unleashed_sync_pos(struct job_run *run) { sync_run(run, &unleashed_po_ops); }
static void unleashed_sync_sos(struct job_run *run) { sync_run(run, &unleashed_so_ops); }

static const struct job_handler jobs_unleashed_handlers[] = {
    {.type = "unleashed.sync_stock", .run = unleashed_sync_stock, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = "unleashed.sync_products", .run = unleashed_sync_products, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = "unleashed.sync_purchase_orders", .run = unleashed_sync_pos, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = "unleashed.sync_sales_orders", .run = unleashed_sync_sos, .timeout_ms = SYNC_JOB_TIMEOUT_MS},
    {.type = NULL},
};

const struct job_family jobs_unleashed = {
    .name = "unleashed",
    .handlers = jobs_unleashed_handlers,
    .config = jobs_unleashed_config_vars,
    .missing = jobs_unleashed_missing,
};
