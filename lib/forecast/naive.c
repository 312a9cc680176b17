/*
 * lib/forecast/naive.c: naive and seasonal naive forecasts (see
 * forecast_naive.h).
 */
#include "lib/forecast/naive.h"

#include <math.h>
#include <stdlib.h>

double forecast_naive_sigma(const double *y, size_t n, int m)
{
    double s = 0.0;
    size_t lag = (size_t)m;
    if (n <= lag)
        return 0.0;
    for (size_t t = lag; t < n; t++)
        s += (y[t] - y[t - lag]) * (y[t] - y[t - lag]);
    return sqrt(s / (double)(n - lag));
}

int forecast_naive_forecast(const double *y, size_t n, int m,
                            struct forecast_output *o)
{
    double sigma = forecast_naive_sigma(y, n, m);
    double *sd = malloc((size_t)o->horizon * sizeof *sd);
    if (sd == NULL)
        return FORECAST_E_NOMEM;
    for (int h = 0; h < o->horizon; h++) {
        o->point[h] = y[n - (size_t)m + (size_t)(h % m)];
        sd[h] = sigma * sqrt((double)(h / m) + 1.0);
    }
    forecast_output_normal(o, sd);
    free(sd);
    return 0;
}
