/*
 * tests/worker/planning/test_sku_plan.c: one SKU from its forecast_inputs() JSON to
 * the rows forecast_run_finish() writes (worker/planning/sku_plan.c), with the real
 * engine: a constant history (forecast = the constant, zero-width
 * intervals) gives figures worked by hand; a corrupt, a malformed and an
 * unforecastable history give failures with their stage and reason; a
 * full output buffer stops the run.
 *
 * The run is on Wednesday 2024-01-03 (day 19725), weekly buckets, 4 weeks of
 * history from Monday 2023-12-04 (day 19695), demand 7 every week. Lead time
 * 10 days (one purchase order): D_L = 5/7*7 + 5/7*7 = 10, no spread so
 * SS = 0 and ROP = 10; review 7 days: D_R = 7; on hand 5, allocated 1, on
 * order 0 → order ceil(10 + 7 - 4) = 13.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

#include "tests/test.h"
#include "worker/planning/sku_plan.h"

enum { D_2024_01_03 = 19725 };

#define CONSTANT_INPUT                                                                     \
    "{\"buckets\":[19695,19702,19709,19716],\"qty\":[7,7,7,7],\"lead_times\":[10],"      \
    "\"stock\":[{\"location\":\"main\",\"on_hand\":5,\"allocated\":1,\"on_order\":0,"    \
    "\"demand\":28}],\"on_order_unplaced\":0}"

static struct sku_plan_settings settings(void)
{
    struct sku_plan_settings s = {.today = D_2024_01_03, .horizon = 3,
                                  .policy = {.service_level = 0.95, .default_lead_days = 14,
                                             .review_days = 7}};
    demand_window_init(&s.window, DEMAND_WEEK, 4, D_2024_01_03);
    return s;
}

/* One of the output's arrays, parsed; the caller releases it. */
static json_t *array_of(const struct buf *b)
{
    char *text = malloc(b->len + 3);
    snprintf(text, b->len + 3, "[%s]", buf_str(b));
    json_t *a = json_loads(text, 0, NULL);
    free(text);
    return a;
}

static double num(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

TEST(constant_history_gives_hand_figures)
{
    struct sku_plan_settings s = settings();
    struct sku_plan_output o;
    sku_plan_output_init(&o, 1 << 20);
    CHECK_INT(sku_plan_run(&s, "SKU-1", CONSTANT_INPUT, &o), 0);
    CHECK_INT(o.ok, 1);
    CHECK_INT(o.failed, 0);
    json_t *f = array_of(&o.forecasts), *r = array_of(&o.recommendations);
    const json_t *steps = json_object_get(json_array_get(f, 0), "steps");
    const json_t *rec = json_array_get(r, 0);
    int nsteps = (int)json_array_size(steps);
    double p1 = json_number_value(json_array_get(json_array_get(steps, 0), 0));
    double hi95 = json_number_value(json_array_get(json_array_get(steps, 2), 4));
    bool sku_ok = strcmp(json_string_value(json_object_get(json_array_get(f, 0), "sku")),
                         "SKU-1") == 0;
    bool from_orders = strcmp(json_string_value(json_object_get(rec, "lead_time_source")),
                              "purchase_orders") == 0;
    double rop = num(rec, "reorder_point"), review = num(rec, "review_demand");
    double pos = num(rec, "inventory_position"), order = num(rec, "suggested_order");
    double lead = num(rec, "lead_time_days");
    json_decref(f);
    json_decref(r);
    sku_plan_output_dispose(&o);
    CHECK(sku_ok);
    CHECK_INT(nsteps, 3); /* the stored horizon, though the engine ran further */
    CHECK_NEAR(p1, 7, 1e-9);
    CHECK_NEAR(hi95, 7, 1e-9);
    CHECK(from_orders);
    CHECK_NEAR(lead, 10, 0);
    CHECK_NEAR(rop, 10, 1e-9);
    CHECK_NEAR(review, 7, 1e-9);
    CHECK_NEAR(pos, 4, 0);
    CHECK_NEAR(order, 13, 0);
}

TEST(corrupt_history_is_a_failure_with_its_reason)
{
    struct sku_plan_settings s = settings();
    struct sku_plan_output o;
    sku_plan_output_init(&o, 1 << 20);
    CHECK_INT(sku_plan_run(&s, "BAD", "{\"buckets\":[19702],\"qty\":[2147483647],"
                                      "\"lead_times\":[],\"stock\":[],\"on_order_unplaced\":0}",
                           &o), 0);
    CHECK_INT(sku_plan_run(&s, "JUNK", "not json", &o), 0);
    CHECK_INT(o.ok, 0);
    CHECK_INT(o.failed, 2);
    CHECK_INT(o.forecasts.len, 0);
    json_t *a = array_of(&o.failures);
    const json_t *bad = json_array_get(a, 0), *junk = json_array_get(a, 1);
    bool stage = strcmp(json_string_value(json_object_get(bad, "stage")), "history") == 0;
    bool reason = strstr(json_string_value(json_object_get(bad, "reason")), "2147483647") != NULL;
    bool junk_reason = strcmp(json_string_value(json_object_get(junk, "reason")),
                              "input is not a JSON object") == 0;
    json_decref(a);
    sku_plan_output_dispose(&o);
    CHECK(stage && reason && junk_reason);
}

TEST(engine_errors_are_failures)
{
    struct sku_plan_settings s = settings();
    struct sku_plan_output o;
    s.window.n = 0; /* no history at all: the engine refuses an empty series */
    sku_plan_output_init(&o, 1 << 20);
    CHECK_INT(sku_plan_run(&s, "EMPTY", "{\"buckets\":[],\"qty\":[],\"lead_times\":[],"
                                        "\"stock\":[],\"on_order_unplaced\":0}", &o), 0);
    CHECK_INT(o.failed, 1);
    CHECK(strstr(buf_str(&o.failures), "\"stage\":\"engine\"") != NULL);
    CHECK(strstr(buf_str(&o.failures), "forecast engine: ") != NULL);
    sku_plan_output_dispose(&o);
}

TEST(full_output_stops_the_run)
{
    struct sku_plan_settings s = settings();
    struct sku_plan_output o;
    sku_plan_output_init(&o, 64);
    CHECK_INT(sku_plan_run(&s, "SKU-1", CONSTANT_INPUT, &o), -1);
    sku_plan_output_dispose(&o);
}
