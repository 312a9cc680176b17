/*
 * api/routes/slo.c: GET /api/v1/slo (see slo.h).
 */
#include "api/routes/slo.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "api/metrics.h"
#include "api/routes/opsdb.h"
#include "api/routes/qcall.h"
#include "api/server.h"
#include "lib/clock.h"

static const int slo_minutes[3] = {5, 60, 1440};
static const char *const slo_window_names[3] = {"5m", "1h", "24h"};

/* One SLO's row; windows filled by the caller. */
static json_t *slo_row(const char *name, const char *source, const char *unit, const char *op,
                       double target)
{
    return json_pack("{sssssssssfs{}snsn}", "name", name, "source", source, "unit", unit,
                     "objective", op, "target", target, "windows", "error_budget_remaining",
                     "note");
}

/* {"value", "met"}; value < 0 or NaN means no data. */
static json_t *slo_window(double value, const char *op, double target)
{
    if (value < 0 || isnan(value))
        return json_pack("{snsn}", "value", "met");
    bool met = op[0] == '<' ? value < target : value > target;
    return json_pack("{sfsb}", "value", value, "met", met);
}

static void slo_set_window(json_t *row, int i, double value)
{
    const char *op = json_string_value(json_object_get(row, "objective"));
    double target = json_number_value(json_object_get(row, "target"));
    json_object_set_new(json_object_get(row, "windows"), slo_window_names[i],
                        slo_window(value, op, target));
}

/* 1 − bad / allowed over 24 h; null without requests. */
static void slo_budget(json_t *row, uint64_t bad, uint64_t total, double allowed_share)
{
    if (total == 0)
        return;
    double allowed = allowed_share * (double)total;
    json_object_set_new(row, "error_budget_remaining", json_real(1.0 - (double)bad / allowed));
}

static void slo_instance(json_t *slos, const struct api_server *s, int64_t now_ms)
{
    json_t *avail = slo_row("availability", "instance", "ratio", ">", 0.999);
    json_t *p95 = slo_row("latency_p95", "instance", "seconds", "<", 0.5);
    json_t *errs = slo_row("error_rate", "instance", "ratio", "<", 0.01);
    struct metrics_window w;
    for (int i = 0; i < 3; i++) {
        metrics_window_sum(s, now_ms, slo_minutes[i], &w);
        double n = (double)w.requests;
        slo_set_window(avail, i, w.requests ? 1.0 - (double)w.errors / n : -1);
        slo_set_window(errs, i, w.requests ? (double)w.errors / n : -1);
        slo_set_window(p95, i, metrics_window_quantile(&w, 0.95));
    }
    slo_budget(avail, w.errors, w.requests, 0.001);
    slo_budget(errs, w.errors, w.requests, 0.01);
    slo_budget(p95, metrics_window_slower(&w, 0.5), w.requests, 0.05);
    json_array_append_new(slos, avail);
    json_array_append_new(slos, p95);
    json_array_append_new(slos, errs);
}

/* The oldest synced resource's age (never succeeded: since the epoch), or -1. */
static double slo_freshness(const json_t *data, double now)
{
    size_t i;
    const json_t *it;
    double oldest = -1;
    json_array_foreach(json_object_get(data, "integrations"), i, it) {
        double age = now - json_number_value(json_object_get(it, "last_success_s"));
        if (age > oldest)
            oldest = age;
    }
    return oldest;
}

/* succeeded ÷ finished of a [finished, succeeded] pair, or -1. */
static double slo_ratio(const json_t *pair)
{
    double finished = json_number_value(json_array_get(pair, 0));
    return finished > 0 ? json_number_value(json_array_get(pair, 1)) / finished : -1;
}

static void slo_point(json_t *row, double value, const char *note)
{
    slo_set_window(row, 0, value);
    slo_set_window(row, 1, -1);
    slo_set_window(row, 2, -1);
    json_object_set_new(row, "note", json_string(note));
}

static void slo_data(json_t *slos, const struct opsdb *o)
{
    json_t *fresh = slo_row("data_freshness", "postgres", "seconds", "<", 1800);
    json_t *fc = slo_row("forecast_success", "postgres", "ratio", ">", 0.99);
    json_t *wc = slo_row("working_capital_age", "postgres", "seconds", "<", 86400);
    const json_t *d = o->data;
    double now = json_number_value(json_object_get(d, "now_s"));
    const json_t *runs = json_object_get(d, "forecast_runs");
    const json_t *wc_s = json_object_get(d, "working_capital_s");
    const char *down = o->error ? o->error : "no data";
    slo_point(fresh, d ? slo_freshness(d, now) : -1,
              d ? "point in time: the oldest synced resource now" : down);
    slo_set_window(fc, 0, -1);
    slo_set_window(fc, 1, d ? slo_ratio(json_object_get(runs, "h1")) : -1);
    slo_set_window(fc, 2, d ? slo_ratio(json_object_get(runs, "h24")) : -1);
    json_object_set_new(fc, "note", d ? json_string("finished forecast runs; 5m: none") :
                                        json_string(down));
    const json_t *day = json_object_get(runs, "h24");
    double finished = json_number_value(json_array_get(day, 0));
    if (finished > 0)
        slo_budget(fc, (uint64_t)(finished - json_number_value(json_array_get(day, 1))),
                   (uint64_t)finished, 0.01);
    slo_point(wc, d && json_is_number(wc_s) ? now - json_number_value(wc_s) : -1,
              d ? "point in time: since the newest snapshot" : down);
    json_array_append_new(slos, fresh);
    json_array_append_new(slos, fc);
    json_array_append_new(slos, wc);
}

static void slo_answer(h2o_req_t *req, const struct opsdb *o, void *data)
{
    (void)data;
    if (req == NULL)
        return;
    char host[128] = "", instance[160];
    int64_t now_ms = clock_wall_ms();
    gethostname(host, sizeof host - 1);
    snprintf(instance, sizeof instance, "%s:%d", host, (int)getpid());
    json_t *slos = json_array();
    slo_instance(slos, api_ctx_server(req), now_ms);
    slo_data(slos, o);
    api_respond_cached_json(req, json_pack("{s:o, s:s, s:o}", "generated_at", qcall_time(now_ms),
                                           "instance", instance, "slos", slos));
}

void slo_get(struct api_call *call)
{
    opsdb_collect(call->req, slo_answer, NULL);
}
