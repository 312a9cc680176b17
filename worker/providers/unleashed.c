/*
 * worker/providers/unleashed.c: Unleashed signing, URLs and record mapping (see
 * unleashed.h).
 */
#include "worker/providers/unleashed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

/* ---- requests ---------------------------------------------------------------- */

void unleashed_signature(const char *key, const char *query,
                         char out[CRYPTO_BASE64_SIZE(CRYPTO_SHA256_LEN)])
{
    uint8_t mac[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(key, strlen(key), query, strlen(query), mac);
    crypto_base64_encode(mac, sizeof mac, out);
}

char *unleashed_query(int page_size, int64_t cursor_ms)
{
    char iso[32];
    if (cursor_ms < 0)
        return mem_printf("pageSize=%d", page_size);
    provider_format_iso(cursor_ms - UNLEASHED_OVERLAP_MS, iso);
    iso[10] = '\0';
    return mem_printf("pageSize=%d&modifiedSince=%s", page_size, iso);
}

static const char *unleashed_path(enum unleashed_resource r)
{
    static const char *const paths[] = {"StockOnHand", "Products", "PurchaseOrders",
                                        "SalesOrders"};
    return paths[r];
}

char *unleashed_page_url(const char *base, enum unleashed_resource r, int page,
                         const char *query)
{
    return mem_printf("%s/%s/%d%s%s", base, unleashed_path(r), page, query[0] ? "?" : "", query);
}

/* ---- mapping --------------------------------------------------------------------- */

/* obj[key][inner] as a string, or NULL. */
static const char *unleashed_nested(struct provider_map *m, const json_t *obj, const char *key,
                                    const char *inner)
{
    json_t *o = provider_obj(m, obj, key, false);
    return o ? provider_str(m, o, inner, false) : NULL;
}

json_t *unleashed_stock_row(const json_t *s, const char *currency, struct provider_map *m)
{
    char qty[PROVIDER_DECIMAL_MAX + 1], cost[PROVIDER_DECIMAL_MAX + 1], updated[32];
    if (!json_is_object(s))
        return provider_map_fail(m, "record", "is not an object"), NULL;
    const char *sku = provider_str(m, s, "ProductCode", true);
    const char *name = provider_str(m, s, "ProductDescription", false);
    const char *wh = provider_str(m, s, "WarehouseCode", false);
    if (!provider_decimal(m, s, "QtyOnHand", true, qty) ||
        !provider_decimal(m, s, "AvgCost", false, cost) ||
        !provider_date(m, s, "LastModifiedOn", false, updated) || m->failed)
        return NULL;
    char *loc = mem_printf("unleashed:%s", wh ? wh : "all");
    json_t *row = json_pack("{ssssssssss}", "sku", sku, "name", name ? name : sku, "location", loc,
                            "on_hand", qty, "currency", currency);
    free(loc);
    provider_set_text(row, "avg_cost", cost);
    provider_set_text(row, "updated_at", updated);
    return row;
}

json_t *unleashed_product_row(const json_t *p, const char *currency, struct provider_map *m)
{
    char id[48], price[PROVIDER_DECIMAL_MAX + 1], cost[PROVIDER_DECIMAL_MAX + 1], updated[32];
    if (!json_is_object(p))
        return provider_map_fail(m, "record", "is not an object"), NULL;
    const char *sku = provider_str(m, p, "ProductCode", true);
    const char *name = provider_str(m, p, "ProductDescription", false);
    json_t *obsolete = json_object_get(p, "IsObsoleted");
    if (!provider_id(m, p, "Guid", true, id) ||
        !provider_decimal(m, p, "DefaultSellPrice", false, price) ||
        !provider_decimal(m, p, "AverageLandPrice", false, cost) ||
        !provider_date(m, p, "LastModifiedOn", true, updated) || m->failed)
        return NULL;
    if (obsolete && !json_is_boolean(obsolete) && !json_is_null(obsolete))
        return provider_map_fail(m, "IsObsoleted", "is not a boolean"), NULL;
    json_t *row = json_pack("{sssssssssbsssssO}", "sku", sku, "name", name ? name : sku,
                            "unit_price", price[0] ? price : "0", "currency", currency,
                            "active", !json_is_true(obsolete), "external_id", id, "updated_at",
                            updated, "raw", p);
    provider_set_text(row, "avg_cost", cost);
    return row;
}

/* Reads an order's lines (key) with the quantity field qkey. */
static json_t *unleashed_lines(struct provider_map *m, const json_t *order, const char *key,
                               bool purchase)
{
    json_t *items = json_object_get(order, key), *it;
    size_t i;
    if (items == NULL || json_is_null(items))
        return json_array();
    if (!json_is_array(items) || json_array_size(items) > UNLEASHED_LINES_MAX)
        return provider_map_fail(m, key, "is not an array of at most 2000 lines"), NULL;
    json_t *lines = json_array();
    json_array_foreach(items, i, it) {
        char qty[PROVIDER_DECIMAL_MAX + 1], recv[PROVIDER_DECIMAL_MAX + 1];
        char price[PROVIDER_DECIMAL_MAX + 1], total[PROVIDER_DECIMAL_MAX + 1], due[32];
        json_t *ln = json_object_get(it, "LineNumber");
        const char *sku = json_is_object(it) ? unleashed_nested(m, it, "Product", "ProductCode") : NULL;
        const char *pname = json_is_object(it) ? unleashed_nested(m, it, "Product", "ProductDescription") : NULL;
        if (!json_is_object(it) || sku == NULL || !json_is_integer(ln) ||
            json_integer_value(ln) < 1 || json_integer_value(ln) > 100000 ||
            !provider_decimal(m, it, "OrderQuantity", true, qty) ||
            !provider_decimal(m, it, "ReceiptQuantity", false, recv) ||
            !provider_decimal(m, it, "UnitPrice", false, price) ||
            !provider_decimal(m, it, "LineTotal", false, total) ||
            !provider_date(m, it, "DueDate", false, due) || m->failed) {
            json_decref(lines);
            return provider_map_fail(m, key, "holds a line without LineNumber, Product.ProductCode or OrderQuantity"), NULL;
        }
        json_t *line = json_pack("{sIssss}", "line_no", json_integer_value(ln), "sku", sku,
                                 "quantity", qty);
        provider_set_text(line, "unit_price", price);
        if (purchase) {
            provider_set_text(line, "received_quantity", recv);
            provider_set_text(line, "line_total", total);
            provider_set_text(line, "due_on", due[0] ? (due[10] = '\0', due) : "");
        } else {
            provider_set_text(line, "name", pname ? pname : sku);
        }
        json_array_append_new(lines, line);
    }
    return lines;
}

/* A day "YYYY-MM-DD" from a date field; "" when absent. */
static bool unleashed_day(struct provider_map *m, const json_t *o, const char *key, char out[32])
{
    if (!provider_date(m, o, key, false, out))
        return false;
    out[out[0] ? 10 : 0] = '\0';
    return true;
}

json_t *unleashed_purchase_order_row(const json_t *po, struct provider_map *m)
{
    static const char *const money[] = {"ExchangeRate", "SubTotal", "TaxTotal", "Total"};
    static const char *const cols[] = {"currency_rate", "subtotal", "tax_total", "total"};
    char id[48], ordered[32], required[32], received[32], updated[32];
    char amounts[4][PROVIDER_DECIMAL_MAX + 1];
    if (!json_is_object(po))
        return provider_map_fail(m, "record", "is not an object"), NULL;
    const char *status = provider_str(m, po, "OrderStatus", true);
    if (!provider_id(m, po, "Guid", true, id) || !unleashed_day(m, po, "OrderDate", ordered) ||
        !unleashed_day(m, po, "RequiredDate", required) ||
        !unleashed_day(m, po, "CompletedDate", received) ||
        !provider_date(m, po, "LastModifiedOn", true, updated) || m->failed)
        return NULL;
    for (size_t i = 0; i < 4; i++)
        if (!provider_decimal(m, po, money[i], false, amounts[i]))
            return NULL;
    json_t *lines = unleashed_lines(m, po, "PurchaseOrderLines", true);
    if (lines == NULL)
        return NULL;
    json_t *row = json_pack("{sssssssO}", "po_id", id, "status", status, "updated_at", updated,
                            "raw", po);
    provider_set_text(row, "ordered_on", ordered);
    provider_set_text(row, "required_on", required);
    provider_set_text(row, "received_on", received);
    provider_set_text(row, "order_number", provider_str(m, po, "OrderNumber", false));
    provider_set_text(row, "supplier_code", unleashed_nested(m, po, "Supplier", "SupplierCode"));
    provider_set_text(row, "supplier_name", unleashed_nested(m, po, "Supplier", "SupplierName"));
    provider_set_text(row, "warehouse", unleashed_nested(m, po, "Warehouse", "WarehouseCode"));
    provider_set_text(row, "currency", unleashed_nested(m, po, "Currency", "CurrencyCode"));
    for (size_t i = 0; i < 4; i++)
        provider_set_text(row, cols[i], amounts[i]);
    json_object_set_new(row, "lines", lines);
    if (m->failed) {
        json_decref(row);
        return NULL;
    }
    return row;
}

/* Our order status for an Unleashed OrderStatus. */
static const char *unleashed_order_status(const char *s)
{
    if (strcmp(s, "Deleted") == 0 || strcmp(s, "Cancelled") == 0)
        return "cancelled";
    if (strcmp(s, "Parked") == 0)
        return "pending";
    return "confirmed";
}

json_t *unleashed_sales_order_row(const json_t *so, struct provider_map *m)
{
    char id[48], placed[32], updated[32], total[PROVIDER_DECIMAL_MAX + 1];
    if (!json_is_object(so))
        return provider_map_fail(m, "record", "is not an object"), NULL;
    const char *status = provider_str(m, so, "OrderStatus", true);
    const char *number = provider_str(m, so, "OrderNumber", false);
    const char *currency = unleashed_nested(m, so, "Currency", "CurrencyCode");
    if (!provider_id(m, so, "Guid", true, id) || !provider_date(m, so, "OrderDate", true, placed) ||
        !provider_date(m, so, "LastModifiedOn", true, updated) ||
        !provider_decimal(m, so, "Total", true, total) || m->failed)
        return NULL;
    if (currency == NULL)
        return provider_map_fail(m, "Currency.CurrencyCode", "is missing"), NULL;
    json_t *lines = unleashed_lines(m, so, "SalesOrderLines", false);
    if (lines == NULL)
        return NULL;
    json_t *row = json_pack("{sssssssssssssssO}", "external_id", id, "status",
                            unleashed_order_status(status), "external_status", status,
                            "currency", currency, "total", total, "placed_at", placed,
                            "updated_at", updated, "raw", so);
    provider_set_text(row, "name", number);
    json_object_set_new(row, "cancelled_at", json_null());
    json_object_set_new(row, "lines", lines);
    return row;
}

/* ---- pages -------------------------------------------------------------------------- */

struct unleashed_map_ctx {
    enum unleashed_resource r;
    const char *currency;
};

static json_t *unleashed_map_one(const json_t *rec, void *ctx, json_t *rows,
                                 struct provider_map *m)
{
    const struct unleashed_map_ctx *c = ctx;
    const char *currency = c->currency;
    (void)rows;
    switch (c->r) {
    case UNLEASHED_STOCK:
        return unleashed_stock_row(rec, currency, m);
    case UNLEASHED_PRODUCTS:
        return unleashed_product_row(rec, currency, m);
    case UNLEASHED_PURCHASE_ORDERS:
        return unleashed_purchase_order_row(rec, m);
    default:
        return unleashed_sales_order_row(rec, m);
    }
}

/* Pagination.NumberOfPages, or -1 when missing or absurd. */
static int unleashed_pages(const json_t *doc)
{
    json_t *n = json_object_get(json_object_get(doc, "Pagination"), "NumberOfPages");
    if (!json_is_integer(n) || json_integer_value(n) < 0 ||
        json_integer_value(n) > UNLEASHED_PAGES_MAX)
        return -1;
    return (int)json_integer_value(n);
}

json_t *unleashed_page_rows(enum unleashed_resource r, const char *body, size_t len,
                            int page_size, const char *currency, int *pages, char *why,
                            size_t why_size)
{
    static const char *const what[] = {"stock item", "product", "purchase order", "sales order"};
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    json_t *items = json_object_get(doc, "Items");
    struct unleashed_map_ctx ctx = {r, currency};
    if (doc == NULL) {
        snprintf(why, why_size, "malformed JSON: %s", jerr.text);
        return NULL;
    }
    *pages = unleashed_pages(doc);
    if (*pages < 0 || !json_is_array(items) || json_array_size(items) > (size_t)page_size) {
        snprintf(why, why_size, "%s", *pages < 0 ? "Pagination.NumberOfPages is missing"
                                      : !json_is_array(items) ? "Items is missing or not an array"
                                                              : "Items is longer than the page size");
        json_decref(doc);
        return NULL;
    }
    json_t *rows = provider_map_records(items, what[r], unleashed_map_one, &ctx, why, why_size);
    json_decref(doc);
    return rows;
}
