/*
 * lib/forecast/ets_init.h: initial states of the linear ETS recursions by
 * least squares ("concentrating out" the initial states).
 *
 * For every model without a multiplicative season the one-step forecasts
 * are linear in the initial states x0 = (l0, b0, s_1 .. s_{m-1}) once the
 * smoothing parameters are fixed: mu_t = mu0_t + d_t' x0, where mu0_t is
 * the forecast from a zero start and d_t the sensitivity of mu_t to x0
 * (the last seasonal is -(s_1 + ... + s_{m-1}) so seasonals sum to zero
 * and do not trade off against the level). One pass over the data gives
 * the normal equations; their solution minimises the sum of squared
 * one-step errors exactly. For additive errors this is the maximum
 * likelihood estimate of x0; for multiplicative errors it is the
 * least-squares approximation of it. The optimiser then only searches the
 * smoothing parameters (at most four dimensions instead of up to 27).
 *
 * Stateless; uses stack memory only (k <= FORECAST_ETS_MAX_PERIOD + 1).
 */
#ifndef SENTIA_FORECAST_ETS_INIT_H
#define SENTIA_FORECAST_ETS_INIT_H

#include <stddef.h>

#include "lib/forecast/ets_model.h"

/*
 * Given mod's spec, m and smoothing parameters, writes the least-squares
 * initial states into mod->init and the minimised sum of squared one-step
 * errors into *sse. Returns 0, or -1 for a multiplicative season or when
 * the normal equations are singular.
 */
int forecast_ets_init_solve(struct forecast_ets_model *mod, const double *y,
                            size_t n, double *sse);

#endif
