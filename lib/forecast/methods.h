/*
 * lib/forecast/methods.h: the explicit methods of the public API run on a
 * forecast job, each writing its forecasts into a caller-given output and
 * its model label and parameters into the job's explanation.
 *
 * Every runner handles a series too short for its model itself: it falls
 * back to a simpler model (seasonal ETS -> non-seasonal ETS -> naive,
 * Theta -> naive, ARIMA -> naive, seasonal naive -> naive) and says so in
 * the explanation. Seasonality: ETS and ARIMA model periods up to 24
 * directly; longer periods, and Theta at any period, work on a seasonally
 * adjusted series (forecast_season) and put the season back on the
 * forecasts.
 *
 * Runners also record in the job the model they fitted (ets_fit,
 * arima_fit), and honour the job's validation flags: quiet, points_only
 * and fixed_* (refit the recorded model, warm-started).
 *
 * Runners return 0 or FORECAST_E_NOMEM; they never leave NaN in `out`.
 * They allocate only scratch memory, freed before returning.
 */
#ifndef SENTIA_FORECAST_METHODS_H
#define SENTIA_FORECAST_METHODS_H

#include "lib/forecast/intermittent.h"
#include "lib/forecast/job.h"

/* Naive: the last value, random-walk intervals. */
int forecast_methods_naive(struct forecast_job *job,
                           struct forecast_output *out);

/* Seasonal naive; naive when n < m or m == 1. */
int forecast_methods_snaive(struct forecast_job *job,
                            struct forecast_output *out);

/* ETS chosen by AICc among all admissible models. */
int forecast_methods_ets(struct forecast_job *job,
                         struct forecast_output *out);

/* Theta (SES with drift) on the seasonally adjusted series. */
int forecast_methods_theta(struct forecast_job *job,
                           struct forecast_output *out);

/* Seasonal ARIMA by stepwise AICc search (periods beyond
 * FORECAST_ARIMA_MAX_PERIOD: non-seasonal ARIMA on the adjusted series). */
int forecast_methods_arima(struct forecast_job *job,
                           struct forecast_output *out);

/* Croston, SBA or TSB; a series without demand gets zeros. */
int forecast_methods_intermittent(struct forecast_job *job,
                                  enum forecast_intermittent_kind kind,
                                  struct forecast_output *out);

#endif
