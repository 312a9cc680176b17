/*
 * lib/forecast/stats.h: small numerical helpers shared by the forecasting
 * modules: normal quantiles, means, sample quantiles, autocorrelation and
 * straight-line least squares.
 *
 * All functions are pure: they read the arrays they are given, write only
 * to their out-parameters and allocate nothing.
 */
#ifndef SENTIA_FORECAST_STATS_H
#define SENTIA_FORECAST_STATS_H

#include <stddef.h>

/* Quantile function of the standard normal distribution for p in (0, 1)
 * (Acklam's rational approximation with one Halley refinement; relative
 * error below 1e-12). */
double forecast_stats_qnorm(double p);

/* z value of a central interval of `level_pct` percent, e.g. 95 -> 1.95996. */
double forecast_stats_z(double level_pct);

/* Arithmetic mean of x[0..n-1]; 0 for n == 0. */
double forecast_stats_mean(const double *x, size_t n);

/* Sample variance with denominator n - 1; 0 for n < 2. */
double forecast_stats_var(const double *x, size_t n);

/* Sorts x[0..n-1] ascending in place. */
void forecast_stats_sort(double *x, size_t n);

/* Quantile p of an ascending array (R's type 7 interpolation); 0 if n == 0. */
double forecast_stats_quantile_sorted(const double *sorted, size_t n,
                                      double p);

/* Sample autocorrelation of x at `lag` (denominator the lag-0 sum, as R's
 * acf()); 0 when the series is constant or lag >= n. */
double forecast_stats_acf(const double *x, size_t n, size_t lag);

/* Least-squares line through (t, x[t]) for t = 0..n-1. Stores the value at
 * t = 0 in *intercept and the slope per step in *slope; n < 2 gives slope 0. */
void forecast_stats_linfit(const double *x, size_t n, double *intercept,
                           double *slope);

#endif
