/*
 * lib/forecast/output.h: the buffer every forecasting method fills: point
 * forecasts and the bounds of FORECAST_NLEVELS prediction intervals over a
 * horizon, plus the helpers that build, combine and sanitise them.
 *
 * Invariants after forecast_output_finish(): every value is finite and
 * 0 <= lo[1] <= lo[0] <= point <= hi[0] <= hi[1] at each step (series are
 * non-negative, so bounds are clamped at zero).
 *
 * Ownership: forecast_output_init() allocates one block that
 * forecast_output_dispose() frees; point, lo[] and hi[] point into it.
 */
#ifndef SENTIA_FORECAST_OUTPUT_H
#define SENTIA_FORECAST_OUTPUT_H

#include <stdbool.h>

#include "lib/forecast/types.h"

struct forecast_output {
    int horizon;
    double levels_pct[FORECAST_NLEVELS];
    double *point;
    double *lo[FORECAST_NLEVELS];
    double *hi[FORECAST_NLEVELS];
};

/* Allocates zeroed arrays for `horizon` steps and records the levels.
 * Returns FORECAST_OK or FORECAST_E_NOMEM (then *o owns nothing). */
int forecast_output_init(struct forecast_output *o, int horizon,
                         const double levels_pct[FORECAST_NLEVELS]);

/* Frees the arrays; safe on a zeroed or already disposed output. */
void forecast_output_dispose(struct forecast_output *o);

/* Sets normal intervals point[h] +- z * sd_h[h] for every level; where
 * the lower bound would be negative the interval is [0, the level's upper
 * quantile] instead, since the mass below zero sits at zero. */
void forecast_output_normal(struct forecast_output *o, const double *sd_h);

/* Writes the interval bounds of step h from the empirical quantiles of
 * `draws` (sorted in place; n > 0), with the same rule at zero. */
void forecast_output_from_draws(struct forecast_output *o, int h,
                                double *draws, int n);

/* Averages k outputs of the same horizon into dst (points and bounds
 * alike, with the given weights summing to 1). Sources with weight 0 are
 * not read and may be unallocated. */
void forecast_output_combine(struct forecast_output *dst,
                             const struct forecast_output *src,
                             const double *weights, int k);

/* Most outputs forecast_output_median() combines. */
#define FORECAST_OUTPUT_MAX_MEDIAN 8

/* Pointwise median of the k outputs flagged in use[] (k <=
 * FORECAST_OUTPUT_MAX_MEDIAN, at least one in use), points and each bound
 * alike: with an even count, the mean of the two middle values. Since every
 * source has lo <= point <= hi, so has the median. Sources not in use are
 * not read. */
void forecast_output_median(struct forecast_output *dst,
                            const struct forecast_output *src,
                            const bool *use, int k);

/* Widens interval `level` around the point by `factor` (> 0): each bound's
 * distance from the point is multiplied by it, a lower bound stopping at
 * zero. */
void forecast_output_widen(struct forecast_output *o, int level,
                           double factor);

/* Copies points and bounds from src (same horizon) into dst. */
void forecast_output_copy(struct forecast_output *dst,
                          const struct forecast_output *src);

/* Replaces non-finite values, clamps at zero and orders the bounds so the
 * invariant above holds. */
void forecast_output_finish(struct forecast_output *o);

#endif
