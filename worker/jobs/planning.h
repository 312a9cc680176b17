/*
 * worker/jobs/planning.h: the forecasting job family (queue `forecast`) and
 * the configuration it reads.
 *
 *   forecast.run             demand forecast of every active SKU and stock
 *                            recommendations per SKU and location, one run
 *   working_capital.compute  one working-capital snapshot (DSO, DIO, DPO, CCC)
 *
 * docs/FORECAST.md ("Jobs") and docs/WORKING_CAPITAL.md describe what they
 * read and write and every convention; the tables are in
 * migrations/0005_forecasting.sql.
 */
#ifndef SENTIA_WORKER_JOBS_FORECAST_H
#define SENTIA_WORKER_JOBS_FORECAST_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "queue/job.h"
#include "worker/core/handler.h"

enum {
    /* A run over tens of thousands of SKUs takes minutes on two cores; half
     * an hour bounds a run whose thread-pool work stalled. */
    JOBS_FORECAST_RUN_TIMEOUT_MS = 30 * 60 * 1000,
    JOBS_FORECAST_RUN_MAX_ATTEMPTS = 5,
    JOBS_WORKING_CAPITAL_TIMEOUT_MS = 120000,
    JOBS_WORKING_CAPITAL_DAYS = 365, /* D of DSO/DIO/DPO: a trailing year */
};

/*
 * Variables the family reads (merge into the worker's config tables):
 * FORECAST_BUCKET, FORECAST_HORIZON, FORECAST_HISTORY_WEEKS,
 * FORECAST_PARALLELISM, FORECAST_KEEP_RUNS, SERVICE_LEVEL,
 * DEFAULT_LEAD_TIME_DAYS, REVIEW_PERIOD_DAYS, BASE_CURRENCY, and the test
 * seam FORECAST_TEST_DELAY_MS (a sleep per SKU, refused outside APP_ENV=test).
 */
extern const struct config_var jobs_forecast_config_vars[];

/* Appends what the tables cannot check (SERVICE_LEVEL, BASE_CURRENCY, the
 * test seam outside tests) to err, "; "-separated like the worker's other
 * problems. get(name) is a variable's text, else its default, else NULL. */
void jobs_forecast_config_check(const char *(*get)(const char *name), struct buf *err);

/* Forecast work items run at once: FORECAST_PARALLELISM, 0 = the CPUs. */
int jobs_forecast_parallelism(const struct config *cfg);

/*
 * The working_capital.compute job to enqueue on a schedule or after a
 * successful xero.sync_invoices: idempotency key "wc:<YYYY-MM-DDTHH>" (the
 * UTC hour of now_ms), so any number of triggers within one hour make one
 * snapshot. The caller owns the job (job_run_enqueue takes it over).
 */
struct job *jobs_forecast_working_capital_job(int64_t now_ms);

#endif
