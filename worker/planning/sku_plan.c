/*
 * worker/planning/sku_plan.c: one SKU's history, forecast and stock recommendations
 * (sku_plan.h).
 *
 * The input is parsed into a struct sku_input whose strings are borrowed
 * from the parsed JSON (alive until input_dispose); the history buffer is
 * allocated per SKU (at most 7 x FORECAST_HISTORY_WEEKS values).
 */
#include "worker/planning/sku_plan.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/forecast.h"
#include "lib/forecast/stats.h"
#include "lib/mem.h"

/* Locations one SKU may be stocked at: far more than any warehouse list. */
enum { SKU_PLAN_LOCATIONS_MAX = 1024 };
/* Significant digits of the quantities written (well beyond any unit). */
enum { SKU_PLAN_DIGITS = 10 };

struct sku_input {
    json_t *root;
    size_t k; /* non-empty buckets */
    int64_t *days;
    double *qty;
    double lead[STOCK_LEAD_SAMPLES];
    size_t nlead;
    size_t nloc;
    struct stock_location *loc;
    const char **loc_name; /* borrowed from root */
    double unplaced;
};

/* ---- input ----------------------------------------------------------------- */

static void input_dispose(struct sku_input *in)
{
    json_decref(in->root);
    free(in->days);
    free(in->qty);
    free(in->loc);
    free(in->loc_name);
}

/* The demand buckets: two arrays of equal length, at most max_k long. */
static const char *input_buckets(struct sku_input *in, size_t max_k)
{
    const json_t *b = json_object_get(in->root, "buckets");
    const json_t *q = json_object_get(in->root, "qty");
    if (!json_is_array(b) || !json_is_array(q) || json_array_size(b) != json_array_size(q))
        return "buckets and qty are not arrays of one length";
    in->k = json_array_size(b);
    if (in->k > max_k)
        return "more demand buckets than the history window holds";
    in->days = mem_alloc((in->k ? in->k : 1) * sizeof *in->days);
    in->qty = mem_alloc((in->k ? in->k : 1) * sizeof *in->qty);
    for (size_t i = 0; i < in->k; i++) {
        const json_t *d = json_array_get(b, i), *v = json_array_get(q, i);
        if (!json_is_integer(d) || !json_is_number(v))
            return "a bucket or a quantity is not a number";
        in->days[i] = json_integer_value(d);
        in->qty[i] = json_number_value(v);
    }
    return NULL;
}

/* One inventory row of the "stock" array. */
static const char *input_location(struct sku_input *in, size_t i, const json_t *o)
{
    const json_t *name = json_object_get(o, "location");
    const json_t *f[4] = {json_object_get(o, "on_hand"), json_object_get(o, "allocated"),
                          json_object_get(o, "on_order"), json_object_get(o, "demand")};
    if (!json_is_string(name))
        return "a stock row has no location";
    for (int j = 0; j < 4; j++)
        if (!json_is_number(f[j]))
            return "a stock row has a field that is not a number";
    in->loc_name[i] = json_string_value(name);
    in->loc[i] = (struct stock_location){.on_hand = json_number_value(f[0]),
                                         .allocated = json_number_value(f[1]),
                                         .on_order = json_number_value(f[2]),
                                         .demand = json_number_value(f[3])};
    return NULL;
}

/* Lead times, locations and unplaced on-order stock. */
static const char *input_stock(struct sku_input *in)
{
    const json_t *lt = json_object_get(in->root, "lead_times");
    const json_t *st = json_object_get(in->root, "stock");
    const json_t *un = json_object_get(in->root, "on_order_unplaced");
    if (!json_is_array(lt) || !json_is_array(st) || !json_is_number(un))
        return "lead_times, stock or on_order_unplaced missing";
    for (size_t i = 0; i < json_array_size(lt) && in->nlead < STOCK_LEAD_SAMPLES; i++)
        if (json_is_number(json_array_get(lt, i)))
            in->lead[in->nlead++] = json_number_value(json_array_get(lt, i));
    in->nloc = json_array_size(st);
    if (in->nloc > SKU_PLAN_LOCATIONS_MAX)
        return "too many stock locations";
    in->loc = mem_calloc(in->nloc ? in->nloc : 1, sizeof *in->loc);
    in->loc_name = mem_calloc(in->nloc ? in->nloc : 1, sizeof *in->loc_name);
    for (size_t i = 0; i < in->nloc; i++) {
        const char *why = input_location(in, i, json_array_get(st, i));
        if (why)
            return why;
    }
    in->unplaced = fmax(json_number_value(un), 0.0);
    return NULL;
}

/* Parses a forecast_inputs() document; NULL, or why it is unusable. */
static const char *input_parse(const char *text, size_t max_k, struct sku_input *in)
{
    const char *why;
    memset(in, 0, sizeof *in);
    in->root = json_loads(text ? text : "", 0, NULL);
    if (!json_is_object(in->root))
        return "input is not a JSON object";
    why = input_buckets(in, max_k);
    return why ? why : input_stock(in);
}

/* ---- output ---------------------------------------------------------------- */

/* Appends v (stolen) to an array under construction; 0 or -1 (cap). */
static int output_append(struct buf *b, json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(SKU_PLAN_DIGITS));
    json_decref(v);
    if (text == NULL)
        abort(); /* v NULL or no memory: only out of memory (lib/mem.h policy) */
    int rc = buf_printf(b, "%s%s", b->len ? "," : "", text);
    free(text);
    return rc;
}

static int output_failure(struct sku_plan_output *o, const char *sku, const char *stage,
                          const char *reason)
{
    o->failed++;
    return output_append(&o->failures,
                         json_pack("{s:s, s:s, s:s}", "sku", sku, "stage", stage, "reason",
                                   reason));
}

/* The first `horizon` steps of res as [[point, lo80, hi80, lo95, hi95], …]. */
static json_t *output_steps(const struct forecast_result *res, int horizon)
{
    const double *p = forecast_result_point(res);
    const double *lo80 = forecast_result_lower(res, 0), *hi80 = forecast_result_upper(res, 0);
    const double *lo95 = forecast_result_lower(res, 1), *hi95 = forecast_result_upper(res, 1);
    json_t *steps = json_array();
    for (int k = 0; k < horizon; k++)
        json_array_append_new(steps, json_pack("[f, f, f, f, f]", p[k], lo80[k], hi80[k],
                                               lo95[k], hi95[k]));
    return steps;
}

static int output_forecast(struct sku_plan_output *o, const char *sku,
                           const struct forecast_result *res, int horizon)
{
    o->ok++;
    return output_append(
        &o->forecasts,
        json_pack("{s:s, s:s, s:s, s:o}", "sku", sku, "method",
                  forecast_method_name(forecast_result_method(res)), "model",
                  forecast_result_model(res), "steps", output_steps(res, horizon)));
}

static int output_location(struct sku_plan_output *o, const char *sku, const char *location,
                           const struct stock_plan *plan, const struct stock_policy *policy,
                           const struct stock_location *l)
{
    json_t *r = json_pack(
        "{s:s, s:s, s:f, s:s, s:i, s:f, s:f, s:f, s:f, s:f}", "sku", sku, "location", location,
        "lead_time_days", plan->lead.days, "lead_time_source",
        plan->lead.samples > 0 ? "purchase_orders" : "default", "lead_time_samples",
        plan->lead.samples, "demand_share", l->share, "lead_time_demand", l->lead_demand,
        "lead_time_sigma", l->lead_sigma, "safety_stock", l->safety, "reorder_point",
        l->reorder_point);
    json_object_set_new(r, "review_period_days", json_integer(policy->review_days));
    json_object_set_new(r, "review_demand", json_real(l->review_demand));
    json_object_set_new(r, "on_hand", json_integer((json_int_t)llround(l->on_hand)));
    json_object_set_new(r, "allocated", json_integer((json_int_t)llround(l->allocated)));
    json_object_set_new(r, "on_order", json_real(l->on_order_total));
    json_object_set_new(r, "inventory_position", json_real(l->position));
    json_object_set_new(r, "suggested_order", json_integer(l->suggested));
    return output_append(&o->recommendations, r);
}

/* ---- one SKU ----------------------------------------------------------------- */

/* Stock recommendations of every location from the SKU's forecast. */
static int sku_plan_stock(const struct sku_plan_settings *s, const char *sku,
                          struct sku_input *in, const struct stock_lead_time *lead,
                          const struct forecast_result *res, struct sku_plan_output *o)
{
    struct stock_forecast f = {
        .window = &s->window, .steps = (size_t)forecast_result_horizon(res),
        .point = forecast_result_point(res), .upper = forecast_result_upper(res, 1),
        .upper_z = forecast_stats_z(forecast_result_level_pct(res, 1))};
    struct stock_plan plan;
    stock_plan(&s->policy, &f, s->today, lead, &plan);
    stock_locations(&plan, in->unplaced, in->loc, in->nloc);
    for (size_t i = 0; i < in->nloc; i++)
        if (output_location(o, sku, in->loc_name[i], &plan, &s->policy, &in->loc[i]) != 0)
            return -1;
    return 0;
}

/* Engine steps: the stored horizon, or more to cover lead time + review. */
static int sku_plan_steps(const struct sku_plan_settings *s, const struct stock_lead_time *lead)
{
    size_t need = stock_steps_needed(&s->window, s->today, lead->days + s->policy.review_days);
    if (need > FORECAST_MAX_HORIZON)
        need = FORECAST_MAX_HORIZON;
    return (int)need > s->horizon ? (int)need : s->horizon;
}

int sku_plan_run(const struct sku_plan_settings *s, const char *sku, const char *input,
                 struct sku_plan_output *o)
{
    struct sku_input in;
    struct stock_lead_time lead;
    struct forecast_result *res = NULL;
    double *history = mem_alloc((s->window.n ? s->window.n : 1) * sizeof *history);
    char why[256];
    size_t n = 0;
    int rc;
    const char *bad = input_parse(input, s->window.n, &in);
    if (bad != NULL) {
        rc = output_failure(o, sku, "history", bad);
        goto done;
    }
    if (demand_history(&s->window, in.days, in.qty, in.k, history, &n, why, sizeof why) != 0) {
        rc = output_failure(o, sku, "history", why);
        goto done;
    }
    stock_lead_time(in.lead, in.nlead, s->policy.default_lead_days, &lead);
    struct forecast_request req = {.values = history, .n = n,
                                   .period = demand_period(s->window.bucket),
                                   .horizon = sku_plan_steps(s, &lead),
                                   .method = FORECAST_AUTO};
    int err = forecast_run(&req, &res);
    if (err != FORECAST_OK) {
        snprintf(why, sizeof why, "forecast engine: %s", forecast_strerror(err));
        rc = output_failure(o, sku, "engine", why);
        goto done;
    }
    rc = output_forecast(o, sku, res, s->horizon);
    if (rc == 0)
        rc = sku_plan_stock(s, sku, &in, &lead, res, o);
done:
    forecast_result_free(res);
    input_dispose(&in);
    free(history);
    return rc;
}

/* ---- output buffers ------------------------------------------------------------ */

void sku_plan_output_init(struct sku_plan_output *o, size_t cap)
{
    buf_init(&o->forecasts, cap);
    buf_init(&o->recommendations, cap);
    buf_init(&o->failures, cap);
    o->ok = o->failed = 0;
}

void sku_plan_output_dispose(struct sku_plan_output *o)
{
    buf_dispose(&o->forecasts);
    buf_dispose(&o->recommendations);
    buf_dispose(&o->failures);
}
