/*
 * lib/forecast/naive.h: the naive benchmarks. Naive repeats the last value;
 * seasonal naive repeats the last full season:
 *
 *   f(h) = y[n - m + (h - 1) % m],   sd(h) = sigma sqrt(floor((h-1)/m) + 1)
 *
 * where sigma^2 is the mean squared m-step difference of the history (the
 * random-walk intervals of R's naive()/snaive()). m = 1 gives naive.
 */
#ifndef SENTIA_FORECAST_NAIVE_H
#define SENTIA_FORECAST_NAIVE_H

#include <stddef.h>

#include "lib/forecast/output.h"

/* Root mean squared m-step difference of y (0 when n <= m). */
double forecast_naive_sigma(const double *y, size_t n, int m);

/* Fills o with (seasonal) naive forecasts of y[0..n-1]; n >= m >= 1 (with
 * n == m the intervals have zero width). Returns 0 or FORECAST_E_NOMEM. */
int forecast_naive_forecast(const double *y, size_t n, int m,
                            struct forecast_output *o);

#endif
