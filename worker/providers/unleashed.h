/*
 * worker/providers/unleashed.h: the Unleashed inventory API as the sync uses it
 * (shared/external-apis.md §6). Pure: request signing, URLs, page reading
 * and the mapping of stock on hand, products, purchase orders and sales
 * orders into rows for jsonb_to_recordset (migrations/0004_integrations.sql).
 *
 * Requests: GET {UNLEASHED_API_BASE}/{Resource}/{page}?pageSize=P
 *   [&modifiedSince=YYYY-MM-DD] with headers api-auth-id, api-auth-signature
 *   = base64(HMAC-SHA256(key = the API key's bytes, msg = the query string
 *   after '?', exactly as sent; "" when there is none)), Accept and
 *   Content-Type application/json, client-type sentia/sentia. Pages run until
 *   Pagination.PageNumber reaches Pagination.NumberOfPages. Dates in answers
 *   are "/Date(ms)/"; modifiedSince is a day, so a pass re-reads up to one
 *   day (upserts make that harmless).
 *
 * Rows:
 *   stock     {sku, name, location ("unleashed:<WarehouseCode>", or
 *              "unleashed:all" when the answer has none), on_hand (QtyOnHand,
 *              decimal text), avg_cost, currency (for a product row created
 *              when the SKU is new), updated_at}
 *   products  {sku, name, unit_price (DefaultSellPrice, 0 when absent),
 *              avg_cost (AverageLandPrice), external_id (Guid), active
 *              (not IsObsoleted), updated_at, raw}
 *   purchase_orders {po_id, order_number, supplier_code, supplier_name,
 *              status, ordered_on, required_on, received_on, warehouse,
 *              currency, currency_rate, subtotal, tax_total, total,
 *              updated_at, raw, lines: [{line_no, sku, quantity,
 *              received_quantity, unit_price, line_total, due_on}]}
 *   sales_orders {external_id (Guid), name (OrderNumber), status (Deleted or
 *              Cancelled → cancelled, Parked → pending, else confirmed),
 *              external_status, currency, total, placed_at, updated_at, raw,
 *              lines: [{line_no, sku, name, quantity (decimal text),
 *              unit_price}]}
 */
#ifndef SENTIA_WORKER_UNLEASHED_H
#define SENTIA_WORKER_UNLEASHED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/crypto.h"
#include "worker/providers/provider.h"

enum {
    UNLEASHED_PAGE_SIZE_MAX = 1000, /* Unleashed's largest pageSize */
    UNLEASHED_PAGES_MAX = 100000,   /* NumberOfPages beyond this is nonsense */
    UNLEASHED_LINES_MAX = 2000,     /* lines kept per order */
    UNLEASHED_OVERLAP_MS = 1000,
};

enum unleashed_resource {
    UNLEASHED_STOCK,
    UNLEASHED_PRODUCTS,
    UNLEASHED_PURCHASE_ORDERS,
    UNLEASHED_SALES_ORDERS,
};

/* base64(HMAC-SHA256(key, query)) into out. */
void unleashed_signature(const char *key, const char *query,
                         char out[CRYPTO_BASE64_SIZE(CRYPTO_SHA256_LEN)]);
/* The query string of a page request ("pageSize=200&modifiedSince=…"). */
char *unleashed_query(int page_size, int64_t cursor_ms);
/* {base}/{Resource}/{page}?{query} */
char *unleashed_page_url(const char *base, enum unleashed_resource r, int page,
                         const char *query);

/*
 * A page body → rows (new array) and *pages (NumberOfPages). NULL and why
 * when unusable. `currency` is the account's base currency (products and
 * the product rows stock may create).
 */
json_t *unleashed_page_rows(enum unleashed_resource r, const char *body, size_t len,
                            int page_size, const char *currency, int *pages, char *why,
                            size_t why_size);

json_t *unleashed_stock_row(const json_t *s, const char *currency, struct provider_map *m);
json_t *unleashed_product_row(const json_t *p, const char *currency, struct provider_map *m);
json_t *unleashed_purchase_order_row(const json_t *po, struct provider_map *m);
json_t *unleashed_sales_order_row(const json_t *so, struct provider_map *m);

#endif
