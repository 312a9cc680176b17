/*
 * lib/forecast/methods.c: the explicit forecasting methods on a job, with
 * seasonal adjustment and short-series fallbacks (see forecast_methods.h).
 */
#include "lib/forecast/methods.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/arima.h"
#include "lib/forecast/ets.h"
#include "lib/forecast/naive.h"
#include "lib/forecast/season.h"
#include "lib/forecast/theta.h"

/* A seasonal adjustment in use: idx == NULL means none (adj is then y). */
struct methods_season {
    double *idx;
    bool mult;
    const double *adj;
    double *adj_owned;
};

/* ---- seasonal adjustment ------------------------------------------------ */

static bool methods_all_positive(const double *y, size_t n)
{
    for (size_t t = 0; t < n; t++)
        if (!(y[t] > 0.0))
            return false;
    return true;
}

/* Frees what methods_season_prepare() allocated. */
static void methods_season_dispose(struct methods_season *s)
{
    free(s->idx);
    free(s->adj_owned);
    s->idx = NULL;
    s->adj_owned = NULL;
}

/*
 * Long-period profile (forecast_season_long), multiplicative when ratios
 * can be formed, else additive. The result is cached in the job, since
 * every member of the automatic combination adjusts the same history.
 * Returns 0, FORECAST_E_ARG or FORECAST_E_NOMEM.
 */
static int methods_season_long(struct forecast_job *job,
                               struct methods_season *s, int *harmonics)
{
    struct forecast_job_season *c = &job->season;
    int rc = 0;
    if (c->n != job->n) {
        c->mult = true;
        rc = forecast_season_long(job->y, job->n, job->m, true, c->idx,
                                  &c->harmonics);
        if (rc == FORECAST_E_ARG) {
            c->mult = false;
            rc = forecast_season_long(job->y, job->n, job->m, false, c->idx,
                                      &c->harmonics);
        }
        if (rc != 0)
            return rc;
        c->n = job->n;
    }
    s->mult = c->mult;
    *harmonics = c->harmonics;
    memcpy(s->idx, c->idx, (size_t)job->m * sizeof *s->idx);
    return rc;
}

/* Estimates the seasonal profile: Fourier terms for periods beyond
 * FORECAST_ETS_MAX_PERIOD, else classical decomposition (multiplicative
 * for positive data). Returns 0 (s->idx may stay NULL: no season worth
 * removing) or FORECAST_E_NOMEM. */
static int methods_season_profile(struct forecast_job *job, const char *who,
                                  struct methods_season *s)
{
    int harmonics = 0, rc;
    s->idx = malloc((size_t)job->m * sizeof *s->idx);
    if (s->idx == NULL)
        return FORECAST_E_NOMEM;
    if (job->m > FORECAST_ETS_MAX_PERIOD) {
        rc = methods_season_long(job, s, &harmonics);
        if (rc == 0 && harmonics == FORECAST_SEASON_PER_PHASE) {
            forecast_job_note(job, "%s: %s seasonal adjustment by %d "
                              "per-phase means (beat Fourier terms on AICc)",
                              who, s->mult ? "multiplicative" : "additive",
                              job->m);
            return 0;
        }
        if (rc == 0 && harmonics > 0) {
            forecast_job_note(job, "%s: %s seasonal adjustment by %d "
                              "Fourier harmonic pair(s) of period %d (AICc)",
                              who, s->mult ? "multiplicative" : "additive",
                              harmonics, job->m);
            return 0;
        }
    } else {
        s->mult = methods_all_positive(job->y, job->n);
        rc = forecast_season_classical(job->y, job->n, job->m, s->mult, s->idx);
        if (rc == 0) {
            forecast_job_note(job, "%s: classical %s seasonal adjustment, "
                              "period %d", who,
                              s->mult ? "multiplicative" : "additive", job->m);
            return 0;
        }
    }
    if (rc == FORECAST_E_NOMEM)
        return rc;
    forecast_job_note(job, "%s: no seasonal pattern worth removing", who);
    free(s->idx);
    s->idx = NULL;
    return 0;
}

/*
 * Seasonally adjusts job->y for a method that models no season itself.
 * With `test_first` the ACF test must find seasonality first. On return
 * s->adj is the series to model (job->y when nothing was removed).
 * Returns 0 or FORECAST_E_NOMEM.
 */
static int methods_season_prepare(struct forecast_job *job, bool test_first,
                                  const char *who, struct methods_season *s)
{
    int rc;
    *s = (struct methods_season){.adj = job->y};
    if (job->m < 2 || job->n < 2 * (size_t)job->m)
        return 0;
    if (test_first && !forecast_season_detect(job->y, job->n, job->m)) {
        forecast_job_note(job, "%s: no significant seasonality at period %d",
                          who, job->m);
        return 0;
    }
    rc = methods_season_profile(job, who, s);
    if (rc != 0 || s->idx == NULL)
        return rc;
    s->adj_owned = malloc(job->n * sizeof *s->adj_owned);
    if (s->adj_owned == NULL)
        return FORECAST_E_NOMEM;
    forecast_season_adjust(job->y, job->n, job->m, s->idx, s->mult,
                           s->adj_owned);
    s->adj = s->adj_owned;
    return 0;
}

/* Puts the season back on points and every interval bound. */
static void methods_season_restore(const struct forecast_job *job,
                                   const struct methods_season *s,
                                   struct forecast_output *out)
{
    if (s->idx == NULL)
        return;
    forecast_season_restore(out->point, out->horizon, job->n, job->m, s->idx,
                            s->mult);
    for (int l = 0; l < FORECAST_NLEVELS; l++) {
        forecast_season_restore(out->lo[l], out->horizon, job->n, job->m,
                                s->idx, s->mult);
        forecast_season_restore(out->hi[l], out->horizon, job->n, job->m,
                                s->idx, s->mult);
    }
}

/* ---- methods ------------------------------------------------------------ */

int forecast_methods_naive(struct forecast_job *job,
                           struct forecast_output *out)
{
    job->chosen = FORECAST_NAIVE;
    forecast_job_model(job, "Naive");
    forecast_job_note(job, "naive: last value %g, sigma %g", job->y[job->n - 1],
                      forecast_naive_sigma(job->y, job->n, 1));
    if (job->n == 1)
        forecast_job_note(job, "naive: a single value gives no spread; "
                          "intervals have zero width");
    return forecast_naive_forecast(job->y, job->n, 1, out);
}

int forecast_methods_snaive(struct forecast_job *job,
                            struct forecast_output *out)
{
    if (job->m < 2 || job->n < (size_t)job->m) {
        forecast_job_note(job, "snaive: %zu value(s) do not cover one period "
                          "of %d; using naive", job->n, job->m);
        return forecast_methods_naive(job, out);
    }
    job->chosen = FORECAST_SNAIVE;
    forecast_job_model(job, "Seasonal naive");
    forecast_job_note(job, "snaive: repeats the last %d values, sigma %g",
                      job->m, forecast_naive_sigma(job->y, job->n, job->m));
    return forecast_naive_forecast(job->y, job->n, job->m, out);
}

/* Explanation line for a fitted ETS model. */
static void methods_ets_note(struct forecast_job *job, const char *who,
                             const struct forecast_ets_model *mod)
{
    char label[32];
    forecast_ets_label(mod->spec, label, sizeof label);
    forecast_job_note(job,
                      "%s: %s alpha=%.4f beta=%.4f gamma=%.4f phi=%.4f "
                      "l0=%.6g b0=%.6g sigma=%.6g AICc=%.3f",
                      who, label, mod->alpha,
                      mod->spec.trend != FORECAST_ETS_N ? mod->beta : 0.0,
                      mod->spec.season != FORECAST_ETS_N ? mod->gamma : 0.0,
                      mod->phi, mod->init.l, mod->init.b, sqrt(mod->sigma2),
                      mod->aicc);
}

/* Refits the job's model (or fits its fixed spec), or chooses by AICc; y
 * is the series to model (seasonally adjusted for long periods,
 * when direct is false). Returns 0 or -1 when nothing could be fitted. */
static int methods_ets_fit(const struct forecast_job *job, const double *y,
                           bool direct, struct forecast_ets_model *mod)
{
    int m = direct ? job->m : 1;
    if (job->fixed_ets && job->has_ets_fit &&
        forecast_ets_refit(y, job->n, &job->ets_fit, mod) == 0)
        return 0;
    if (job->fixed_ets && !job->has_ets_fit &&
        forecast_ets_fit(y, job->n, m, job->ets_spec, mod) == 0)
        return 0;
    return forecast_ets_select(y, job->n, m, direct && job->m > 1, mod);
}

/* ETS by AICc, with seasonal adjustment for long periods; naive when no
 * model can be fitted. */
int forecast_methods_ets(struct forecast_job *job,
                         struct forecast_output *out)
{
    const char *who = "ets";
    struct methods_season s = {.adj = job->y};
    struct forecast_ets_model mod;
    bool direct = job->m <= FORECAST_ETS_MAX_PERIOD;
    char label[32];
    int rc = 0;
    if (!direct && (rc = methods_season_prepare(job, false, who, &s)) != 0)
        goto fail;
    if (methods_ets_fit(job, s.adj, direct, &mod) != 0) {
        forecast_job_note(job, "%s: %zu values are too few for any ETS model; "
                          "using naive", who, job->n);
        methods_season_dispose(&s);
        return forecast_methods_naive(job, out);
    }
    if (direct && job->m > 1 && mod.spec.season == FORECAST_ETS_N &&
        job->n < 2 * (size_t)job->m)
        forecast_job_note(job, "%s: fewer than two periods of data; seasonal "
                          "models were not considered", who);
    methods_ets_note(job, who, &mod);
    job->ets_spec = mod.spec;
    job->ets_fit = mod;
    job->has_ets_fit = true;
    if (job->points_only)
        forecast_ets_points(&mod, out);
    else
        rc = forecast_ets_forecast(&mod, out, job->seed);
    if (rc != 0)
        goto fail;
    methods_season_restore(job, &s, out);
    forecast_ets_label(mod.spec, label, sizeof label);
    forecast_job_model(job, "%s%s", label, s.idx ? "+season" : "");
    job->chosen = FORECAST_ETS;
    job->has_aicc = true;
    job->aicc = mod.aicc;
fail:
    methods_season_dispose(&s);
    return rc;
}

int forecast_methods_theta(struct forecast_job *job,
                           struct forecast_output *out)
{
    struct methods_season s;
    struct forecast_theta_model mod;
    int rc = methods_season_prepare(job, true, "theta", &s);
    if (rc != 0)
        goto fail;
    if (forecast_theta_fit(s.adj, job->n, &mod) != 0) {
        forecast_job_note(job, "theta: %zu values are too few to fit; using "
                          "naive", job->n);
        methods_season_dispose(&s);
        return forecast_methods_naive(job, out);
    }
    forecast_job_note(job, "theta: SES alpha=%.4f level=%.6g drift=%.6g per "
                      "step sigma=%.6g", mod.ses.alpha, mod.ses.last.l,
                      mod.half_slope, sqrt(mod.ses.sigma2));
    rc = forecast_theta_forecast(&mod, out);
    if (rc != 0)
        goto fail;
    methods_season_restore(job, &s, out);
    forecast_job_model(job, "Theta");
    job->chosen = FORECAST_THETA;
fail:
    methods_season_dispose(&s);
    return rc;
}

int forecast_methods_arima(struct forecast_job *job,
                           struct forecast_output *out)
{
    struct methods_season s = {.adj = job->y};
    struct forecast_arima_model mod;
    bool direct = job->m <= FORECAST_ARIMA_MAX_PERIOD;
    char label[64];
    int rc = 0;
    if (!direct && (rc = methods_season_prepare(job, false, "arima", &s)) != 0)
        goto fail;
    rc = -1;
    if (job->fixed_arima && job->has_arima_fit)
        rc = forecast_arima_refit(s.adj, job->n, &job->arima_fit, &mod);
    if (rc == -1)
        rc = forecast_arima_auto(s.adj, job->n, direct ? job->m : 1, &mod);
    if (rc == FORECAST_E_NOMEM)
        goto fail;
    if (rc != 0) {
        forecast_job_note(job, "arima: %zu values are too few for any ARIMA "
                          "model; using naive", job->n);
        methods_season_dispose(&s);
        return forecast_methods_naive(job, out);
    }
    forecast_arima_label(&mod.order, label, sizeof label);
    forecast_job_note(job, "arima: %s ar=(%.4f %.4f %.4f) ma=(%.4f %.4f "
                      "%.4f) sar=%.4f sma=%.4f mu=%.6g sigma=%.6g AICc=%.3f",
                      label, mod.ar[0], mod.ar[1], mod.ar[2], mod.ma[0],
                      mod.ma[1], mod.ma[2], mod.sar, mod.sma, mod.mu,
                      sqrt(mod.sigma2), mod.aicc);
    job->arima_order = mod.order;
    job->arima_fit = mod;
    job->has_arima_fit = true;
    rc = forecast_arima_forecast(&mod, s.adj, job->n, job->points_only, out);
    if (rc != 0)
        goto fail;
    methods_season_restore(job, &s, out);
    forecast_job_model(job, "%s%s", label, s.idx ? "+season" : "");
    job->chosen = FORECAST_ARIMA;
fail:
    methods_season_dispose(&s);
    return rc;
}

/* Public method enum for an intermittent kind. */
static enum forecast_method
methods_intermittent_enum(enum forecast_intermittent_kind kind)
{
    switch (kind) {
    case FORECAST_INTERMITTENT_CROSTON:
        return FORECAST_CROSTON;
    case FORECAST_INTERMITTENT_SBA:
        return FORECAST_SBA;
    default:
        return FORECAST_TSB;
    }
}

int forecast_methods_intermittent(struct forecast_job *job,
                                  enum forecast_intermittent_kind kind,
                                  struct forecast_output *out)
{
    struct forecast_intermittent_model mod;
    struct forecast_intermittent_pattern pat;
    const char *name = forecast_intermittent_name(kind);
    forecast_intermittent_pattern(job->y, job->n, &pat);
    job->chosen = methods_intermittent_enum(kind);
    forecast_job_model(job, "%s", name);
    if (forecast_intermittent_fit(job->y, job->n, kind, &mod) != 0) {
        forecast_job_note(job, "%s: no demand in the history; forecast 0",
                          name);
        return 0;
    }
    forecast_job_note(job, "%s: ADI=%.3f CV2=%.3f alpha=%.3f beta=%.3f "
                      "size=%.6g interval=%.4g prob=%.4f forecast=%.6g", name,
                      pat.adi, pat.cv2, mod.alpha,
                      kind == FORECAST_INTERMITTENT_TSB ? mod.beta : 0.0,
                      mod.size, mod.interval, mod.prob, mod.mean);
    return forecast_intermittent_forecast(&mod, job->y, job->n, out);
}
