/*
 * worker/planning/stock.h: stock recommendations from a SKU's demand forecast —
 * supplier lead time, demand and its spread over the lead time, safety
 * stock, reorder point and a suggested order per inventory location.
 *
 * The policy is periodic review, order up to (docs/FORECAST.md "Stock
 * recommendations" states it with an example). With today the run's day, L
 * the lead time and R the review period, in days:
 *
 *   L        = median of the SKU's latest completed purchase orders' lead
 *              times (received_on - ordered_on), else the default;
 *   D_L, V_L = forecast demand over [today, today + L): each forecast
 *              bucket counts with the share of its days inside the interval
 *              (f), its point forecast times f and its variance times f,
 *              the variance from the upper 95 % bound as
 *              ((hi95 - point) / 1.959964)^2;
 *   SS       = z(service level) * sqrt(V_L)
 *   ROP      = D_L + SS                              (reorder point)
 *   D_R      = forecast demand over [today + L, today + L + R)
 *   position = on_hand - allocated + on_order
 *   order    = max(0, ceil(ROP + D_R - position))   (whole units)
 *
 * A SKU stocked at several locations splits its demand by each location's
 * share of the history window's demand allocated there (equal shares when
 * no order named one of them); D_L, SS, ROP and D_R scale by the share, and
 * on-order stock naming no known location is shared the same way.
 *
 * Pure: no I/O, no allocation, no global state; safe on any thread. The
 * forecast arrays are borrowed for the duration of a call.
 */
#ifndef SENTIA_WORKER_STOCK_H
#define SENTIA_WORKER_STOCK_H

#include <stddef.h>
#include <stdint.h>

#include "worker/planning/demand.h"

/* Completed purchase orders whose lead times count (newest first). */
enum { STOCK_LEAD_SAMPLES = 5 };

struct stock_policy {
    double service_level;     /* cycle service level in (0.5, 1), e.g. 0.95 */
    double default_lead_days; /* a SKU without completed purchase orders */
    int review_days;          /* days between two purchasing reviews */
};

/* A SKU's forecast: step k (0-based) is bucket demand_bucket_add(origin, k). */
struct stock_forecast {
    const struct demand_window *window;
    size_t steps;
    const double *point;
    const double *upper;  /* upper bound of an interval ... */
    double upper_z;       /* ... and its standard-normal quantile (1.959964 for 95 %) */
};

struct stock_lead_time {
    double days;
    int samples;      /* purchase orders it comes from; 0 = the default */
};

/* What the SKU as a whole needs (all locations together). */
struct stock_plan {
    struct stock_lead_time lead;
    double lead_demand;   /* D_L */
    double lead_sigma;    /* sqrt(V_L) */
    double safety;        /* SS */
    double reorder_point; /* ROP */
    double review_demand; /* D_R */
};

/* One inventory row: the inputs, then its recommendation. */
struct stock_location {
    double on_hand, allocated, on_order; /* on_order: lines placed at this location */
    double demand;                       /* window's units allocated here (shares) */
    double share, lead_demand, lead_sigma, safety, reorder_point, review_demand;
    double on_order_total, position;
    long long suggested;
};

/* Median of the first min(n, STOCK_LEAD_SAMPLES) lead times (newest first);
 * the default when n is 0. Negative or non-finite samples are skipped. */
void stock_lead_time(const double *days, size_t n, double default_days,
                     struct stock_lead_time *out);

/* Forecast steps needed to cover [today, today + days) from the window's origin. */
size_t stock_steps_needed(const struct demand_window *w, int64_t today, double days);

/* Demand expected over [from_day, to_day) and its variance (see above). */
void stock_demand(const struct stock_forecast *f, double from_day, double to_day,
                  double *mean, double *var);

/* The SKU-level figures for a run on day `today`. */
void stock_plan(const struct stock_policy *p, const struct stock_forecast *f, int64_t today,
                const struct stock_lead_time *lead, struct stock_plan *out);

/* Fills the recommendation of each of the k locations (inputs set). */
void stock_locations(const struct stock_plan *plan, double on_order_unplaced,
                     struct stock_location *loc, size_t k);

#endif
