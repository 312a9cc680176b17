/*
 * api/routes/working_capital.c: working capital (see working_capital.h).
 */
#include "api/routes/working_capital.h"

#include <time.h>

#include "api/routes/read.h"

enum {
    WC_DEFAULT_DAYS = 90, /* from = to − 89: ninety days counting both */
    WC_MAX_DAYS = 731,    /* two years, a leap day included */
};

static const struct read_param wc_params[] = {
    {"from", READ_DATE, 0, 0, NULL},
    {"to", READ_DATE, 0, 0, NULL},
    {NULL, READ_TEXT, 0, 0, NULL},
};

/* One snapshot of row alias w (schema WorkingCapitalSnapshot). */
#define WC_SNAPSHOT                                                                               \
    "json_build_object('id', w.id, 'job_id', w.job_id, 'as_of', " READ_DATE_SQL("w.as_of") ","    \
    " 'computed_at', " READ_TS("w.computed_at") ", 'days', w.days,"                              \
    " 'base_currency', w.base_currency, 'receivables', w.receivables::text,"                     \
    " 'payables', w.payables::text, 'inventory_value', w.inventory_value::text,"                 \
    " 'revenue', w.revenue::text, 'cogs', w.cogs::text, 'dso', w.dso, 'dio', w.dio,"             \
    " 'dpo', w.dpo, 'ccc', w.ccc, 'notes', to_json(w.notes))"

static const char wc_sql[] =
    "SELECT json_build_object("
    " 'latest', (SELECT " WC_SNAPSHOT " FROM current_working_capital w),"
    " 'from', $1::text, 'to', $2::text,"
    " 'history', coalesce((SELECT json_agg(" WC_SNAPSHOT " ORDER BY w.as_of) FROM ("
    "   SELECT DISTINCT ON (as_of) * FROM working_capital_snapshots"
    "    WHERE as_of BETWEEN $1::date AND $2::date"
    "    ORDER BY as_of, computed_at DESC, id DESC) w), '[]'::json))";

void working_capital_get(struct api_call *call)
{
    struct read *r = read_begin(call, wc_params);
    char from[11], to[11];
    if (r == NULL || !read_range_ok(r, "from", "to"))
        return;
    const char *a = read_arg(r, "from"), *b = read_arg(r, "to");
    long long to_day = b ? read_date_days(b) : (long long)(time(NULL) / 86400);
    long long from_day = a ? read_date_days(a) : to_day - (WC_DEFAULT_DAYS - 1);
    if (from_day > to_day) {
        api_respond_error(call->req, 400, "invalid_parameter", "from must not be after to");
        return;
    }
    if (to_day - from_day + 1 > WC_MAX_DAYS) {
        api_respond_error(call->req, 400, "invalid_parameter",
                          "from and to may be at most 731 days apart");
        return;
    }
    read_date_text(from_day, from);
    read_date_text(to_day, to);
    const char *params[2] = {from, to};
    read_run(r, wc_sql, 2, params, false);
}
