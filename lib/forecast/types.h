/*
 * lib/forecast/types.h: the forecasting engine's vocabulary: its limits,
 * methods and error codes. The public header (lib/forecast/forecast.h)
 * includes it for callers; the engine's internal files include it instead
 * of the public header, so the public API sits on top of its internals and
 * no include points back up.
 *
 * Declarations only: no state, no functions.
 */
#ifndef SENTIA_FORECAST_TYPES_H
#define SENTIA_FORECAST_TYPES_H

/* Number of prediction-interval levels every result carries. */
#define FORECAST_NLEVELS 2

/* Longest accepted history: a model fit is O(n) per likelihood evaluation
 * and a few thousand evaluations per series; a million points keeps one
 * request under a few seconds and its buffers under a hundred megabytes. */
#define FORECAST_MAX_POINTS 1000000

/* Longest accepted horizon: ten thousand steps ahead is beyond any business
 * use (27 years of daily data) and bounds the output buffers. */
#define FORECAST_MAX_HORIZON 10000

/* Longest accepted seasonal period: a year of daily observations (366). */
#define FORECAST_MAX_PERIOD 366

enum forecast_method {
    FORECAST_AUTO = 0,
    FORECAST_ETS,
    FORECAST_THETA,
    FORECAST_CROSTON,
    FORECAST_SBA,
    FORECAST_TSB,
    FORECAST_SNAIVE,
    FORECAST_NAIVE,
    FORECAST_ARIMA,
    FORECAST_METHOD_COUNT
};

/* Errors are 0 (FORECAST_OK) or negative, as everywhere in lib/. */
enum forecast_error {
    FORECAST_OK = 0,
    FORECAST_E_ARG = -1,       /* NULL request/result pointer, bad method  */
    FORECAST_E_EMPTY = -2,     /* no values                                */
    FORECAST_E_NONFINITE = -3, /* a value is NaN or infinite               */
    FORECAST_E_NEGATIVE = -4,  /* a value is below zero                    */
    FORECAST_E_PERIOD = -5,    /* period < 1 or > FORECAST_MAX_PERIOD      */
    FORECAST_E_HORIZON = -6,   /* horizon < 1 or > FORECAST_MAX_HORIZON    */
    FORECAST_E_LEVEL = -7,     /* interval level outside (0, 100)          */
    FORECAST_E_TOO_LONG = -8,  /* more than FORECAST_MAX_POINTS values     */
    FORECAST_E_NOMEM = -9,     /* an allocation failed                     */
};

#endif
