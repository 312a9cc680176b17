/*
 * lib/forecast/ets.h: exponential smoothing state-space models, ETS(E,T,S)
 * after Hyndman, Koehler, Ord & Snyder (2008): error A/M, trend N/A/Ad,
 * season N/A/M, with smoothing parameters and initial level/trend estimated
 * by maximum likelihood and models compared by AICc.
 *
 * Conventions (the error-correction form R's forecast::ets uses):
 *   q_t  = l + phi b                     (b = 0 without trend, phi = 1
 *                                         for an undamped trend)
 *   mu_t = q_t, q_t + s, or q_t * s      (s = the seasonal of t - m)
 *   e_t  = y - mu (additive error) or (y - mu) / mu (multiplicative)
 *   p_t  = y, y - s or y / s             (deseasonalised observation)
 *   l'   = q + alpha (p - q)
 *   b'   = phi b + beta (p - q)
 *   s'   = s + gamma (y - q - s)  or  s + gamma (y / q - s)
 * The point recursions do not depend on the error type; the likelihood and
 * the intervals do. -2 log L (up to a constant) is n log(sum e^2), plus
 * 2 sum log|mu| for multiplicative errors. Parameter space ("usual"
 * bounds): 0 < alpha < 1, 0 < beta < alpha, 0 < gamma < 1 - alpha,
 * 0.8 <= phi <= 0.98.
 *
 * Seasonal states are a ring indexed by phase: s[t % m] holds the seasonal
 * last updated at t - m.
 *
 * Estimation: for models without a multiplicative season the initial
 * states (level, trend and all seasonals) are solved by least squares for
 * each trial of smoothing parameters (forecast_ets_init), so the
 * Nelder-Mead search covers alpha, beta, gamma and phi only. Models with a
 * multiplicative season search l0 and b0 as well, with initial seasonals
 * from a classical decomposition (of the first three years or of the whole
 * history, whichever start gives the higher likelihood). Initial
 * seasonals count as m - 1 parameters in the AICc either way.
 *
 * A model is a plain value (no heap memory); the period is limited to
 * FORECAST_ETS_MAX_PERIOD as in R's ets (longer seasons are removed by
 * forecast_season before a non-seasonal ETS is fitted).
 */
#ifndef SENTIA_FORECAST_ETS_H
#define SENTIA_FORECAST_ETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/forecast/ets_model.h"
#include "lib/forecast/output.h"

/*
 * Runs the recursions of `mod` (spec, m, parameters, init) over y[0..n-1].
 * Stores the final states in mod->last, the likelihood term in mod->lik,
 * mod->n and the raw error variance; if fitted is not NULL writes the
 * one-step forecasts mu_t there (n values). Returns 0, or -1 when the model
 * is inadmissible for these data (a multiplicative term met a value <= 0).
 */
int forecast_ets_filter(struct forecast_ets_model *mod, const double *y,
                        size_t n, double *fitted);

/*
 * Estimates a model of the given spec on y by maximum likelihood (starting
 * states from a decomposition of the first years). Fills *out including
 * aicc. Returns 0, or -1 when the spec cannot be fitted (too few values for
 * its parameters, multiplicative terms on non-positive data, period out of
 * range, or no admissible optimum).
 */
int forecast_ets_fit(const double *y, size_t n, int m,
                     struct forecast_ets_spec spec,
                     struct forecast_ets_model *out);

/*
 * Refits start's spec to y (a shorter stretch of the series start was
 * fitted to), searching from start's parameters and initial states.
 * Returns as forecast_ets_fit().
 */
int forecast_ets_refit(const double *y, size_t n,
                       const struct forecast_ets_model *start,
                       struct forecast_ets_model *out);

/*
 * Fits every admissible spec (multiplicative forms only for strictly
 * positive data, seasonal forms only when `seasonal` and 2 <= m <=
 * FORECAST_ETS_MAX_PERIOD, no additive-error/multiplicative-season mix)
 * and keeps the lowest AICc in *best. Returns 0, or -1 when no spec could
 * be fitted.
 */
int forecast_ets_select(const double *y, size_t n, int m, bool seasonal,
                        struct forecast_ets_model *best);

/*
 * Point forecasts for o->horizon steps into o->point and prediction
 * intervals into o->lo / o->hi: analytic (Hyndman et al. 2008, class 1)
 * for additive-error models with additive or no season, otherwise the
 * quantiles of sample paths simulated from the model with a generator
 * seeded by `seed`. Returns 0 or FORECAST_E_NOMEM.
 */
int forecast_ets_forecast(const struct forecast_ets_model *mod,
                          struct forecast_output *o, uint64_t seed);

/* Point forecasts only, for o->horizon steps into o->point (the bounds
 * are left untouched). */
void forecast_ets_points(const struct forecast_ets_model *mod,
                         struct forecast_output *o);

/* Writes the label "ETS(M,Ad,N)" of spec into buf (at least 12 bytes). */
void forecast_ets_label(struct forecast_ets_spec spec, char *buf,
                        size_t size);

#endif
