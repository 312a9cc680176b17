/*
 * api/routes/recommendations.c: stock recommendations (see
 * recommendations.h).
 */
#include "api/routes/recommendations.h"

#include "api/routes/read.h"

static const struct read_param recommendations_params[] = {
    {"location", READ_TEXT, 1, 255, NULL},
    {"sku", READ_TEXT, 1, 255, NULL},
    {"needs_order", READ_BOOL, 0, 0, NULL},
    {"cursor", READ_CURSOR, 0, 0, NULL},
    {"limit", READ_LIMIT, 0, 0, NULL},
    {NULL, READ_TEXT, 0, 0, NULL},
};

static const char recommendations_sql[] =
    "WITH page AS ("
    " SELECT s.* FROM current_stock_recommendations s"
    "  WHERE ($1::text IS NULL OR s.location = $1)"
    "    AND ($2::text IS NULL OR upper(s.sku) = upper($2))"
    "    AND ($3::boolean IS NULL OR (s.suggested_order > 0) = $3::boolean)"
    "    AND ($4::json IS NULL OR (s.sku, s.location) > ($4::json->>0, $4::json->>1))"
    "  ORDER BY s.sku, s.location LIMIT $5::int + 1),"
    " shown AS (SELECT * FROM page ORDER BY sku, location LIMIT $5::int)"
    " SELECT json_build_object('run', (SELECT json_build_object('id', r.id,"
    "   'finished_at', " READ_TS("r.finished_at") ", 'as_of', " READ_DATE_SQL("r.as_of") ","
    "   'bucket', r.bucket, 'horizon', r.horizon, 'origin', " READ_DATE_SQL("r.origin") ")"
    "   FROM current_forecast_run r),"
    " 'items', coalesce((SELECT json_agg(json_build_object('run_id', s.run_id, 'sku', s.sku,"
    "   'location', s.location, 'lead_time_days', s.lead_time_days,"
    "   'lead_time_source', s.lead_time_source, 'lead_time_samples', s.lead_time_samples,"
    "   'demand_share', s.demand_share, 'lead_time_demand', s.lead_time_demand,"
    "   'lead_time_sigma', s.lead_time_sigma, 'safety_stock', s.safety_stock,"
    "   'reorder_point', s.reorder_point, 'review_period_days', s.review_period_days,"
    "   'review_demand', s.review_demand, 'on_hand', s.on_hand, 'allocated', s.allocated,"
    "   'on_order', s.on_order, 'inventory_position', s.inventory_position,"
    "   'suggested_order', s.suggested_order) ORDER BY s.sku, s.location)"
    "   FROM shown s), '[]'::json)),"
    " CASE WHEN (SELECT count(*) FROM page) > $5::int THEN"
    "  (SELECT json_build_array(s.sku, s.location)::text FROM shown s"
    "    ORDER BY s.sku DESC, s.location DESC LIMIT 1) END";

void recommendations_list(struct api_call *call)
{
    struct read *r = read_begin(call, recommendations_params);
    if (r != NULL)
        read_run(r, recommendations_sql, 5, r->arg, true);
}
