/*
 * lib/forecast_auto.h: the automatic method choice (FORECAST_AUTO).
 *
 * Intermittent series (average inter-demand interval at or above the SBC
 * cut-off) go to the intermittent-demand methods; every other series gets
 * an equal-weight combination of model forecasts chosen from in-sample
 * evidence only. The rules and their reasons are in docs/FORECAST.md.
 */
#ifndef SENTIA_FORECAST_AUTO_H
#define SENTIA_FORECAST_AUTO_H

#include "lib/forecast_job.h"

/* Chooses and runs the method(s) for job, writing into out. Returns 0 or
 * FORECAST_E_NOMEM. */
int forecast_auto_run(struct forecast_job *job, struct forecast_output *out);

#endif
