/*
 * lib/forecast/auto.h: the automatic method choice (FORECAST_AUTO).
 *
 * Intermittent series (average inter-demand interval at or above the SBC
 * cut-off) get the best of Croston/SBA, TSB and SES by in-sample MSE;
 * series with a period beyond 24 (weekly) the pointwise median of ETS,
 * Theta and seasonal naive forecasts; every other series a weighted
 * average of ETS, ARIMA and Theta forecasts, the weights from errors on
 * earlier stretches of its own history. Only
 * in-sample evidence is used. The rules and their reasons are in
 * forecast_auto.c and docs/FORECAST.md. Stateless; scratch memory only.
 */
#ifndef SENTIA_FORECAST_AUTO_H
#define SENTIA_FORECAST_AUTO_H

#include "lib/forecast/job.h"

/* Chooses and runs the method(s) for job, writing into out. Returns 0 or
 * FORECAST_E_NOMEM. */
int forecast_auto_run(struct forecast_job *job, struct forecast_output *out);

#endif
