/*
 * api/routes/catalogue.c: products and inventory (see catalogue.h).
 */
#include "api/routes/catalogue.h"

#include "api/routes/read.h"

static const struct read_param products_params[] = {
    {"active", READ_BOOL, 0, 0, NULL},
    {"q", READ_TEXT, 1, 100, NULL},
    {"cursor", READ_CURSOR, 0, 0, NULL},
    {"limit", READ_LIMIT, 0, 0, NULL},
    {NULL, READ_TEXT, 0, 0, NULL},
};

/* upper(sku) is unique (products_sku_ci), so it alone is the keyset position. */
static const char products_sql[] =
    "WITH page AS ("
    " SELECT p.* FROM products p"
    "  WHERE ($1::boolean IS NULL OR p.active = $1::boolean)"
    "    AND ($2::text IS NULL OR strpos(upper(p.sku), upper($2)) > 0"
    "         OR strpos(upper(p.name), upper($2)) > 0)"
    "    AND ($3::json IS NULL OR upper(p.sku) > upper($3::json->>0))"
    "  ORDER BY upper(p.sku), p.sku LIMIT $4::int + 1),"
    " shown AS (SELECT * FROM page ORDER BY upper(sku), sku LIMIT $4::int)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object("
    "   'sku', p.sku, 'name', p.name, 'unit_price', p.unit_price::text, 'currency', p.currency,"
    "   'active', p.active, 'source', p.source, 'external_id', p.external_id,"
    "   'avg_cost', p.avg_cost::text, 'external_updated_at', " READ_TS("p.external_updated_at") ","
    "   'created_at', " READ_TS("p.created_at") ", 'updated_at', " READ_TS("p.updated_at") ")"
    "   ORDER BY upper(p.sku), p.sku) FROM shown p), '[]'::json)),"
    " CASE WHEN (SELECT count(*) FROM page) > $4::int THEN"
    "  (SELECT json_build_array(p.sku)::text FROM shown p ORDER BY upper(p.sku) DESC LIMIT 1) END";

static const struct read_param inventory_params[] = {
    {"sku", READ_TEXT, 1, 255, NULL},
    {"location", READ_TEXT, 1, 255, NULL},
    {"below_reorder", READ_BOOL, 0, 0, NULL},
    {"cursor", READ_CURSOR, 0, 0, NULL},
    {"limit", READ_LIMIT, 0, 0, NULL},
    {NULL, READ_TEXT, 0, 0, NULL},
};

static const char inventory_sql[] =
    "WITH rows AS ("
    " SELECT i.*, i.on_hand - i.allocated AS available, s.reorder_point"
    "   FROM inventory i LEFT JOIN current_stock_recommendations s"
    "     ON s.sku = i.sku AND s.location = i.location),"
    " page AS ("
    " SELECT * FROM rows i"
    "  WHERE ($1::text IS NULL OR upper(i.sku) = upper($1))"
    "    AND ($2::text IS NULL OR i.location = $2)"
    "    AND ($3::boolean IS NULL OR (i.reorder_point IS NOT NULL"
    "         AND (i.available < i.reorder_point) = $3::boolean))"
    "    AND ($4::json IS NULL OR (i.sku, i.location) > ($4::json->>0, $4::json->>1))"
    "  ORDER BY i.sku, i.location LIMIT $5::int + 1),"
    " shown AS (SELECT * FROM page ORDER BY sku, location LIMIT $5::int)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object("
    "   'sku', i.sku, 'location', i.location, 'on_hand', i.on_hand, 'allocated', i.allocated,"
    "   'available', i.available, 'source', i.source, 'avg_cost', i.avg_cost::text,"
    "   'external_updated_at', " READ_TS("i.external_updated_at") ","
    "   'updated_at', " READ_TS("i.updated_at") ", 'reorder_point', i.reorder_point,"
    "   'below_reorder', i.available < i.reorder_point) ORDER BY i.sku, i.location)"
    "   FROM shown i), '[]'::json)),"
    " CASE WHEN (SELECT count(*) FROM page) > $5::int THEN"
    "  (SELECT json_build_array(i.sku, i.location)::text FROM shown i"
    "    ORDER BY i.sku DESC, i.location DESC LIMIT 1) END";

void products_list(struct api_call *call)
{
    struct read *r = read_begin(call, products_params);
    if (r != NULL)
        read_run(r, products_sql, 4, r->arg, true);
}

void inventory_list(struct api_call *call)
{
    struct read *r = read_begin(call, inventory_params);
    if (r != NULL)
        read_run(r, inventory_sql, 5, r->arg, true);
}
