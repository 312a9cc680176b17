/*
 * lib/forecast/theta.c: the Theta method as SES with drift (see
 * forecast_theta.h for the equations).
 */
#include "lib/forecast/theta.h"

#include <math.h>
#include <stdlib.h>

#include "lib/forecast/stats.h"

int forecast_theta_fit(const double *y, size_t n,
                       struct forecast_theta_model *out)
{
    struct forecast_ets_spec ses = {FORECAST_ETS_A, FORECAST_ETS_N,
                                    FORECAST_ETS_N};
    double intercept;
    if (forecast_ets_fit(y, n, 1, ses, &out->ses) != 0)
        return -1;
    forecast_stats_linfit(y, n, &intercept, &out->half_slope);
    out->half_slope /= 2.0;
    out->n = n;
    return 0;
}

int forecast_theta_forecast(const struct forecast_theta_model *mod,
                            struct forecast_output *o)
{
    double alpha = fmax(mod->ses.alpha, 1e-10);
    double lag = (1.0 - pow(1.0 - alpha, (double)mod->n)) / alpha;
    double *sd = malloc((size_t)o->horizon * sizeof *sd);
    if (sd == NULL)
        return FORECAST_E_NOMEM;
    for (int h = 0; h < o->horizon; h++) {
        o->point[h] = mod->ses.last.l + mod->half_slope * (h + lag);
        sd[h] = sqrt(mod->ses.sigma2 * (1.0 + h * alpha * alpha));
    }
    forecast_output_normal(o, sd);
    free(sd);
    return 0;
}
