/*
 * lib/forecast/arima.h: seasonal ARIMA(p,d,q)(P,D,Q)m with automatic order
 * selection in the manner of Hyndman & Khandakar (2008):
 *
 *   - D: one seasonal difference when the seasonal strength of a classical
 *     decomposition, max(0, 1 - var(remainder) / var(season + remainder)),
 *     exceeds 0.64 (the rule of R's auto.arima), for 2 <= m <= 24;
 *   - d: repeated KPSS level-stationarity tests at 5 % (at most 2);
 *   - (p, q, P, Q): stepwise search by AICc from four starting models,
 *     p, q <= 3 (<= 1 for fewer than 30 usable values) and P, Q <= 1,
 *     with a constant (mean, or drift when d + D = 1) tried in and out.
 *
 * Coefficients are estimated by conditional sum of squares; AR and MA
 * parts are kept stationary / invertible by fitting their partial
 * autocorrelations through tanh (Jones 1980; Monahan 1984). Forecasts and
 * intervals come from the model written as one AR polynomial in y
 * (differences included): points by the recursion with future errors 0,
 * variances sigma^2 * sum of squared psi weights.
 *
 * Models are plain values; fitting allocates scratch buffers only.
 */
#ifndef SENTIA_FORECAST_ARIMA_H
#define SENTIA_FORECAST_ARIMA_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/forecast/output.h"

#define FORECAST_ARIMA_MAX_PQ 3
#define FORECAST_ARIMA_MAX_PERIOD 24

/* Coefficients searched at most: p + q + P + Q + constant. */
#define FORECAST_ARIMA_MAX_COEF (2 * FORECAST_ARIMA_MAX_PQ + 3)

struct forecast_arima_order {
    int p, d, q;
    int P, D, Q;
    int m;          /* seasonal period; 1 when P = D = Q = 0 */
    bool constant;  /* mean of the differenced series (drift if d+D = 1) */
    int cond;       /* differenced values the sums of squares condition on:
                       the search's largest p (+ m when seasonal), so all
                       orders of one search are scored on the same values;
                       at least p + mP */
};

struct forecast_arima_model {
    struct forecast_arima_order order;
    double ar[FORECAST_ARIMA_MAX_PQ], ma[FORECAST_ARIMA_MAX_PQ];
    double sar, sma, mu;
    double sigma2; /* residual variance */
    double aicc;
    double raw[FORECAST_ARIMA_MAX_COEF]; /* the search's own coordinates */
};

/* Number of differences KPSS asks for (0..2). */
int forecast_arima_ndiffs(const double *y, size_t n);

/* 1 when the seasonal strength at period m calls for a seasonal
 * difference, else 0 (always 0 outside 2..FORECAST_ARIMA_MAX_PERIOD or
 * with fewer than three periods). */
int forecast_arima_nsdiffs(const double *y, size_t n, int m);

/* Fits one order by conditional sum of squares. Returns 0, -1 when the
 * series is too short for it, or FORECAST_E_NOMEM. */
int forecast_arima_fit(const double *y, size_t n,
                       const struct forecast_arima_order *order,
                       struct forecast_arima_model *out);

/* Refits start's order to y, searching from start's coefficients (for
 * refits on a shorter stretch of the same series). Returns as
 * forecast_arima_fit(). */
int forecast_arima_refit(const double *y, size_t n,
                         const struct forecast_arima_model *start,
                         struct forecast_arima_model *out);

/* Chooses differences and orders as described above and fits the best
 * model. Returns 0, -1 when nothing could be fitted, or FORECAST_E_NOMEM. */
int forecast_arima_auto(const double *y, size_t n, int m,
                        struct forecast_arima_model *out);

/* Forecasts o->horizon steps after y[0..n-1] (the fitted data). Returns 0
 * or FORECAST_E_NOMEM. Intervals are skipped when points_only. */
int forecast_arima_forecast(const struct forecast_arima_model *mod,
                            const double *y, size_t n, bool points_only,
                            struct forecast_output *o);

/* Writes "ARIMA(p,d,q)(P,D,Q)[m]" (seasonal part only when used). */
void forecast_arima_label(const struct forecast_arima_order *order, char *buf,
                          size_t size);

#endif
