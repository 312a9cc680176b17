/*
 * worker/providers/shopify.h: Shopify's Admin REST API as the sync uses it
 * (shared/external-apis.md §3–4). Pure: builds URLs, reads the Link and
 * call-limit headers, and maps orders, products/variants and inventory levels
 * (from a sync page or a webhook body) into rows for jsonb_to_recordset
 * (migrations/0004_integrations.sql). worker/jobs/shopify_sync.c does the I/O.
 *
 * Requests: GET {SHOPIFY_API_BASE}/orders.json?status=any&limit=250
 *   &order=updated_at+asc&updated_at_min=<cursor − overlap>, then every
 *   `Link: <…>; rel="next"` URL as given (page_info is opaque; it carries the
 *   filters). products.json likewise. Inventory: locations.json first, then
 *   inventory_levels.json?location_ids=<all>&limit=250&updated_at_min=….
 *   Header X-Shopify-Access-Token. A next link is only followed when it
 *   starts with SHOPIFY_API_BASE, so the token never goes to another host.
 *
 * Rows (keys as the SQL reads them; every row has updated_at):
 *   orders    {external_id, name, status (cancelled_at → cancelled, else
 *              confirmed), external_status (financial_status), currency,
 *              total, placed_at, cancelled_at, updated_at, raw,
 *              lines: [{line_no, sku ("" when none), name, quantity,
 *              unit_price}]} — lines with quantity ≤ 0 are left out
 *   products  one row per variant with a SKU: {sku, name ("Title - Variant"
 *              unless the variant is "Default Title"), unit_price, currency,
 *              external_id (variant id), inventory_item_id, active, updated_at,
 *              raw}; variants without a SKU are counted in `skipped`
 *   inventory {inventory_item_id, location ("shopify:<location_id>"),
 *              on_hand (available; null counts as 0), updated_at}
 *
 * Ownership: char * results are the caller's to free; json rows are new
 * references.
 */
#ifndef SENTIA_WORKER_SHOPIFY_H
#define SENTIA_WORKER_SHOPIFY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "worker/providers/provider.h"

enum {
    SHOPIFY_PAGE_LIMIT = 250,            /* Shopify's maximum page size */
    SHOPIFY_LOCATIONS_MAX = 50,          /* location_ids one levels request names */
    SHOPIFY_LINES_MAX = 1000,            /* line items kept per order */
    SHOPIFY_QUANTITY_MAX = 1000000000,   /* a line's quantity above this is left out, as
                                            one of 0 or less: order_lines.quantity is a
                                            Postgres integer (sync_upsert_orders) */
    SHOPIFY_VARIANTS_MAX = 2000,         /* variants read per product */
    SHOPIFY_OVERLAP_MS = 1000,           /* cursor overlap: equal timestamps at a
                                            page boundary are fetched again */
};

enum shopify_resource { SHOPIFY_ORDERS, SHOPIFY_PRODUCTS, SHOPIFY_INVENTORY };

/* The first request of a pass; cursor_ms < 0 = full sync. */
char *shopify_first_url(const char *base, enum shopify_resource r, int64_t cursor_ms);
/* The levels request for the locations in a locations.json body; NULL and
 * *why when the body is unusable. */
char *shopify_levels_url(const char *base, const json_t *locations_doc, int64_t cursor_ms,
                         const char **why);
/*
 * The rel="next" URL of a Link header, or NULL when there is none (last
 * page). *foreign is set when a next link exists but does not start with
 * base (refused).
 */
char *shopify_next_link(const char *link, const char *base, bool *foreign);
/* "32/40" → used and size; false when malformed. */
bool shopify_call_limit(const char *value, int *used, int *size);

/* One order → a row; NULL and m->why when unusable. */
json_t *shopify_order_row(const json_t *order, struct provider_map *m);
/* One product's variants → rows appended to rows; false on an unusable one. */
bool shopify_product_rows(const json_t *product, const char *currency, json_t *rows,
                          size_t *skipped, struct provider_map *m);
/* One inventory level → a row. */
json_t *shopify_level_row(const json_t *level, struct provider_map *m);

/*
 * A page body → rows (new array) for resource r; `key` records in the body
 * ("orders", "products", "inventory_levels"). NULL and why when the body is
 * not JSON, the key is missing, a page holds more than SHOPIFY_PAGE_LIMIT
 * records, or any record is unusable — so no partial page is ever committed.
 */
json_t *shopify_page_rows(enum shopify_resource r, const char *body, size_t len,
                          const char *currency, size_t *skipped, char *why, size_t why_size);

#endif
