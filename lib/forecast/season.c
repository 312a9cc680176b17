/*
 * lib/forecast/season.c: seasonality test, classical decomposition and
 * Fourier seasonal profiles (see forecast_season.h for the conventions).
 */
#include "lib/forecast/season.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/types.h"
#include "lib/forecast/stats.h"

enum { SEASON_MAX_COLS = 2 * FORECAST_SEASON_MAX_HARMONICS + 1 };

/* ---- helpers ------------------------------------------------------------ */

/*
 * Centred moving average of order m (2 x m for even m) of y. Writes
 * trend[t] for t in [half, n - half) where half = m / 2, and returns half.
 */
static size_t season_moving_average(const double *y, size_t n, int m,
                                    double *trend)
{
    size_t half = (size_t)m / 2;
    for (size_t t = half; t + half < n; t++) {
        double s = 0.0;
        if (m % 2 == 1) {
            for (size_t j = t - half; j <= t + half; j++)
                s += y[j];
        } else {
            s = 0.5 * (y[t - half] + y[t + half]);
            for (size_t j = t - half + 1; j < t + half; j++)
                s += y[j];
        }
        trend[t] = s / m;
    }
    return half;
}

/* Detrended values y - trend (or y / trend) over the trend's range, in
 * place in trend[]. Returns FORECAST_E_ARG on a non-positive trend value
 * for the multiplicative form. */
static int season_detrend(const double *y, size_t n, size_t half,
                          bool multiplicative, double *trend)
{
    for (size_t t = half; t + half < n; t++) {
        if (multiplicative) {
            if (!(trend[t] > 0.0))
                return FORECAST_E_ARG;
            trend[t] = y[t] / trend[t];
        } else {
            trend[t] = y[t] - trend[t];
        }
    }
    return FORECAST_OK;
}

/*
 * Cholesky factor of the symmetric matrix a (row stride SEASON_MAX_COLS,
 * lower triangle used) into l, and the forward solution z of l z = b.
 * The factor of a leading block is the leading block of the factor, so
 * one pass serves every nested model: the model with the first p columns
 * has residual sum of squares d'd - (z_0^2 + ... + z_{p-1}^2). Returns the
 * number of columns factored before the matrix stopped being positive
 * definite (p itself when it never did).
 */
static int season_cholesky(const double *a, const double *b, int p,
                           double l[][SEASON_MAX_COLS], double *z)
{
    for (int i = 0; i < p; i++) {
        double s;
        for (int j = 0; j <= i; j++) {
            s = a[i * SEASON_MAX_COLS + j];
            for (int k = 0; k < j; k++)
                s -= l[i][k] * l[j][k];
            if (i == j && !(s > 1e-12))
                return i;
            l[i][j] = i == j ? sqrt(s) : s / l[j][j];
        }
        s = b[i];
        for (int k = 0; k < i; k++)
            s -= l[i][k] * z[k];
        z[i] = s / l[i][i];
    }
    return p;
}

/* Back substitution of the leading p x p block: l' beta = z. */
static void season_back_solve(double l[][SEASON_MAX_COLS], const double *z,
                              int p, double *beta)
{
    for (int i = p - 1; i >= 0; i--) {
        double s = z[i];
        for (int k = i + 1; k < p; k++)
            s -= l[k][i] * beta[k];
        beta[i] = s / l[i][i];
    }
}

/* Regressors of phase ph: 1, then sin/cos pairs of harmonics 1..K (cols =
 * 2K + 1), the harmonics by the angle-addition recurrence from one sin and
 * one cos. */
static void season_regressors(int ph, int m, int cols, double *x)
{
    double w = 2.0 * M_PI * (double)ph / m, s1 = sin(w), c1 = cos(w);
    double sk = s1, ck = c1;
    x[0] = 1.0;
    for (int j = 1; j < cols; j += 2) {
        double next_s = sk * c1 + ck * s1, next_c = ck * c1 - sk * s1;
        x[j] = sk;
        if (j + 1 < cols)
            x[j + 1] = ck;
        sk = next_s;
        ck = next_c;
    }
}

/* Accumulates X'X, X'd and d'd over the detrended range for cols columns.
 * The regressors depend on t only through its phase, so the data are
 * first summed per phase: O(n + m cols^2) instead of O(n cols^2). */
static void season_normal_eqs(const double *d, size_t lo, size_t hi, int m,
                              int cols, double *xtx, double *xtd, double *dtd)
{
    double x[SEASON_MAX_COLS], sum[FORECAST_MAX_PERIOD] = {0};
    size_t count[FORECAST_MAX_PERIOD] = {0};
    memset(xtx, 0, sizeof(double) * SEASON_MAX_COLS * SEASON_MAX_COLS);
    memset(xtd, 0, sizeof(double) * SEASON_MAX_COLS);
    *dtd = 0.0;
    for (size_t t = lo; t < hi; t++) {
        sum[t % (size_t)m] += d[t];
        count[t % (size_t)m]++;
        *dtd += d[t] * d[t];
    }
    for (int ph = 0; ph < m; ph++) {
        season_regressors(ph, m, cols, x);
        for (int i = 0; i < cols; i++) {
            xtd[i] += x[i] * sum[ph];
            for (int j = 0; j <= i; j++)
                xtx[i * SEASON_MAX_COLS + j] += (double)count[ph] * x[i] * x[j];
        }
    }
}

/* AICc of a regression with p coefficients and residual sum rss over nd
 * points (sigma counted as a parameter); HUGE_VAL when too few points. */
static double season_aicc(double rss, size_t nd, int p)
{
    double k = p + 1.0, nn = (double)nd;
    if (nn - k - 1.0 <= 0.0)
        return HUGE_VAL;
    if (rss < 1e-300)
        rss = 1e-300;
    return nn * log(rss / nn) + 2.0 * k + 2.0 * k * (k + 1.0) / (nn - k - 1.0);
}

/* ---- API ---------------------------------------------------------------- */

bool forecast_season_detect(const double *y, size_t n, int m)
{
    double r, sum = 0.0, se;
    if (m < 2 || n < 3 * (size_t)m)
        return false;
    for (int k = 1; k < m; k++) {
        r = forecast_stats_acf(y, n, (size_t)k);
        sum += r * r;
    }
    r = forecast_stats_acf(y, n, (size_t)m);
    se = sqrt((1.0 + 2.0 * sum) / (double)n);
    return fabs(r) > forecast_stats_qnorm(0.95) * se;
}

int forecast_season_classical(const double *y, size_t n, int m,
                              bool multiplicative, double *idx)
{
    double *trend = NULL, total = 0.0;
    size_t half, count[FORECAST_MAX_PERIOD] = {0};
    int rc = FORECAST_E_ARG;
    if (m < 2 || m > FORECAST_MAX_PERIOD || n < 2 * (size_t)m)
        return FORECAST_E_ARG;
    trend = malloc(n * sizeof *trend);
    if (trend == NULL)
        return FORECAST_E_NOMEM;
    half = season_moving_average(y, n, m, trend);
    if (season_detrend(y, n, half, multiplicative, trend) != 0)
        goto fail;
    memset(idx, 0, (size_t)m * sizeof *idx);
    for (size_t t = half; t + half < n; t++) {
        idx[t % (size_t)m] += trend[t];
        count[t % (size_t)m]++;
    }
    for (int j = 0; j < m; j++) {
        idx[j] /= (double)count[j];
        total += idx[j];
    }
    if (multiplicative && !(total > 0.0))
        goto fail;
    for (int j = 0; j < m; j++)
        idx[j] = multiplicative ? idx[j] * m / total : idx[j] - total / m;
    rc = FORECAST_OK;
fail:
    free(trend);
    return rc;
}

/* AICc of one mean per phase over the detrended range (m parameters) and
 * those means, centred to sum 0, in idx. */
static double season_phase_means(const double *d, size_t lo, size_t hi, int m,
                                 double *idx)
{
    double rss = 0.0, total = 0.0;
    size_t count[FORECAST_MAX_PERIOD] = {0};
    memset(idx, 0, (size_t)m * sizeof *idx);
    for (size_t t = lo; t < hi; t++) {
        idx[t % (size_t)m] += d[t];
        count[t % (size_t)m]++;
    }
    for (int j = 0; j < m; j++)
        idx[j] /= (double)count[j];
    for (size_t t = lo; t < hi; t++)
        rss += (d[t] - idx[t % (size_t)m]) * (d[t] - idx[t % (size_t)m]);
    for (int j = 0; j < m; j++)
        total += idx[j];
    for (int j = 0; j < m; j++)
        idx[j] -= total / m;
    return season_aicc(rss, hi - lo, m);
}

/* Best Fourier fit (K = 0..kmax) of the detrended range by AICc; writes
 * the profile into idx and K into *harmonics, returns its AICc. */
static double season_fourier_fit(const double *d, size_t lo, size_t hi, int m,
                                 double *idx, int *harmonics)
{
    double xtx[SEASON_MAX_COLS * SEASON_MAX_COLS], xtd[SEASON_MAX_COLS], dtd;
    double l[SEASON_MAX_COLS][SEASON_MAX_COLS], z[SEASON_MAX_COLS];
    double beta[SEASON_MAX_COLS], best = HUGE_VAL, rss;
    int kmax = (m - 1) / 2, best_k = 0, ok;
    if (kmax > FORECAST_SEASON_MAX_HARMONICS)
        kmax = FORECAST_SEASON_MAX_HARMONICS;
    season_normal_eqs(d, lo, hi, m, 2 * kmax + 1, xtx, xtd, &dtd);
    ok = season_cholesky(xtx, xtd, 2 * kmax + 1, l, z);
    memset(idx, 0, (size_t)m * sizeof *idx);
    *harmonics = 0;
    if (ok < 1)
        return HUGE_VAL;
    rss = dtd;
    for (int k = 0; 2 * k + 1 <= ok; k++) {
        double aicc;
        for (int j = k == 0 ? 0 : 2 * k - 1; j <= 2 * k; j++)
            rss -= z[j] * z[j];
        aicc = season_aicc(rss, hi - lo, 2 * k + 1);
        if (aicc < best) {
            best = aicc;
            best_k = k;
        }
    }
    season_back_solve(l, z, 2 * best_k + 1, beta);
    for (int j = 0; j < m; j++) {
        double x[SEASON_MAX_COLS];
        season_regressors(j, m, 2 * best_k + 1, x);
        idx[j] = 0.0;
        for (int c = 1; c <= 2 * best_k; c++)
            idx[j] += beta[c] * x[c];
    }
    *harmonics = best_k;
    return best;
}

int forecast_season_long(const double *y, size_t n, int m,
                         bool multiplicative, double *idx, int *harmonics)
{
    double *d = NULL, *phase = NULL, fourier_aicc, phase_aicc;
    size_t half;
    int rc = FORECAST_E_NOMEM;
    if (m < 4 || m > FORECAST_MAX_PERIOD || n < 2 * (size_t)m)
        return FORECAST_E_ARG;
    d = malloc(n * sizeof *d);
    phase = malloc((size_t)m * sizeof *phase);
    if (d == NULL || phase == NULL)
        goto fail;
    half = season_moving_average(y, n, m, d);
    rc = season_detrend(y, n, half, multiplicative, d);
    if (rc != FORECAST_OK)
        goto fail;
    fourier_aicc = season_fourier_fit(d, half, n - half, m, idx, harmonics);
    phase_aicc = season_phase_means(d, half, n - half, m, phase);
    if (phase_aicc < fourier_aicc) {
        memcpy(idx, phase, (size_t)m * sizeof *idx);
        *harmonics = FORECAST_SEASON_PER_PHASE;
    }
    /* both profiles are centred on 0; ratios centre on 1 */
    for (int j = 0; multiplicative && j < m; j++)
        idx[j] += 1.0;
    for (int j = 0; multiplicative && j < m; j++)
        if (!(idx[j] > 0.0))
            rc = FORECAST_E_ARG;
fail:
    free(d);
    free(phase);
    return rc;
}

void forecast_season_adjust(const double *y, size_t n, int m,
                            const double *idx, bool multiplicative,
                            double *out)
{
    for (size_t t = 0; t < n; t++) {
        double s = idx[t % (size_t)m];
        out[t] = multiplicative ? y[t] / s : y[t] - s;
    }
}

void forecast_season_restore(double *x, int horizon, size_t n, int m,
                             const double *idx, bool multiplicative)
{
    for (int h = 0; h < horizon; h++) {
        double s = idx[(n + (size_t)h) % (size_t)m];
        x[h] = multiplicative ? x[h] * s : x[h] + s;
    }
}
