/*
 * api/routes/forecasts.c: forecasts and forecast runs (see forecasts.h).
 * `history` is the demand the forecast job reads (migrations/
 * 0005_forecasting.sql: non-cancelled order lines of the SKU, per UTC
 * bucket), every bucket from the run's history_start up to its origin.
 */
#include "api/routes/forecasts.h"

#include <string.h>

#include "api/routes/read.h"

/* The run reference of view current_forecast_run (schema RunRef), or null. */
#define FORECAST_RUN_REF                                                                          \
    "(SELECT json_build_object('id', r.id, 'finished_at', " READ_TS("r.finished_at") ","          \
    " 'as_of', " READ_DATE_SQL("r.as_of") ", 'bucket', r.bucket, 'horizon', r.horizon,"          \
    " 'origin', " READ_DATE_SQL("r.origin") ") FROM current_forecast_run r)"

static const char *const forecast_run_statuses[] = {"running", "succeeded", "failed", "abandoned",
                                                    NULL};

static const struct read_param forecasts_params[] = {
    {"sku", READ_TEXT, 1, 255, NULL},
    {"history", READ_BOOL, 0, 0, NULL},
    {"cursor", READ_CURSOR, 0, 0, NULL},
    {"limit", READ_LIMIT, 0, 0, NULL},
    {NULL, READ_TEXT, 0, 0, NULL},
};

static const char forecasts_sql[] =
    "WITH skus AS ("
    " SELECT DISTINCT f.sku FROM current_forecasts f"
    "  WHERE ($1::text IS NULL OR upper(f.sku) = upper($1))"
    "    AND ($3::json IS NULL OR f.sku > $3::json->>0)"
    "  ORDER BY f.sku LIMIT $4::int + 1),"
    " shown AS (SELECT sku FROM skus ORDER BY sku LIMIT $4::int),"
    " run AS (SELECT * FROM current_forecast_run)"
    " SELECT json_build_object('run', " FORECAST_RUN_REF ","
    " 'items', coalesce((SELECT json_agg(x.item ORDER BY x.sku) FROM (SELECT s.sku,"
    "   json_build_object('sku', s.sku,"
    "    'method', (SELECT f.method FROM current_forecasts f WHERE f.sku = s.sku ORDER BY f.step LIMIT 1),"
    "    'model', (SELECT f.model FROM current_forecasts f WHERE f.sku = s.sku ORDER BY f.step LIMIT 1),"
    "    'periods', (SELECT json_agg(json_build_object('step', f.step,"
    "       'period_start', " READ_DATE_SQL("f.period_start") ", 'point', f.point, 'lo80', f.lo80,"
    "       'hi80', f.hi80, 'lo95', f.lo95, 'hi95', f.hi95) ORDER BY f.step)"
    "       FROM current_forecasts f WHERE f.sku = s.sku))::jsonb"
    "   || CASE WHEN $2::boolean THEN jsonb_build_object('history', (SELECT"
    "       coalesce(jsonb_agg(jsonb_build_object('period_start', " READ_DATE_SQL("b.d") ","
    "        'quantity', coalesce(q.n, 0)) ORDER BY b.d), '[]'::jsonb)"
    "       FROM run CROSS JOIN LATERAL (SELECT g::date AS d FROM generate_series("
    "         run.history_start::timestamp, (run.origin - 1)::timestamp,"
    "         ('1 ' || run.bucket)::interval) g) b"
    "       LEFT JOIN (SELECT date_trunc(r2.bucket, o.placed_at AT TIME ZONE 'UTC')::date AS d,"
    "                         sum(l.quantity) AS n"
    "          FROM run r2, orders o JOIN order_lines l ON l.order_id = o.id"
    "         WHERE o.status <> 'cancelled' AND upper(l.sku) = upper(s.sku)"
    "           AND o.placed_at >= r2.history_start::timestamp AT TIME ZONE 'UTC'"
    "           AND o.placed_at < r2.origin::timestamp AT TIME ZONE 'UTC'"
    "         GROUP BY 1) q ON q.d = b.d))"
    "      ELSE '{}'::jsonb END AS item"
    "   FROM shown s) x), '[]'::json)),"
    " CASE WHEN (SELECT count(*) FROM skus) > $4::int THEN"
    "  (SELECT json_build_array(sku)::text FROM shown ORDER BY sku DESC LIMIT 1) END";

static const struct read_param runs_params[] = {
    {"status", READ_ENUM, 0, 0, forecast_run_statuses},
    {"cursor", READ_CURSOR, 0, 0, NULL},
    {"limit", READ_LIMIT, 0, 0, NULL},
    {NULL, READ_TEXT, 0, 0, NULL},
};

static const char runs_sql[] =
    "WITH page AS ("
    " SELECT r.* FROM forecast_runs r"
    "  WHERE ($1::text IS NULL OR r.status = $1)"
    "    AND ($2::json IS NULL OR (r.started_at, r.id) <"
    "         (($2::json->>0)::timestamptz, ($2::json->>1)::bigint))"
    "  ORDER BY r.started_at DESC, r.id DESC LIMIT $3::int + 1),"
    " shown AS (SELECT * FROM page ORDER BY started_at DESC, id DESC LIMIT $3::int)"
    " SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object("
    "   'id', r.id, 'job_id', r.job_id, 'status', r.status,"
    "   'started_at', " READ_TS("r.started_at") ", 'finished_at', " READ_TS("r.finished_at") ","
    "   'as_of', " READ_DATE_SQL("r.as_of") ", 'bucket', r.bucket, 'period', r.period,"
    "   'horizon', r.horizon, 'history_start', " READ_DATE_SQL("r.history_start") ","
    "   'origin', " READ_DATE_SQL("r.origin") ", 'settings', r.settings,"
    "   'skus_total', r.skus_total, 'skus_ok', r.skus_ok, 'skus_failed', r.skus_failed,"
    "   'success_rate', r.success_rate, 'error', r.error)"
    "   ORDER BY r.started_at DESC, r.id DESC) FROM shown r), '[]'::json)),"
    " CASE WHEN (SELECT count(*) FROM page) > $3::int THEN"
    "  (SELECT json_build_array(" READ_TS_KEY("r.started_at") ", r.id)::text"
    "     FROM shown r ORDER BY r.started_at, r.id LIMIT 1) END";

void forecasts_list(struct api_call *call)
{
    struct read *r = read_begin(call, forecasts_params);
    if (r == NULL)
        return;
    const char *history = read_arg(r, "history");
    bool with_history = history != NULL && strcmp(history, "true") == 0;
    if (with_history && read_arg(r, "sku") == NULL) {
        api_respond_error(call->req, 400, "invalid_parameter", "history=true needs sku");
        return;
    }
    const char *params[4] = {r->arg[0], with_history ? "true" : "false", r->arg[2], r->arg[3]};
    read_run(r, forecasts_sql, 4, params, true);
}

void forecasts_runs(struct api_call *call)
{
    struct read *r = read_begin(call, runs_params);
    if (r != NULL)
        read_run(r, runs_sql, 3, r->arg, true);
}
