/*
 * worker/providers/shopify.c: Shopify URLs, headers and record mapping (see shopify.h).
 */
#include "worker/providers/shopify.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"

/* ---- URLs and headers -------------------------------------------------------- */

/* "&updated_at_min=<cursor − overlap, ISO-8601>" or "" (full sync). */
static void shopify_since(int64_t cursor_ms, char *out, size_t size)
{
    char iso[32];
    out[0] = '\0';
    if (cursor_ms < 0)
        return;
    provider_format_iso(cursor_ms - SHOPIFY_OVERLAP_MS, iso);
    snprintf(out, size, "&updated_at_min=%s", iso);
}

char *shopify_first_url(const char *base, enum shopify_resource r, int64_t cursor_ms)
{
    char since[64];
    shopify_since(cursor_ms, since, sizeof since);
    switch (r) {
    case SHOPIFY_ORDERS:
        return mem_printf("%s/orders.json?status=any&limit=%d&order=updated_at+asc%s", base,
                          SHOPIFY_PAGE_LIMIT, since);
    case SHOPIFY_PRODUCTS:
        return mem_printf("%s/products.json?limit=%d&order=updated_at+asc%s", base,
                          SHOPIFY_PAGE_LIMIT, since);
    default:
        return mem_printf("%s/locations.json", base);
    }
}

char *shopify_levels_url(const char *base, const json_t *doc, int64_t cursor_ms,
                         const char **why)
{
    const json_t *locations = json_object_get(doc, "locations");
    char since[64];
    size_t i;
    json_t *loc;
    if (!json_is_array(locations))
        return *why = "locations is missing", NULL;
    if (json_array_size(locations) == 0 || json_array_size(locations) > SHOPIFY_LOCATIONS_MAX)
        return *why = "locations is empty or longer than 50", NULL;
    struct buf b;
    buf_init(&b, 256);
    buf_printf(&b, "%s/inventory_levels.json?location_ids=", base);
    json_array_foreach(locations, i, loc) {
        json_t *id = json_object_get(loc, "id");
        if (!json_is_integer(id)) {
            buf_dispose(&b);
            return *why = "a location has no integer id", NULL;
        }
        buf_printf(&b, "%s%lld", i ? "," : "", (long long)json_integer_value(id));
    }
    shopify_since(cursor_ms, since, sizeof since);
    buf_printf(&b, "&limit=%d%s", SHOPIFY_PAGE_LIMIT, since);
    return buf_steal(&b);
}

char *shopify_next_link(const char *link, const char *base, bool *foreign)
{
    *foreign = false;
    for (const char *p = link; p && *p;) {
        const char *lt = strchr(p, '<');
        const char *gt = lt ? strchr(lt, '>') : NULL;
        if (gt == NULL)
            return NULL;
        const char *end = strchr(gt, ',');
        size_t attrs = end ? (size_t)(end - gt) : strlen(gt);
        char *params = mem_strndup(gt + 1, attrs - 1);
        bool next = strstr(params, "rel=\"next\"") != NULL || strstr(params, "rel=next") != NULL;
        free(params);
        if (next) {
            size_t n = (size_t)(gt - lt - 1);
            if (n < strlen(base) || strncmp(lt + 1, base, strlen(base)) != 0 ||
                (lt[1 + strlen(base)] != '/' && lt[1 + strlen(base)] != '?')) {
                *foreign = true;
                return NULL;
            }
            return mem_strndup(lt + 1, n);
        }
        p = end ? end + 1 : NULL;
    }
    return NULL;
}

bool shopify_call_limit(const char *value, int *used, int *size)
{
    char tail;
    return value != NULL && sscanf(value, "%d/%d%c", used, size, &tail) == 2 && *used >= 0 &&
           *size > 0;
}

/* ---- mapping ---------------------------------------------------------------------- */

/* The order's lines; false when a line is unusable. */
static bool shopify_lines(const json_t *items, json_t *lines, struct provider_map *m)
{
    size_t i;
    json_t *it;
    if (!json_is_array(items))
        return provider_map_fail(m, "line_items", "is not an array");
    if (json_array_size(items) > SHOPIFY_LINES_MAX)
        return provider_map_fail(m, "line_items", "has too many lines");
    json_array_foreach(items, i, it) {
        char price[PROVIDER_DECIMAL_MAX + 1];
        json_t *q = json_object_get(it, "quantity");
        if (!json_is_object(it))
            return provider_map_fail(m, "line_items", "holds a non-object");
        if (!json_is_integer(q))
            return provider_map_fail(m, "line_items[].quantity", "is not an integer");
        if (!provider_decimal(m, it, "price", true, price))
            return false;
        if (json_integer_value(q) <= 0 || json_integer_value(q) > SHOPIFY_QUANTITY_MAX)
            continue;
        const char *sku = provider_str(m, it, "sku", false);
        const char *name = provider_str(m, it, "name", false);
        if (name == NULL)
            name = provider_str(m, it, "title", false);
        if (m->failed)
            return false;
        json_array_append_new(lines, json_pack("{sIsssssIss}", "line_no", (json_int_t)(i + 1),
                                               "sku", sku ? sku : "", "name",
                                               name ? name : (sku ? sku : "item"), "quantity",
                                               json_integer_value(q), "unit_price", price));
    }
    return true;
}

json_t *shopify_order_row(const json_t *order, struct provider_map *m)
{
    char id[48], total[PROVIDER_DECIMAL_MAX + 1], created[32], updated[32], cancelled[32];
    if (!json_is_object(order))
        return provider_map_fail(m, "record", "is not an object"), NULL;
    if (!provider_id(m, order, "id", true, id) ||
        !provider_decimal(m, order, "total_price", true, total) ||
        !provider_date(m, order, "created_at", true, created) ||
        !provider_date(m, order, "updated_at", true, updated) ||
        !provider_date(m, order, "cancelled_at", false, cancelled))
        return NULL;
    const char *currency = provider_str(m, order, "currency", true);
    const char *name = provider_str(m, order, "name", false);
    const char *financial = provider_str(m, order, "financial_status", false);
    if (m->failed)
        return NULL;
    json_t *lines = json_array();
    if (!shopify_lines(json_object_get(order, "line_items"), lines, m)) {
        json_decref(lines);
        return NULL;
    }
    json_t *row = json_pack("{sssssssssssssO}", "external_id", id, "status",
                            cancelled[0] ? "cancelled" : "confirmed", "currency", currency,
                            "total", total, "placed_at", created, "updated_at", updated, "raw",
                            order);
    provider_set_text(row, "name", name);
    provider_set_text(row, "external_status", financial);
    provider_set_text(row, "cancelled_at", cancelled);
    json_object_set_new(row, "lines", lines);
    return row;
}

/* "Title - Variant", or the title alone for Shopify's "Default Title". */
static char *shopify_variant_name(const char *title, const char *variant)
{
    if (variant == NULL || strcmp(variant, "Default Title") == 0)
        return mem_strdup(title);
    return mem_printf("%s - %s", title, variant);
}

/* One variant → a row appended to rows (or counted as skipped). */
static bool shopify_variant_row(const json_t *product, const json_t *v, const char *title,
                                const char *currency, bool active, json_t *rows,
                                size_t *skipped, struct provider_map *m)
{
    char vid[48], item[48], price[PROVIDER_DECIMAL_MAX + 1], updated[32], pupdated[32];
    if (!json_is_object(v))
        return provider_map_fail(m, "variants", "holds a non-object");
    if (!provider_id(m, v, "id", true, vid) || !provider_id(m, v, "inventory_item_id", false, item) ||
        !provider_decimal(m, v, "price", true, price) ||
        !provider_date(m, v, "updated_at", false, updated) ||
        !provider_date(m, product, "updated_at", true, pupdated))
        return false;
    const char *sku = provider_str(m, v, "sku", false);
    const char *vtitle = provider_str(m, v, "title", false);
    if (m->failed)
        return false;
    if (sku == NULL) {
        (*skipped)++;
        return true;
    }
    /* the later of the variant's and the product's time orders versions */
    const char *stamp = strcmp(updated, pupdated) > 0 ? updated : pupdated;
    char *name = shopify_variant_name(title, vtitle);
    json_t *row = json_pack("{sssssssssssbsssO}", "sku", sku, "name", name, "unit_price", price,
                            "currency", currency, "external_id", vid, "active", active,
                            "updated_at", stamp, "raw", v);
    provider_set_text(row, "inventory_item_id", item);
    json_array_append_new(rows, row);
    free(name);
    return true;
}

bool shopify_product_rows(const json_t *product, const char *currency, json_t *rows,
                          size_t *skipped, struct provider_map *m)
{
    if (!json_is_object(product))
        return provider_map_fail(m, "record", "is not an object");
    const char *title = provider_str(m, product, "title", true);
    const char *status = provider_str(m, product, "status", false);
    const json_t *variants = json_object_get(product, "variants");
    size_t i;
    json_t *v;
    if (m->failed)
        return false;
    if (!json_is_array(variants))
        return provider_map_fail(m, "variants", "is not an array");
    if (json_array_size(variants) > SHOPIFY_VARIANTS_MAX)
        return provider_map_fail(m, "variants", "has too many variants");
    bool active = status == NULL || strcmp(status, "active") == 0;
    json_array_foreach(variants, i, v) {
        if (!shopify_variant_row(product, v, title, currency, active, rows, skipped, m))
            return false;
    }
    return true;
}

json_t *shopify_level_row(const json_t *level, struct provider_map *m)
{
    char item[48], location[48], updated[32];
    if (!json_is_object(level))
        return provider_map_fail(m, "record", "is not an object"), NULL;
    if (!provider_id(m, level, "inventory_item_id", true, item) ||
        !provider_id(m, level, "location_id", true, location) ||
        !provider_date(m, level, "updated_at", true, updated))
        return NULL;
    json_t *avail = json_object_get(level, "available");
    if (avail != NULL && !json_is_null(avail) && !json_is_integer(avail))
        return provider_map_fail(m, "available", "is not an integer"), NULL;
    json_int_t on_hand = json_is_integer(avail) ? json_integer_value(avail) : 0;
    if (on_hand < -1000000000 || on_hand > 1000000000)
        return provider_map_fail(m, "available", "is out of range"), NULL;
    char *loc = mem_printf("shopify:%s", location);
    json_t *row = json_pack("{sssssIss}", "inventory_item_id", item, "location", loc, "on_hand",
                            on_hand, "updated_at", updated);
    free(loc);
    return row;
}

/* ---- pages ------------------------------------------------------------------------- */

static const char *shopify_page_key(enum shopify_resource r)
{
    return r == SHOPIFY_ORDERS ? "orders" : r == SHOPIFY_PRODUCTS ? "products" : "inventory_levels";
}

static const char *shopify_record_name(enum shopify_resource r)
{
    return r == SHOPIFY_ORDERS ? "order" : r == SHOPIFY_PRODUCTS ? "product" : "inventory level";
}

struct shopify_map_ctx {
    enum shopify_resource r;
    const char *currency;
    size_t *skipped;
};

/* One record → its row, or `rows` after appending a product's variants. */
static json_t *shopify_map_one(const json_t *rec, void *ctx, json_t *rows, struct provider_map *m)
{
    const struct shopify_map_ctx *c = ctx;
    if (c->r == SHOPIFY_PRODUCTS)
        return shopify_product_rows(rec, c->currency, rows, c->skipped, m) ? rows : NULL;
    return c->r == SHOPIFY_ORDERS ? shopify_order_row(rec, m) : shopify_level_row(rec, m);
}

json_t *shopify_page_rows(enum shopify_resource r, const char *body, size_t len,
                          const char *currency, size_t *skipped, char *why, size_t why_size)
{
    json_error_t jerr;
    json_t *doc = json_loadb(body, len, 0, &jerr);
    const char *key = shopify_page_key(r);
    json_t *records = json_object_get(doc, key);
    struct shopify_map_ctx ctx = {r, currency, skipped};
    *skipped = 0;
    if (doc == NULL) {
        snprintf(why, why_size, "malformed JSON: %s", jerr.text);
        return NULL;
    }
    if (!json_is_array(records) || json_array_size(records) > SHOPIFY_PAGE_LIMIT) {
        if (json_is_array(records))
            snprintf(why, why_size, "%s is longer than the page limit (%d)", key,
                     SHOPIFY_PAGE_LIMIT);
        else
            snprintf(why, why_size, "%s is missing or not an array", key);
        json_decref(doc);
        return NULL;
    }
    json_t *rows = provider_map_records(records, shopify_record_name(r), shopify_map_one, &ctx,
                                        why, why_size);
    json_decref(doc);
    return rows;
}
