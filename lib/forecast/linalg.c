/*
 * lib/forecast/linalg.c: Cholesky solve of a small symmetric positive
 * definite system (see linalg.h): A + diag(shift) = L L', then L z = b and
 * L' x = z.
 */
#include "lib/forecast/linalg.h"

#include <math.h>

/* Factors the shifted lower triangle into l. Returns 0 or -1 when a pivot
 * is not positive (NaN included). */
static int linalg_factor(const double *a, size_t stride, int n,
                         const double *shift,
                         double l[][FORECAST_LINALG_MAX_DIM])
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j <= i; j++) {
            double s = a[(size_t)i * stride + (size_t)j];
            if (i == j)
                s += shift[i];
            for (int c = 0; c < j; c++)
                s -= l[i][c] * l[j][c];
            if (i == j) {
                if (!(s > 0.0))
                    return -1;
                l[i][i] = sqrt(s);
            } else {
                l[i][j] = s / l[j][j];
            }
        }
    }
    return 0;
}

/* Forward substitution L z = b, then back substitution L' x = z. */
static void linalg_substitute(const double l[][FORECAST_LINALG_MAX_DIM],
                              int n, const double *b, double *x)
{
    double z[FORECAST_LINALG_MAX_DIM];
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int c = 0; c < i; c++)
            s -= l[i][c] * z[c];
        z[i] = s / l[i][i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = z[i];
        for (int c = i + 1; c < n; c++)
            s -= l[c][i] * x[c];
        x[i] = s / l[i][i];
    }
}

int forecast_linalg_solve_spd(const double *a, size_t stride, int n,
                              const double *shift, const double *b,
                              double *x)
{
    double l[FORECAST_LINALG_MAX_DIM][FORECAST_LINALG_MAX_DIM];
    if (n < 1 || n > FORECAST_LINALG_MAX_DIM)
        return -1;
    if (linalg_factor(a, stride, n, shift, l) != 0)
        return -1;
    linalg_substitute((const double (*)[FORECAST_LINALG_MAX_DIM])l, n, b, x);
    return 0;
}
