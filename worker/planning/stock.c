/*
 * worker/planning/stock.c: lead time, demand over an interval, safety stock, reorder
 * point and suggested orders (stock.h states the formulas).
 */
#include "worker/planning/stock.h"

#include <math.h>

#include "lib/forecast/stats.h"

/* A suggested order within this of a whole unit is that unit, so that a
 * requirement of exactly 12 units computed as 12.000000000001 stays 12. */
#define STOCK_UNIT_SLACK 1e-9

void stock_lead_time(const double *days, size_t n, double default_days,
                     struct stock_lead_time *out)
{
    double sorted[STOCK_LEAD_SAMPLES];
    size_t k = 0;
    for (size_t i = 0; i < n && k < STOCK_LEAD_SAMPLES; i++)
        if (isfinite(days[i]) && days[i] >= 0)
            sorted[k++] = days[i];
    out->samples = (int)k;
    if (k == 0) {
        out->days = default_days;
        return;
    }
    forecast_stats_sort(sorted, k);
    out->days = forecast_stats_quantile_sorted(sorted, k, 0.5);
}

size_t stock_steps_needed(const struct demand_window *w, int64_t today, double days)
{
    double end = (double)today + days;
    size_t h = 1;
    while ((double)demand_bucket_add(w->bucket, w->origin, (int64_t)h) < end)
        h++;
    return h;
}

void stock_demand(const struct stock_forecast *f, double from_day, double to_day,
                  double *mean, double *var)
{
    const struct demand_window *w = f->window;
    *mean = *var = 0.0;
    for (size_t k = 0; k < f->steps && to_day > from_day; k++) {
        double start = (double)demand_bucket_add(w->bucket, w->origin, (int64_t)k);
        double end = (double)demand_bucket_add(w->bucket, w->origin, (int64_t)k + 1);
        double overlap = fmin(end, to_day) - fmax(start, from_day);
        if (overlap <= 0)
            continue;
        double share = overlap / (end - start);
        double sigma = (f->upper[k] - f->point[k]) / f->upper_z;
        *mean += share * f->point[k];
        *var += share * sigma * sigma;
    }
}

void stock_plan(const struct stock_policy *p, const struct stock_forecast *f, int64_t today,
                const struct stock_lead_time *lead, struct stock_plan *out)
{
    double var, review_var, from = (double)today, arrive = from + lead->days;
    out->lead = *lead;
    stock_demand(f, from, arrive, &out->lead_demand, &var);
    stock_demand(f, arrive, arrive + p->review_days, &out->review_demand, &review_var);
    out->lead_sigma = sqrt(var);
    out->safety = fmax(0.0, forecast_stats_qnorm(p->service_level) * out->lead_sigma);
    out->reorder_point = out->lead_demand + out->safety;
}

void stock_locations(const struct stock_plan *plan, double on_order_unplaced,
                     struct stock_location *loc, size_t k)
{
    double total = 0.0;
    for (size_t i = 0; i < k; i++)
        total += loc[i].demand > 0 ? loc[i].demand : 0.0;
    for (size_t i = 0; i < k; i++) {
        struct stock_location *l = &loc[i];
        l->share = total > 0 ? fmax(l->demand, 0.0) / total : 1.0 / (double)k;
        l->lead_demand = l->share * plan->lead_demand;
        l->lead_sigma = l->share * plan->lead_sigma;
        l->safety = l->share * plan->safety;
        l->reorder_point = l->share * plan->reorder_point;
        l->review_demand = l->share * plan->review_demand;
        l->on_order_total = l->on_order + l->share * on_order_unplaced;
        l->position = l->on_hand - l->allocated + l->on_order_total;
        double need = l->reorder_point + l->review_demand - l->position;
        l->suggested = need > STOCK_UNIT_SLACK ? (long long)ceil(need - STOCK_UNIT_SLACK) : 0;
    }
}
