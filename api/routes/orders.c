/*
 * api/routes/orders.c: the orders reads (see orders.h). Keyset paging on
 * (placed_at DESC, id DESC); the cursor key is [placed_at with µs, id].
 */
#include "api/routes/orders.h"

#include <string.h>

#include "api/routes/read.h"

static const char *const order_statuses[] = {"pending", "confirmed", "cancelled", NULL};

static const struct read_param orders_params[] = {
    {"source", READ_SOURCE, 0, 0, NULL},
    {"status", READ_ENUM, 0, 0, order_statuses},
    {"from", READ_TIME, 0, 0, NULL},
    {"to", READ_TIME, 0, 0, NULL},
    {"sku", READ_TEXT, 1, 255, NULL},
    {"cursor", READ_CURSOR, 0, 0, NULL},
    {"limit", READ_LIMIT, 0, 0, NULL},
    {NULL, READ_TEXT, 0, 0, NULL},
};

/* The Order object of row alias o (schema Order). */
#define ORDER_FIELDS                                                                              \
    "'id', o.id, 'number', o.number, 'source', o.source, 'external_id', o.external_id, "          \
    "'external_status', o.external_status, 'status', o.status, 'customer_id', o.customer_id, "    \
    "'currency', o.currency, 'total', o.total::text, 'stock_location', o.stock_location, "        \
    "'placed_at', " READ_TS("o.placed_at") ", 'cancelled_at', " READ_TS("o.cancelled_at") ", "    \
    "'created_at', " READ_TS("o.created_at") ", 'updated_at', " READ_TS("o.updated_at") ", "      \
    "'line_count', (SELECT count(*) FROM order_lines l WHERE l.order_id = o.id)"

static const char orders_list_sql[] =
    "WITH page AS ("
    " SELECT o.* FROM orders o"
    "  WHERE ($1::text IS NULL OR o.source = $1)"
    "    AND ($2::text IS NULL OR o.status = $2)"
    "    AND ($3::timestamptz IS NULL OR o.placed_at >= $3::timestamptz)"
    "    AND ($4::timestamptz IS NULL OR o.placed_at < $4::timestamptz)"
    "    AND ($5::text IS NULL OR EXISTS (SELECT 1 FROM order_lines l"
    "         WHERE l.order_id = o.id AND upper(l.sku) = upper($5)))"
    "    AND ($6::json IS NULL OR (o.placed_at, o.id) <"
    "         (($6::json->>0)::timestamptz, ($6::json->>1)::bigint))"
    "  ORDER BY o.placed_at DESC, o.id DESC LIMIT $7::int + 1),"
    " shown AS (SELECT * FROM page ORDER BY placed_at DESC, id DESC LIMIT $7::int)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object(" ORDER_FIELDS
    ") ORDER BY o.placed_at DESC, o.id DESC) FROM shown o), '[]'::json)),"
    " CASE WHEN (SELECT count(*) FROM page) > $7::int THEN"
    "  (SELECT json_build_array(" READ_TS_KEY("o.placed_at") ", o.id)::text"
    "     FROM shown o ORDER BY o.placed_at, o.id LIMIT 1) END";

static const char orders_get_sql[] =
    "SELECT json_build_object(" ORDER_FIELDS ","
    " 'lines', coalesce((SELECT json_agg(json_build_object('line_no', l.line_no, 'sku', l.sku,"
    "   'name', l.name, 'quantity', l.quantity, 'quantity_exact', l.quantity_exact::text,"
    "   'unit_price', l.unit_price::text, 'line_total', l.line_total::text) ORDER BY l.line_no)"
    "   FROM order_lines l WHERE l.order_id = o.id), '[]'::json),"
    " 'allocation', json_build_object('location', o.stock_location,"
    "   'state', CASE WHEN o.stock_location IS NULL THEN 'none'"
    "                 WHEN o.status = 'cancelled' THEN 'released' ELSE 'allocated' END,"
    "   'stock', coalesce((SELECT json_agg(json_build_object('sku', i.sku, 'on_hand', i.on_hand,"
    "      'allocated', i.allocated, 'available', i.on_hand - i.allocated) ORDER BY i.sku)"
    "      FROM inventory i WHERE i.location = o.stock_location AND upper(i.sku) IN"
    "        (SELECT upper(l.sku) FROM order_lines l WHERE l.order_id = o.id)), '[]'::json)))"
    " FROM orders o WHERE o.id = $1::bigint";

static const struct read_param orders_get_params[] = {{NULL, READ_TEXT, 0, 0, NULL}};

void orders_list(struct api_call *call)
{
    struct read *r = read_begin(call, orders_params);
    if (r == NULL || !read_range_ok(r, "from", "to"))
        return;
    read_run(r, orders_list_sql, 7, r->arg, true);
}

/* True when s is a positive bigint. */
static bool orders_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 19 || s[0] == '0' || strspn(s, "0123456789") != n)
        return false;
    return n < 19 || strcmp(s, "9223372036854775807") <= 0;
}

void orders_get(struct api_call *call)
{
    const char *id = api_call_param(call, "id");
    struct read *r = read_begin(call, orders_get_params);
    if (r == NULL)
        return;
    if (id == NULL || !orders_id_ok(id)) {
        api_respond_error(call->req, 400, "invalid_parameter", "id must be a positive integer");
        return;
    }
    read_run(r, orders_get_sql, 1, &id, false);
}
