/*
 * lib/forecast/stats.c: numerical helpers for the forecasting modules (see
 * forecast_stats.h). Nothing here allocates or keeps state.
 */
#include "lib/forecast/stats.h"

#include <math.h>
#include <stdlib.h>

/* Acklam's approximation of the normal quantile, before refinement. */
static double stats_qnorm_rough(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                               2.445134137142996e+00, 3.754408661907416e+00};
    double q, r;
    if (p < 0.02425) {
        q = sqrt(-2.0 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q +
                c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
    }
    if (p > 1.0 - 0.02425)
        return -stats_qnorm_rough(1.0 - p);
    q = p - 0.5;
    r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r +
            a[5]) *
           q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

double forecast_stats_qnorm(double p)
{
    double x, e, u;
    if (!(p > 0.0))
        return -INFINITY;
    if (!(p < 1.0))
        return INFINITY;
    x = stats_qnorm_rough(p);
    e = 0.5 * erfc(-x / sqrt(2.0)) - p;
    u = e * sqrt(2.0 * M_PI) * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
}

double forecast_stats_z(double level_pct)
{
    return forecast_stats_qnorm(0.5 + level_pct / 200.0);
}

double forecast_stats_mean(const double *x, size_t n)
{
    double s = 0.0;
    if (n == 0)
        return 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    return s / (double)n;
}

double forecast_stats_var(const double *x, size_t n)
{
    double m, s = 0.0;
    if (n < 2)
        return 0.0;
    m = forecast_stats_mean(x, n);
    for (size_t i = 0; i < n; i++)
        s += (x[i] - m) * (x[i] - m);
    return s / (double)(n - 1);
}

static int stats_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void forecast_stats_sort(double *x, size_t n)
{
    qsort(x, n, sizeof *x, stats_cmp_double);
}

double forecast_stats_quantile_sorted(const double *sorted, size_t n,
                                      double p)
{
    double h, lo;
    size_t i;
    if (n == 0)
        return 0.0;
    h = (double)(n - 1) * p;
    if (h <= 0.0)
        return sorted[0];
    if (h >= (double)(n - 1))
        return sorted[n - 1];
    lo = floor(h);
    i = (size_t)lo;
    return sorted[i] + (h - lo) * (sorted[i + 1] - sorted[i]);
}

double forecast_stats_acf(const double *x, size_t n, size_t lag)
{
    double m, num = 0.0, den = 0.0;
    if (lag >= n)
        return 0.0;
    m = forecast_stats_mean(x, n);
    for (size_t i = 0; i < n; i++)
        den += (x[i] - m) * (x[i] - m);
    if (den <= 0.0)
        return 0.0;
    for (size_t i = lag; i < n; i++)
        num += (x[i] - m) * (x[i - lag] - m);
    return num / den;
}

void forecast_stats_linfit(const double *x, size_t n, double *intercept,
                           double *slope)
{
    double tbar, xbar, sxy = 0.0, stt = 0.0;
    if (n < 2) {
        *intercept = n == 1 ? x[0] : 0.0;
        *slope = 0.0;
        return;
    }
    tbar = (double)(n - 1) / 2.0;
    xbar = forecast_stats_mean(x, n);
    for (size_t t = 0; t < n; t++) {
        sxy += ((double)t - tbar) * (x[t] - xbar);
        stt += ((double)t - tbar) * ((double)t - tbar);
    }
    *slope = sxy / stt;
    *intercept = xbar - *slope * tbar;
}
