/*
 * lib/forecast/ets.c: ETS recursions, maximum-likelihood fitting, AICc model
 * selection and forecasting with analytic or simulated intervals. The
 * model conventions are documented in forecast_ets.h.
 */
#include "lib/forecast/ets.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/ets_init.h"
#include "lib/forecast/optim.h"
#include "lib/forecast/rng.h"
#include "lib/forecast/season.h"
#include "lib/forecast/stats.h"

/* Sample paths drawn for simulated intervals: the 2.5 % quantile then
 * rests on 50 paths, enough for a stable bound at a fraction of a
 * millisecond per forecast step. */
enum { ETS_SIM_PATHS = 2000 };

/* Longest horizon for the O(h^2) analytic variance recursions; beyond it
 * (up to FORECAST_MAX_HORIZON) the O(h) simulation is cheaper. */
enum { ETS_ANALYTIC_MAX_HORIZON = 2000 };

/* The search stops when the simplex spans less than this in -2 log L: a
 * hundredth of a unit moves no AICc comparison (differences under 2 are
 * read as a tie). 1e-3 cost 27 % more CPU on weekly data for changes in
 * the third decimal of the development set's mean MASE, either way. */
#define ETS_TOL 1e-2

/* Likelihood evaluations allowed per parameter of a fit. */
enum { ETS_EVALS_PER_PARAM = 150 };

/* A warm start is near its optimum: its simplex starts this much smaller. */
#define ETS_WARM_STEP 0.25

#define ETS_TINY 1e-10
#define ETS_ALPHA_LO 1e-4
#define ETS_ALPHA_HI 0.9999
#define ETS_PHI_LO 0.8
#define ETS_PHI_HI 0.98

/* ---- recursions --------------------------------------------------------- */

/* One-step forecast from state st for the observation of phase `phase`;
 * stores the level-plus-trend part in *q. */
static double ets_mu(const struct forecast_ets_model *mod,
                     const struct forecast_ets_state *st, size_t phase,
                     double *q)
{
    double phib = mod->spec.trend == FORECAST_ETS_N ? 0.0 : mod->phi * st->b;
    *q = st->l + phib;
    switch (mod->spec.season) {
    case FORECAST_ETS_A:
        return *q + st->s[phase];
    case FORECAST_ETS_M:
        return *q * st->s[phase];
    default:
        return *q;
    }
}

/* Updates st with observation y of phase `phase` (q from ets_mu). Returns
 * 0, or -1 when a multiplicative season meets q <= 0 or s <= 0. */
static int ets_update(const struct forecast_ets_model *mod,
                      struct forecast_ets_state *st, size_t phase, double y,
                      double q)
{
    double p = y, s = st->s[phase];
    if (mod->spec.season == FORECAST_ETS_A) {
        p = y - s;
        st->s[phase] = s + mod->gamma * (y - q - s);
    } else if (mod->spec.season == FORECAST_ETS_M) {
        if (q <= ETS_TINY || s <= ETS_TINY)
            return -1;
        p = y / s;
        st->s[phase] = s + mod->gamma * (y / q - s);
    }
    st->l = q + mod->alpha * (p - q);
    if (mod->spec.trend != FORECAST_ETS_N)
        st->b = mod->phi * st->b + mod->beta * (p - q);
    return 0;
}

/* Running sum of log(mu) kept as a product that is folded into the sum
 * only when it leaves [1e-150, 1e150]: one log per dozens of steps instead
 * of one per step (the likelihood's hot spot for multiplicative errors). */
struct ets_logsum {
    double sum, prod;
};

static void ets_logsum_add(struct ets_logsum *ls, double v)
{
    ls->prod *= v;
    if (ls->prod > 1e150 || ls->prod < 1e-150) {
        ls->sum += log(ls->prod);
        ls->prod = 1.0;
    }
}

/*
 * forecast_ets_filter() for non-seasonal models without fitted values,
 * with the states in locals: the hot path of every fit on weekly, yearly
 * and seasonally adjusted data. Same recursions and likelihood.
 */
static int ets_filter_plain(struct forecast_ets_model *mod, const double *y,
                            size_t n)
{
    bool trend = mod->spec.trend != FORECAST_ETS_N;
    double l = mod->init.l, b = trend ? mod->init.b : 0.0;
    double phi = mod->phi, al = mod->alpha, be = trend ? mod->beta : 0.0;
    double sse = 0.0, sse_y = 0.0;
    struct ets_logsum ls = {0.0, 1.0};
    bool mult_err = mod->spec.error == FORECAST_ETS_M;
    for (size_t t = 0; t < n; t++) {
        double q = l + phi * b, r = y[t] - q, e = r;
        if (mult_err) {
            if (!(q > ETS_TINY))
                return -1;
            e = r / q;
            ets_logsum_add(&ls, q);
        }
        sse += e * e;
        sse_y += r * r;
        l = q + al * r;
        b = phi * b + be * r;
    }
    ls.sum += log(ls.prod);
    if (!isfinite(sse) || !isfinite(ls.sum))
        return -1;
    mod->last.l = l;
    mod->last.b = b;
    mod->n = n;
    mod->lik = (double)n * log(fmax(sse, 1e-300)) + 2.0 * ls.sum;
    mod->sigma2 = sse / (double)n;
    mod->mse = sse_y / (double)n;
    return 0;
}

int forecast_ets_filter(struct forecast_ets_model *mod, const double *y,
                        size_t n, double *fitted)
{
    struct forecast_ets_state st = mod->init;
    struct ets_logsum ls = {0.0, 1.0};
    double sse = 0.0, sse_y = 0.0, q, mu, e;
    size_t m = (size_t)mod->m, phase = 0;
    bool mult_err = mod->spec.error == FORECAST_ETS_M;
    if (mod->spec.season == FORECAST_ETS_N && fitted == NULL)
        return ets_filter_plain(mod, y, n);
    for (size_t t = 0; t < n; t++) {
        mu = ets_mu(mod, &st, phase, &q);
        if (fitted != NULL)
            fitted[t] = mu;
        if (mult_err) {
            if (!(mu > ETS_TINY))
                return -1;
            e = (y[t] - mu) / mu;
            ets_logsum_add(&ls, mu);
        } else {
            e = y[t] - mu;
        }
        sse += e * e;
        sse_y += (y[t] - mu) * (y[t] - mu);
        if (ets_update(mod, &st, phase, y[t], q) != 0)
            return -1;
        if (++phase == m)
            phase = 0;
    }
    ls.sum += log(ls.prod);
    if (!isfinite(sse) || !isfinite(ls.sum))
        return -1;
    mod->last = st;
    mod->n = n;
    mod->lik = (double)n * log(fmax(sse, 1e-300)) + 2.0 * ls.sum;
    mod->sigma2 = sse / (double)n;
    mod->mse = sse_y / (double)n;
    return 0;
}

/* ---- fitting ------------------------------------------------------------ */

/* What the optimiser varies and the data it fits. */
struct ets_fit_ctx {
    struct forecast_ets_model mod;
    const double *y;
    size_t n;
    int dim;
    bool concentrated; /* initial states by least squares, not searched */
    bool warm;         /* start the search from the model's parameters */
};

/* Number of free parameters of a spec, excluding sigma. */
static int ets_count_params(struct forecast_ets_spec spec, int m)
{
    int k = 2; /* alpha, l0 */
    if (spec.trend != FORECAST_ETS_N)
        k += 2; /* beta, b0 */
    if (spec.trend == FORECAST_ETS_AD)
        k += 1; /* phi */
    if (spec.season != FORECAST_ETS_N)
        k += 1 + (m - 1); /* gamma, initial seasonals */
    return k;
}

/* Copies the optimiser's vector x into the model: alpha, beta / alpha,
 * gamma / (1 - alpha), phi, then l0 and b0 unless they are concentrated
 * out (only the entries the spec has). */
static void ets_unpack(struct ets_fit_ctx *c, const double *x)
{
    struct forecast_ets_model *mod = &c->mod;
    int i = 0;
    mod->alpha = x[i++];
    if (mod->spec.trend != FORECAST_ETS_N)
        mod->beta = x[i++] * mod->alpha;
    if (mod->spec.season != FORECAST_ETS_N)
        mod->gamma = x[i++] * (1.0 - mod->alpha);
    if (mod->spec.trend == FORECAST_ETS_AD)
        mod->phi = x[i++];
    if (c->concentrated)
        return;
    mod->init.l = x[i++];
    if (mod->spec.trend != FORECAST_ETS_N)
        mod->init.b = x[i++];
}

/* Objective for the optimiser: -2 log L, HUGE_VAL when inadmissible. With
 * concentrated initial states an additive-error likelihood comes straight
 * from the least-squares fit; otherwise the filter runs. */
static double ets_objective(const double *x, void *arg)
{
    struct ets_fit_ctx *c = arg;
    double sse;
    ets_unpack(c, x);
    if (c->concentrated) {
        if (forecast_ets_init_solve(&c->mod, c->y, c->n, &sse) != 0)
            return HUGE_VAL;
        if (c->mod.spec.error == FORECAST_ETS_A)
            return (double)c->n * log(fmax(sse, 1e-300));
    }
    if (forecast_ets_filter(&c->mod, c->y, c->n, NULL) != 0)
        return HUGE_VAL;
    return c->mod.lik;
}

/* Starting seasonal states from a classical decomposition of the first
 * `use` values (the first three years, or the whole history). Returns 0
 * or -1. */
static int ets_init_season(struct forecast_ets_model *mod, const double *y,
                           size_t use)
{
    bool mult = mod->spec.season == FORECAST_ETS_M;
    double idx[FORECAST_ETS_MAX_PERIOD];
    if (forecast_season_classical(y, use, mod->m, mult, idx) != 0)
        return -1;
    for (int j = 0; j < mod->m; j++) {
        if (mult && !(idx[j] > ETS_TINY))
            return -1;
        mod->init.s[j] = idx[j];
    }
    return 0;
}

/* Starting level and trend: a line (or mean) through the first
 * max(10, 2m) deseasonalised values, moved back one step so the state
 * precedes the first observation. */
static void ets_init_level(struct forecast_ets_model *mod, const double *y,
                           size_t n)
{
    size_t m = (size_t)mod->m, use = 2 * m > 10 ? 2 * m : 10;
    double sa[2 * FORECAST_ETS_MAX_PERIOD + 10], a, b;
    if (use > n)
        use = n;
    for (size_t t = 0; t < use; t++) {
        double s = mod->init.s[t % m];
        sa[t] = mod->spec.season == FORECAST_ETS_A   ? y[t] - s
                : mod->spec.season == FORECAST_ETS_M ? y[t] / s
                                                     : y[t];
    }
    if (mod->spec.trend == FORECAST_ETS_N) {
        mod->init.l = forecast_stats_mean(sa, use);
        mod->init.b = 0.0;
        return;
    }
    forecast_stats_linfit(sa, use, &a, &b);
    mod->init.l = a - b;
    mod->init.b = b;
}

/* True when the spec needs strictly positive data and some value is not. */
static bool ets_needs_positive(struct forecast_ets_spec spec, const double *y,
                               size_t n)
{
    if (spec.error != FORECAST_ETS_M && spec.season != FORECAST_ETS_M)
        return false;
    for (size_t t = 0; t < n; t++)
        if (!(y[t] > 0.0))
            return true;
    return false;
}

/* Appends one optimiser coordinate. */
static void ets_param(struct ets_fit_ctx *c, double *x, double *lo,
                      double *hi, double *step, const double v[4])
{
    x[c->dim] = v[0];
    lo[c->dim] = v[1];
    hi[c->dim] = v[2];
    step[c->dim] = v[3];
    c->dim++;
}

/* Fills the optimiser's start point, bounds and steps and sets c->dim.
 * scale is a typical magnitude of the data. */
static void ets_start(struct ets_fit_ctx *c, double scale, double *x,
                      double *lo, double *hi, double *step)
{
    const struct forecast_ets_model *mod = &c->mod;
    bool mult = mod->spec.error == FORECAST_ETS_M ||
                mod->spec.season == FORECAST_ETS_M;
    bool warm = c->warm;
    c->dim = 0;
    ets_param(c, x, lo, hi, step,
              (double[4]){warm ? mod->alpha : mod->m > 1 ? 0.1 : 0.3,
                          ETS_ALPHA_LO, ETS_ALPHA_HI, 0.15});
    if (mod->spec.trend != FORECAST_ETS_N)
        ets_param(c, x, lo, hi, step,
                  (double[4]){warm ? mod->beta / mod->alpha : 0.1,
                              ETS_ALPHA_LO, ETS_ALPHA_HI, 0.2});
    if (mod->spec.season != FORECAST_ETS_N)
        ets_param(c, x, lo, hi, step,
                  (double[4]){warm ? mod->gamma / (1.0 - mod->alpha) : 0.1,
                              ETS_ALPHA_LO, ETS_ALPHA_HI, 0.2});
    if (mod->spec.trend == FORECAST_ETS_AD)
        ets_param(c, x, lo, hi, step,
                  (double[4]){warm ? mod->phi : 0.95, ETS_PHI_LO, ETS_PHI_HI,
                              0.05});
    if (c->concentrated)
        return;
    ets_param(c, x, lo, hi, step,
              (double[4]){mod->init.l, mult ? ETS_TINY * scale : -HUGE_VAL,
                          HUGE_VAL, 0.1 * scale});
    if (mod->spec.trend != FORECAST_ETS_N)
        ets_param(c, x, lo, hi, step,
                  (double[4]){mod->init.b, -HUGE_VAL, HUGE_VAL,
                              0.2 * fabs(mod->init.b) + 0.01 * scale});
}

/* Picks the best starting alpha of a few for the concentrated search,
 * whose objective is cheap enough to probe (likelihoods are often
 * multimodal in alpha). */
static void ets_pick_alpha(struct ets_fit_ctx *c, double *x)
{
    static const double alphas[] = {0.02, 0.1, 0.3, 0.6, 0.9};
    double best = ets_objective(x, c), start = x[0];
    for (size_t i = 0; i < sizeof alphas / sizeof *alphas; i++) {
        double v;
        x[0] = alphas[i];
        v = ets_objective(x, c);
        if (v < best) {
            best = v;
            start = alphas[i];
        }
    }
    x[0] = start;
}

/* Searches the parameters from the model's current starting states and
 * leaves the optimum in c->mod (states filtered). Returns 0 or -1. */
static int ets_search(struct ets_fit_ctx *c)
{
    double x[FORECAST_OPTIM_MAX_DIM], lo[FORECAST_OPTIM_MAX_DIM];
    double hi[FORECAST_OPTIM_MAX_DIM], step[FORECAST_OPTIM_MAX_DIM];
    double fmin, scale;
    struct forecast_optim_problem prob;
    scale = fmax(fabs(c->mod.init.l), sqrt(forecast_stats_var(c->y, c->n)));
    scale = fmax(scale, 1e-6);
    ets_start(c, scale, x, lo, hi, step);
    if (c->concentrated && !c->warm)
        ets_pick_alpha(c, x);
    for (int i = 0; c->warm && i < c->dim; i++)
        step[i] *= ETS_WARM_STEP;
    prob = (struct forecast_optim_problem){
        .fn = ets_objective, .ctx = c, .dim = c->dim, .lower = lo,
        .upper = hi, .step = step, .max_evals = ETS_EVALS_PER_PARAM * c->dim,
        .tol = ETS_TOL};
    forecast_optim_minimize(&prob, x, &fmin);
    if (!isfinite(fmin) || !isfinite(ets_objective(x, c)))
        return -1;
    return forecast_ets_filter(&c->mod, c->y, c->n, NULL);
}

/*
 * The searched (multiplicative-season) case: its initial seasonals are
 * not estimated inside the search, so two starts are tried - indices from
 * the first three years and from the whole history - and the one with the
 * higher likelihood kept (both have the same number of parameters).
 * Returns 0 or -1.
 */
static int ets_search_seasonal(struct ets_fit_ctx *c)
{
    struct ets_fit_ctx first = *c;
    size_t m = (size_t)c->mod.m, three = 3 * m < c->n ? 3 * m : c->n;
    bool ok_first = false, ok_all = false;
    if (ets_init_season(&first.mod, c->y, three) == 0) {
        ets_init_level(&first.mod, c->y, c->n);
        ok_first = ets_search(&first) == 0;
    }
    if (three < c->n && ets_init_season(&c->mod, c->y, c->n) == 0) {
        ets_init_level(&c->mod, c->y, c->n);
        ok_all = ets_search(c) == 0;
    }
    if (ok_first && (!ok_all || first.mod.lik < c->mod.lik))
        *c = first;
    return ok_first || ok_all ? 0 : -1;
}

/* Checks that spec can be fitted to y with period m; returns its number
 * of parameters (without sigma), or -1. */
static int ets_check(const double *y, size_t n, int m,
                     struct forecast_ets_spec spec)
{
    int npar;
    if (m < 1 || m > FORECAST_ETS_MAX_PERIOD || ets_needs_positive(spec, y, n))
        return -1;
    npar = ets_count_params(spec, m);
    if (n <= (size_t)npar + 4 || (m > 1 && n < 2 * (size_t)m))
        return -1;
    return npar;
}

/* Completes a searched model: parameter count, sigma^2, AICc. */
static void ets_finish(struct forecast_ets_model *mod, size_t n, int npar)
{
    double k = npar + 1.0; /* sigma */
    mod->npar = npar + 1;
    mod->sigma2 = mod->sigma2 * (double)n / (double)(n - (size_t)npar);
    mod->aicc = mod->lik + 2.0 * k + 2.0 * k * (k + 1.0) / ((double)n - k - 1.0);
}

/*
 * forecast_ets_fit(), optionally starting the search from the smoothing
 * parameters of `twin`, a fitted model with the same trend and additive
 * errors: its optimum is close to this one's, so the search skips the alpha
 * probes and starts from a small simplex. Used for non-seasonal
 * multiplicative-error models only (the hot path of weekly data: 28 % less
 * CPU, accuracy unchanged on the development set); on seasonal models the
 * warm start settled in other local optima and changed daily forecasts.
 * Returns as forecast_ets_fit().
 */
static int ets_fit_from(const double *y, size_t n, int m, struct forecast_ets_spec spec,
                        const struct forecast_ets_model *twin,
                        struct forecast_ets_model *out)
{
    struct ets_fit_ctx c;
    int npar, rc;
    if (spec.season == FORECAST_ETS_N)
        m = 1;
    npar = ets_check(y, n, m, spec);
    if (npar < 0)
        return -1;
    memset(&c, 0, sizeof c);
    c.mod = (struct forecast_ets_model){.spec = spec, .m = m, .phi = 1.0};
    c.y = y;
    c.n = n;
    c.concentrated = spec.season != FORECAST_ETS_M;
    if (twin != NULL) {
        c.mod.alpha = twin->alpha;
        c.mod.beta = twin->beta;
        c.mod.gamma = twin->gamma;
        c.mod.phi = twin->phi;
        c.warm = true;
    }
    rc = c.concentrated ? ets_search(&c) : ets_search_seasonal(&c);
    if (rc != 0)
        return -1;
    ets_finish(&c.mod, n, npar);
    *out = c.mod;
    return 0;
}

int forecast_ets_fit(const double *y, size_t n, int m,
                     struct forecast_ets_spec spec,
                     struct forecast_ets_model *out)
{
    return ets_fit_from(y, n, m, spec, NULL, out);
}

int forecast_ets_refit(const double *y, size_t n,
                       const struct forecast_ets_model *start,
                       struct forecast_ets_model *out)
{
    struct ets_fit_ctx c;
    int npar = ets_check(y, n, start->m, start->spec);
    if (npar < 0)
        return -1;
    memset(&c, 0, sizeof c);
    c.mod = *start;
    c.y = y;
    c.n = n;
    c.concentrated = start->spec.season != FORECAST_ETS_M;
    c.warm = true;
    if (ets_search(&c) != 0)
        return -1;
    ets_finish(&c.mod, n, npar);
    *out = c.mod;
    return 0;
}

int forecast_ets_select(const double *y, size_t n, int m, bool seasonal,
                        struct forecast_ets_model *best)
{
    static const enum forecast_ets_kind errors[] = {FORECAST_ETS_A,
                                                    FORECAST_ETS_M};
    static const enum forecast_ets_kind trends[] = {
        FORECAST_ETS_N, FORECAST_ETS_A, FORECAST_ETS_AD};
    static const enum forecast_ets_kind seasons[] = {
        FORECAST_ETS_N, FORECAST_ETS_A, FORECAST_ETS_M};
    struct forecast_ets_model cand, fits[3]; /* non-seasonal, additive errors */
    bool found = false, ok[3] = {false};
    int nseason = (seasonal && m >= 2 && m <= FORECAST_ETS_MAX_PERIOD) ? 3 : 1;
    for (int e = 0; e < 2; e++)
        for (int t = 0; t < 3; t++)
            for (int s = 0; s < nseason; s++) {
                struct forecast_ets_spec spec = {errors[e], trends[t],
                                                 seasons[s]};
                const struct forecast_ets_model *twin = NULL;
                if (spec.error == FORECAST_ETS_A &&
                    spec.season == FORECAST_ETS_M)
                    continue;
                if (s == 0 && e == 1 && ok[t])
                    twin = &fits[t];
                if (ets_fit_from(y, n, m, spec, twin, &cand) != 0)
                    continue;
                if (s == 0 && e == 0) {
                    fits[t] = cand;
                    ok[t] = true;
                }
                if (!found || cand.aicc < best->aicc)
                    *best = cand;
                found = true;
            }
    return found ? 0 : -1;
}

/* ---- forecasting -------------------------------------------------------- */

/* Point forecasts: the recursion's conditional mean path. */
void forecast_ets_points(const struct forecast_ets_model *mod,
                       struct forecast_output *o)
{
    const struct forecast_ets_state *st = &mod->last;
    double phi_pow = 1.0, damp = 0.0;
    for (int h = 0; h < o->horizon; h++) {
        size_t phase = (mod->n + (size_t)h) % (size_t)mod->m;
        double q;
        phi_pow *= mod->phi;
        damp += phi_pow;
        q = st->l + (mod->spec.trend == FORECAST_ETS_N ? 0.0 : damp * st->b);
        o->point[h] = mod->spec.season == FORECAST_ETS_A   ? q + st->s[phase]
                      : mod->spec.season == FORECAST_ETS_M ? q * st->s[phase]
                                                           : q;
    }
}

/* Coefficient c_j = alpha + beta (phi + ... + phi^j) + gamma [j % m == 0]
 * of the class 1 and 2 variance formulas; damp = phi + ... + phi^j. */
static double ets_c(const struct forecast_ets_model *mod, int j, double damp)
{
    double c = mod->alpha;
    if (mod->spec.trend != FORECAST_ETS_N)
        c += mod->beta * damp;
    if (mod->spec.season == FORECAST_ETS_A && j % mod->m == 0)
        c += mod->gamma;
    return c;
}

/*
 * Analytic forecast variances (Hyndman et al. 2008, ch. 6) into var[h]:
 * class 1 (additive error): sigma^2 (1 + sum_{j<h} c_j^2);
 * class 2 (multiplicative error, no season):
 *   theta_h = mu_h^2 + sigma^2 sum_{j<h} c_j^2 theta_{h-j},
 *   var_h = (1 + sigma^2) theta_h - mu_h^2.
 * mu_h are the point forecasts already in o->point; c2 and theta are
 * scratch arrays of o->horizon values.
 */
static void ets_variances(const struct forecast_ets_model *mod,
                          const struct forecast_output *o, double *c2,
                          double *theta, double *var)
{
    double phi_pow = 1.0, damp = 0.0, s2 = mod->sigma2;
    bool mult = mod->spec.error == FORECAST_ETS_M;
    for (int h = 0; h < o->horizon; h++) {
        double acc = 0.0, mu = o->point[h], c;
        phi_pow *= mod->phi;
        damp += phi_pow;
        c = ets_c(mod, h + 1, damp);
        c2[h] = c * c;
        for (int j = 1; j <= h; j++)
            acc += c2[j - 1] * (mult ? theta[h - j] : 1.0);
        if (mult) {
            theta[h] = mu * mu + s2 * acc;
            var[h] = (1.0 + s2) * theta[h] - mu * mu;
        } else {
            var[h] = s2 * (1.0 + acc);
        }
    }
}

/* Normal intervals from the analytic variances. Returns 0 or
 * FORECAST_E_NOMEM. */
static int ets_intervals_analytic(const struct forecast_ets_model *mod,
                                  struct forecast_output *o)
{
    size_t h = (size_t)o->horizon;
    double *buf = malloc(3 * h * sizeof *buf);
    if (buf == NULL)
        return FORECAST_E_NOMEM;
    ets_variances(mod, o, buf, buf + h, buf + 2 * h);
    for (size_t i = 0; i < h; i++)
        buf[2 * h + i] = sqrt(fmax(buf[2 * h + i], 0.0));
    forecast_output_normal(o, buf + 2 * h);
    free(buf);
    return 0;
}

/*
 * Draws one step of a sample path in place and returns the simulated y.
 * A path whose level-plus-trend has fallen to zero or below (possible with
 * a falling additive trend under a multiplicative season) cannot be
 * updated multiplicatively; it stays where it is, forecasting mu.
 */
static double ets_sim_step(const struct forecast_ets_model *mod,
                           struct forecast_ets_state *st, size_t phase,
                           double sigma, struct forecast_rng *rng)
{
    double q, mu = ets_mu(mod, st, phase, &q);
    double e = sigma * forecast_rng_normal(rng);
    double y = mod->spec.error == FORECAST_ETS_M ? mu * (1.0 + e) : mu + e;
    struct forecast_ets_state next = *st;
    if (ets_update(mod, &next, phase, y, q) != 0)
        return mu;
    *st = next;
    return y;
}

/* Simulated intervals from ETS_SIM_PATHS paths. Returns 0 or
 * FORECAST_E_NOMEM. */
static int ets_intervals_simulated(const struct forecast_ets_model *mod,
                                   struct forecast_output *o, uint64_t seed)
{
    struct forecast_ets_state *paths = malloc(ETS_SIM_PATHS * sizeof *paths);
    double *draws = malloc(ETS_SIM_PATHS * sizeof *draws);
    double sigma = sqrt(mod->sigma2);
    struct forecast_rng rng;
    int rc = FORECAST_E_NOMEM;
    if (paths == NULL || draws == NULL)
        goto fail;
    forecast_rng_seed(&rng, seed);
    for (int p = 0; p < ETS_SIM_PATHS; p++)
        paths[p] = mod->last;
    for (int h = 0; h < o->horizon; h++) {
        size_t phase = (mod->n + (size_t)h) % (size_t)mod->m;
        for (int p = 0; p < ETS_SIM_PATHS; p++)
            draws[p] = ets_sim_step(mod, &paths[p], phase, sigma, &rng);
        forecast_output_from_draws(o, h, draws, ETS_SIM_PATHS);
    }
    rc = 0;
fail:
    free(paths);
    free(draws);
    return rc;
}

int forecast_ets_forecast(const struct forecast_ets_model *mod,
                          struct forecast_output *o, uint64_t seed)
{
    forecast_ets_points(mod, o);
    if (mod->spec.season != FORECAST_ETS_M &&
        o->horizon <= ETS_ANALYTIC_MAX_HORIZON)
        return ets_intervals_analytic(mod, o);
    return ets_intervals_simulated(mod, o, seed);
}

void forecast_ets_label(struct forecast_ets_spec spec, char *buf, size_t size)
{
    static const char *const names[] = {"N", "A", "Ad", "M"};
    snprintf(buf, size, "ETS(%s,%s,%s)", names[spec.error], names[spec.trend],
             names[spec.season]);
}
