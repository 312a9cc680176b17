/*
 * lib/forecast/theta.h: the Theta method of Assimakopoulos & Nikolopoulos
 * (2000) in the form Hyndman & Billah (2003) showed it equals: simple
 * exponential smoothing (ETS(A,N,N) fitted by likelihood) plus a drift of
 * half the slope of a least-squares line through the data:
 *
 *   f(h) = l_n + (b / 2) (h - 1 + (1 - (1 - alpha)^n) / alpha)
 *
 * with intervals from the SES model, sd(h) = sigma sqrt(1 + (h-1) alpha^2),
 * as R's thetaf(). The series given here is already seasonally adjusted;
 * seasonality is handled by the caller (forecast_season). A model is a
 * plain value with no heap memory.
 */
#ifndef SENTIA_FORECAST_THETA_H
#define SENTIA_FORECAST_THETA_H

#include <stddef.h>

#include "lib/forecast/ets.h"
#include "lib/forecast/output.h"

struct forecast_theta_model {
    struct forecast_ets_model ses; /* ETS(A,N,N) fit */
    double half_slope;             /* b / 2 per step */
    size_t n;
};

/* Fits SES and the drift on y[0..n-1]. Returns 0, or -1 when SES cannot be
 * fitted (fewer than 7 values). */
int forecast_theta_fit(const double *y, size_t n,
                       struct forecast_theta_model *out);

/* Fills o->point and the intervals for o->horizon steps. Returns 0 or
 * FORECAST_E_NOMEM. */
int forecast_theta_forecast(const struct forecast_theta_model *mod,
                            struct forecast_output *o);

#endif
