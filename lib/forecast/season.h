/*
 * lib/forecast/season.h: seasonality for the forecasting engine: a test for
 * whether a series is seasonal at period m, classical decomposition indices
 * (additive or multiplicative) and Fourier-term seasonal profiles for long
 * periods (52 weeks, 365 days) where one index per phase would overfit.
 *
 * Convention: a seasonal profile is an array idx[m] where idx[t % m] is the
 * seasonal component of observation t (t = 0 is the oldest). Additive
 * profiles sum to 0 over a period, multiplicative ones average 1.
 *
 * Functions allocate only scratch buffers they free before returning.
 */
#ifndef SENTIA_FORECAST_SEASON_H
#define SENTIA_FORECAST_SEASON_H

#include <stdbool.h>
#include <stddef.h>

/* Most Fourier harmonic pairs forecast_season_long() will try. */
#define FORECAST_SEASON_MAX_HARMONICS 12

/*
 * Seasonality test used by the Theta method (Assimakopoulos & Nikolopoulos;
 * as in R's thetaf): the lag-m autocorrelation is significant at 90 %
 * against Bartlett's standard error. False when m < 2 or n < 3m.
 */
bool forecast_season_detect(const double *y, size_t n, int m);

/*
 * Classical decomposition (centred moving average of order m, or 2 x m for
 * even m) over y[0..n-1], n >= 2m. Fills idx[m] (see convention above).
 * Returns 0, FORECAST_E_ARG when n < 2m or a multiplicative ratio cannot be
 * formed (a non-positive trend value), or FORECAST_E_NOMEM.
 */
int forecast_season_classical(const double *y, size_t n, int m,
                              bool multiplicative, double *idx);

/* forecast_season_long() result: one index per phase beat Fourier terms. */
#define FORECAST_SEASON_PER_PHASE (-1)

/*
 * Seasonal profile for long periods. The series is detrended by a centred
 * moving average (differences, or ratios when `multiplicative`); then two descriptions of the season compete by
 * AICc on the detrended values: K sine/cosine pairs (K = 0 ..
 * FORECAST_SEASON_MAX_HARMONICS, below m/2; smooth, few parameters, right
 * for two or three years of weekly data) and one mean per phase (m
 * parameters; right when many years pin every week down). Fills idx[m] and
 * *harmonics with K, or FORECAST_SEASON_PER_PHASE when the per-phase means
 * won (K = 0: no season worth modelling). Requires n >= 2m. Returns 0,
 * FORECAST_E_ARG (also when a ratio cannot be formed or an index is not
 * positive: use the additive form) or FORECAST_E_NOMEM.
 */
int forecast_season_long(const double *y, size_t n, int m,
                         bool multiplicative, double *idx, int *harmonics);

/* Writes y[t] - idx[t % m] (additive) or y[t] / idx[t % m] into out[t]. */
void forecast_season_adjust(const double *y, size_t n, int m,
                            const double *idx, bool multiplicative,
                            double *out);

/* Puts the season back on forecasts for steps after t = n - 1:
 * x[h] becomes x[h] + idx[(n + h) % m] or x[h] * idx[(n + h) % m]. */
void forecast_season_restore(double *x, int horizon, size_t n, int m,
                             const double *idx, bool multiplicative);

#endif
