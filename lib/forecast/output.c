/*
 * lib/forecast/output.c: the forecast buffer shared by all methods (see
 * forecast_output.h for its invariants and ownership).
 */
#include "lib/forecast/output.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/stats.h"

enum { OUTPUT_ARRAYS = 1 + 2 * FORECAST_NLEVELS };

int forecast_output_init(struct forecast_output *o, int horizon,
                         const double levels_pct[FORECAST_NLEVELS])
{
    double *block;
    memset(o, 0, sizeof *o);
    block = calloc((size_t)horizon * OUTPUT_ARRAYS, sizeof *block);
    if (block == NULL)
        return FORECAST_E_NOMEM;
    o->horizon = horizon;
    o->point = block;
    for (int l = 0; l < FORECAST_NLEVELS; l++) {
        o->levels_pct[l] = levels_pct[l];
        o->lo[l] = block + (size_t)horizon * (1 + 2 * l);
        o->hi[l] = block + (size_t)horizon * (2 + 2 * l);
    }
    return FORECAST_OK;
}

void forecast_output_dispose(struct forecast_output *o)
{
    free(o->point);
    memset(o, 0, sizeof *o);
}

/*
 * The series are non-negative, so a forecast distribution's mass below 0
 * really sits at 0. When the lower bound of an interval would fall below
 * 0, the interval becomes [0, q(level)]: it then holds the nominal share
 * (the mass at 0 plus everything up to the level's quantile) instead of
 * covering more than asked for.
 */
void forecast_output_normal(struct forecast_output *o, const double *sd_h)
{
    for (int l = 0; l < FORECAST_NLEVELS; l++) {
        double z = forecast_stats_z(o->levels_pct[l]);
        double z1 = forecast_stats_qnorm(o->levels_pct[l] / 100.0);
        for (int h = 0; h < o->horizon; h++) {
            o->lo[l][h] = o->point[h] - z * sd_h[h];
            o->hi[l][h] = o->point[h] + z * sd_h[h];
            if (o->lo[l][h] < 0.0) {
                o->lo[l][h] = 0.0;
                o->hi[l][h] = o->point[h] + z1 * sd_h[h];
            }
        }
    }
}

void forecast_output_from_draws(struct forecast_output *o, int h,
                                double *draws, int n)
{
    forecast_stats_sort(draws, (size_t)n);
    for (int l = 0; l < FORECAST_NLEVELS; l++) {
        double level = o->levels_pct[l] / 100.0, tail = (1.0 - level) / 2.0;
        o->lo[l][h] = forecast_stats_quantile_sorted(draws, (size_t)n, tail);
        o->hi[l][h] =
            forecast_stats_quantile_sorted(draws, (size_t)n, 1.0 - tail);
        if (o->lo[l][h] <= 0.0) {
            o->lo[l][h] = 0.0;
            o->hi[l][h] = forecast_stats_quantile_sorted(draws, (size_t)n,
                                                         level);
        }
    }
}

void forecast_output_combine(struct forecast_output *dst,
                             const struct forecast_output *src,
                             const double *weights, int k)
{
    size_t len = (size_t)dst->horizon * OUTPUT_ARRAYS;
    memset(dst->point, 0, len * sizeof *dst->point);
    for (int j = 0; j < k; j++)
        for (size_t i = 0; weights[j] != 0.0 && i < len; i++)
            dst->point[i] += weights[j] * src[j].point[i];
}

/* Median of x[0..n-1] (n >= 1), sorting x in place. */
static double output_median_of(double *x, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && x[j - 1] > x[j]; j--) {
            double t = x[j];
            x[j] = x[j - 1];
            x[j - 1] = t;
        }
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

void forecast_output_median(struct forecast_output *dst,
                            const struct forecast_output *src,
                            const bool *use, int k)
{
    size_t len = (size_t)dst->horizon * OUTPUT_ARRAYS;
    double x[FORECAST_OUTPUT_MAX_MEDIAN];
    for (size_t i = 0; i < len; i++) {
        int n = 0;
        for (int j = 0; j < k && j < FORECAST_OUTPUT_MAX_MEDIAN; j++)
            if (use[j])
                x[n++] = src[j].point[i];
        dst->point[i] = output_median_of(x, n);
    }
}

void forecast_output_widen(struct forecast_output *o, int level,
                           double factor)
{
    for (int h = 0; h < o->horizon; h++) {
        double p = o->point[h];
        o->lo[level][h] = fmax(0.0, p - factor * (p - o->lo[level][h]));
        o->hi[level][h] = p + factor * (o->hi[level][h] - p);
    }
}

void forecast_output_copy(struct forecast_output *dst,
                          const struct forecast_output *src)
{
    size_t len = (size_t)dst->horizon * OUTPUT_ARRAYS;
    memcpy(dst->point, src->point, len * sizeof *dst->point);
}

static double output_clean(double v)
{
    if (!isfinite(v))
        return v > 0 ? 1e300 : 0.0;
    return v < 0.0 ? 0.0 : v;
}

void forecast_output_finish(struct forecast_output *o)
{
    for (int h = 0; h < o->horizon; h++) {
        double p = output_clean(o->point[h]);
        double lo0 = fmin(output_clean(o->lo[0][h]), p);
        double hi0 = fmax(output_clean(o->hi[0][h]), p);
        o->point[h] = p;
        o->lo[0][h] = lo0;
        o->hi[0][h] = hi0;
        for (int l = 1; l < FORECAST_NLEVELS; l++) {
            lo0 = fmin(output_clean(o->lo[l][h]), lo0);
            hi0 = fmax(output_clean(o->hi[l][h]), hi0);
            o->lo[l][h] = lo0;
            o->hi[l][h] = hi0;
        }
    }
}
