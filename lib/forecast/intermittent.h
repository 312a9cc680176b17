/*
 * lib/forecast/intermittent.h: forecasting intermittent demand (series with
 * many zeros): Croston (1972), the Syntetos-Boylan approximation (SBA,
 * 2005) and Teunter-Syntetos-Babai (TSB, 2011).
 *
 *   Croston: on each demand y > 0 after q periods,
 *            z' = z + alpha (y - z),  p' = p + alpha (q - p);  f = z / p
 *   SBA:     the same with f = (1 - alpha / 2) z / p (bias correction)
 *   TSB:     every period  pi' = pi + beta (1{y > 0} - pi);
 *            on demand     z'  = z + alpha (y - z);          f = pi z
 *
 * Smoothing constants are chosen on a small grid by in-sample one-step
 * mean squared error. The demand pattern is summarised by the average
 * inter-demand interval (ADI) and the squared coefficient of variation of
 * the demand sizes (CV^2), the Syntetos-Boylan-Croston classification.
 *
 * Intervals come from the implied predictive distribution: no demand with
 * probability 1 - P, else a size drawn from the history's demand sizes
 * rescaled to the forecast mean. When that distribution puts at least the
 * lower tail's mass at zero, the interval is [0, quantile(level)] so that
 * it still holds the nominal share.
 *
 * Models are plain values; functions allocate only scratch buffers.
 */
#ifndef SENTIA_FORECAST_INTERMITTENT_H
#define SENTIA_FORECAST_INTERMITTENT_H

#include <stddef.h>

#include "lib/forecast/output.h"

/* Syntetos-Boylan-Croston cut-offs. */
#define FORECAST_INTERMITTENT_ADI_CUT 1.32
#define FORECAST_INTERMITTENT_CV2_CUT 0.49

enum forecast_intermittent_kind {
    FORECAST_INTERMITTENT_CROSTON = 0,
    FORECAST_INTERMITTENT_SBA,
    FORECAST_INTERMITTENT_TSB
};

struct forecast_intermittent_pattern {
    size_t demands; /* number of non-zero values */
    double adi;     /* n / demands (HUGE_VAL without demand) */
    double cv2;     /* squared coefficient of variation of the sizes */
};

struct forecast_intermittent_model {
    enum forecast_intermittent_kind kind;
    double alpha, beta;
    double size;     /* smoothed demand size z */
    double interval; /* smoothed inter-demand interval p (Croston, SBA) */
    double prob;     /* demand probability per period (all kinds) */
    double mean;     /* the point forecast, every step */
    double mse;      /* in-sample one-step mean squared error */
};

/* Demand pattern of y[0..n-1]. */
void forecast_intermittent_pattern(const double *y, size_t n,
                                   struct forecast_intermittent_pattern *out);

/* The method the SBC classification recommends: Croston for "smooth"
 * demand (ADI < 1.32 and CV^2 < 0.49), SBA otherwise. */
enum forecast_intermittent_kind
forecast_intermittent_classify(const struct forecast_intermittent_pattern *p);

/* Runs one method with given constants over y and fills *out (mean, mse,
 * final states). Returns 0, or -1 when y holds no demand. */
int forecast_intermittent_run(const double *y, size_t n,
                              enum forecast_intermittent_kind kind,
                              double alpha, double beta,
                              struct forecast_intermittent_model *out);

/* Chooses alpha (and beta for TSB) on a grid by in-sample MSE. Returns 0
 * or -1 when y holds no demand. */
int forecast_intermittent_fit(const double *y, size_t n,
                              enum forecast_intermittent_kind kind,
                              struct forecast_intermittent_model *out);

/* Fills o with the flat forecast and the intervals described above, using
 * the demand sizes of y. Returns 0 or FORECAST_E_NOMEM. */
int forecast_intermittent_forecast(const struct forecast_intermittent_model *mod,
                                   const double *y, size_t n,
                                   struct forecast_output *o);

/* Short name: "Croston", "SBA" or "TSB". */
const char *forecast_intermittent_name(enum forecast_intermittent_kind kind);

#endif
