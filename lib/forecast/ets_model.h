/*
 * lib/forecast/ets_model.h: an ETS model as a plain value: its spec (error,
 * trend, season), period, smoothing parameters, initial and final states
 * and fit statistics. The conventions are in lib/forecast/ets.h; the value
 * lives here so that ets.c (fitting, forecasting) and ets_init.c (the
 * least-squares initial states it calls) both use it without including
 * each other.
 *
 * Declarations only; a model holds no heap memory.
 */
#ifndef SENTIA_FORECAST_ETS_MODEL_H
#define SENTIA_FORECAST_ETS_MODEL_H

#include <stddef.h>

#define FORECAST_ETS_MAX_PERIOD 24

enum forecast_ets_kind {
    FORECAST_ETS_N = 0, /* none */
    FORECAST_ETS_A,     /* additive */
    FORECAST_ETS_AD,    /* additive damped (trend only) */
    FORECAST_ETS_M      /* multiplicative (error, season) */
};

struct forecast_ets_spec {
    enum forecast_ets_kind error;  /* A or M */
    enum forecast_ets_kind trend;  /* N, A or AD */
    enum forecast_ets_kind season; /* N, A or M */
};

struct forecast_ets_state {
    double l, b;
    double s[FORECAST_ETS_MAX_PERIOD];
};

struct forecast_ets_model {
    struct forecast_ets_spec spec;
    int m;                           /* period, 1 when season is N */
    double alpha, beta, gamma, phi;
    struct forecast_ets_state init;  /* states before the first value */
    struct forecast_ets_state last;  /* states after the last value */
    size_t n;                        /* observations fitted */
    int npar;                        /* estimated parameters, incl. sigma */
    double lik;                      /* -2 log L up to a constant */
    double aicc;
    double sigma2;                   /* sum e^2 / (n - npar + 1) */
    double mse;                      /* mean squared one-step error in y */
};

#endif
