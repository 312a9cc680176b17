/*
 * worker/planning/sku_plan.h: one SKU of a forecast run — from its forecast_inputs()
 * row (migrations/0005_forecasting.sql) to the JSON that
 * forecast_run_finish() writes: the demand history (worker/planning/demand.h), the
 * engine's forecast (lib/forecast/forecast.h, method auto), and the stock
 * recommendation of each inventory location (worker/planning/stock.h).
 *
 * A SKU that cannot be forecast — input that is not the expected JSON, an
 * implausible history, an engine error — is a *failure*: one entry in the
 * failures array with its stage ("history" or "engine") and the reason, and
 * nothing else; the run goes on with the other SKUs.
 *
 * Output: three JSON arrays are built without their brackets, one element
 * per SKU (forecasts, failures) or per location (recommendations),
 * comma-separated, so a run can join the outputs of many chunks by
 * concatenation. Forecasts hold the first `horizon` steps; the engine is
 * asked for as many more as the lead time and review period need.
 *
 * Threads: sku_plan_run() touches only its arguments; any number of threads
 * may run it at once on their own outputs (the settings are read-only).
 * Ownership: the output's buffers belong to it (sku_plan_output_dispose).
 */
#ifndef SENTIA_WORKER_SKU_PLAN_H
#define SENTIA_WORKER_SKU_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "worker/planning/demand.h"
#include "worker/planning/stock.h"

struct sku_plan_settings {
    struct demand_window window;
    int64_t today;
    int horizon;               /* forecast steps stored */
    struct stock_policy policy;
};

struct sku_plan_output {
    /* {"sku","method","model","steps":[[point,lo80,hi80,lo95,hi95]…]} */
    struct buf forecasts;
    struct buf recommendations; /* {"sku","location",<stock_recommendations columns>} */
    struct buf failures;        /* {"sku","stage","reason"} */
    size_t ok, failed;
};

/* Empty output whose buffers each hold at most cap bytes. */
void sku_plan_output_init(struct sku_plan_output *o, size_t cap);
void sku_plan_output_dispose(struct sku_plan_output *o);

/*
 * Forecasts SKU `sku` from `input` (the forecast_inputs() JSON) and appends
 * the results (or the failure) to o. Returns 0, or -1 when an output buffer
 * reached its cap (the output is then incomplete and the run must stop).
 */
int sku_plan_run(const struct sku_plan_settings *s, const char *sku, const char *input,
                 struct sku_plan_output *o);

#endif
