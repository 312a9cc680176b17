/*
 * lib/forecast/arima.c: seasonal ARIMA estimation by conditional sum of
 * squares, unit-root and seasonal-strength tests, stepwise order search
 * and forecasting (see forecast_arima.h for the method and its sources).
 *
 * Conventions: w is y differenced d times at lag 1 and D times at lag m.
 * The ARMA part is (1 - sum a_i B^i)(w_t - mu) = (1 + sum b_j B^j) e_t
 * with a and b the products of the non-seasonal and seasonal factors.
 */
#include "lib/forecast/arima.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/optim.h"
#include "lib/forecast/season.h"
#include "lib/forecast/stats.h"

/* Longest expanded AR or MA polynomial: p + m P. */
enum { ARIMA_MAX_LAG = FORECAST_ARIMA_MAX_PQ + FORECAST_ARIMA_MAX_PERIOD };

/* Longest differencing polynomial: d + m D (d <= 2, D <= 1), plus one. */
enum { ARIMA_MAX_DIFF = 2 + FORECAST_ARIMA_MAX_PERIOD + 1 };

/* Orders the stepwise search may visit before it stops. */
enum { ARIMA_MAX_MODELS = 30 };

/* Levenberg-Marquardt iterations (Jacobians) allowed per fit. */
enum { ARIMA_MAX_ITER = 30 };

/* KPSS 5 % critical value for level stationarity (Kwiatkowski et al.). */
#define ARIMA_KPSS_CRIT 0.463

/* Seasonal strength above which a seasonal difference is taken. */
#define ARIMA_SEASONAL_STRENGTH 0.64

/* ---- polynomials -------------------------------------------------------- */

/* Maps unconstrained values to the coefficients of a stationary AR
 * polynomial through partial autocorrelations tanh(raw) (Durbin-Levinson
 * recursion, as R's arima does). */
static void arima_partrans(int p, const double *raw, double *out)
{
    double work[FORECAST_ARIMA_MAX_PQ];
    for (int j = 0; j < p; j++)
        work[j] = out[j] = tanh(raw[j]);
    for (int j = 1; j < p; j++) {
        double a = out[j];
        for (int k = 0; k < j; k++)
            work[k] -= a * out[j - k - 1];
        for (int k = 0; k < j; k++)
            out[k] = work[k];
    }
}

/* Expands the seasonal AR and MA factors: a[1..*na], b[1..*nb]
 * (index 0 unused). */
static void arima_expand(const struct forecast_arima_model *mod, double *a,
                         int *na, double *b, int *nb)
{
    const struct forecast_arima_order *o = &mod->order;
    *na = o->p + o->m * o->P;
    *nb = o->q + o->m * o->Q;
    memset(a, 0, (size_t)(ARIMA_MAX_LAG + 1) * sizeof *a);
    memset(b, 0, (size_t)(ARIMA_MAX_LAG + 1) * sizeof *b);
    for (int i = 1; i <= o->p; i++)
        a[i] = mod->ar[i - 1];
    for (int j = 1; j <= o->q; j++)
        b[j] = mod->ma[j - 1];
    if (o->P) {
        a[o->m] += mod->sar;
        for (int i = 1; i <= o->p; i++)
            a[o->m + i] -= mod->ar[i - 1] * mod->sar;
    }
    if (o->Q) {
        b[o->m] += mod->sma;
        for (int j = 1; j <= o->q; j++)
            b[o->m + j] += mod->ma[j - 1] * mod->sma;
    }
}

/* Multiplies polynomial x (degree nx) by (1 - B^lag) in place. */
static void arima_times_diff(double *x, int *nx, int lag)
{
    for (int i = *nx + lag; i >= lag; i--)
        x[i] -= (i - lag <= *nx) ? x[i - lag] : 0.0;
    *nx += lag;
}

/* Coefficients A[1..*nA] of y_t = c + sum A_i y_{t-i} + MA terms: the AR
 * factor times the differencing operators. */
static void arima_full_ar(const struct forecast_arima_model *mod,
                          const double *a, int na, double *A, int *nA)
{
    double poly[ARIMA_MAX_LAG + ARIMA_MAX_DIFF + 1] = {0};
    int deg = na;
    poly[0] = 1.0;
    for (int i = 1; i <= na; i++)
        poly[i] = -a[i];
    for (int k = 0; k < mod->order.d; k++)
        arima_times_diff(poly, &deg, 1);
    for (int k = 0; k < mod->order.D; k++)
        arima_times_diff(poly, &deg, mod->order.m);
    for (int i = 1; i <= deg; i++)
        A[i] = -poly[i];
    *nA = deg;
}

/* ---- differencing and tests --------------------------------------------- */

/* Writes the differenced series into w; returns its length (0 when y is
 * too short). */
static size_t arima_difference(const double *y, size_t n, int d, int D,
                               int m, double *w)
{
    size_t len = n;
    memcpy(w, y, n * sizeof *w);
    for (int k = 0; k < D; k++) {
        if (len <= (size_t)m)
            return 0;
        for (size_t t = 0; t + (size_t)m < len; t++)
            w[t] = w[t + (size_t)m] - w[t];
        len -= (size_t)m;
    }
    for (int k = 0; k < d; k++) {
        if (len <= 1)
            return 0;
        for (size_t t = 0; t + 1 < len; t++)
            w[t] = w[t + 1] - w[t];
        len -= 1;
    }
    return len;
}

/* KPSS level-stationarity statistic with a Bartlett-window long-run
 * variance of 4 (n/100)^(1/4) lags ("short", as forecast::ndiffs). */
static double arima_kpss(const double *x, size_t n)
{
    double mean = forecast_stats_mean(x, n), s = 0.0, eta = 0.0, lrv = 0.0;
    size_t lags = (size_t)(4.0 * pow((double)n / 100.0, 0.25));
    for (size_t t = 0; t < n; t++) {
        s += x[t] - mean;
        eta += s * s;
        lrv += (x[t] - mean) * (x[t] - mean);
    }
    for (size_t l = 1; l <= lags && l < n; l++) {
        double c = 0.0;
        for (size_t t = l; t < n; t++)
            c += (x[t] - mean) * (x[t - l] - mean);
        lrv += 2.0 * (1.0 - (double)l / (double)(lags + 1)) * c;
    }
    lrv /= (double)n;
    if (!(lrv > 0.0))
        return 0.0;
    return eta / ((double)n * (double)n * lrv);
}

int forecast_arima_ndiffs(const double *y, size_t n)
{
    double *w = malloc(n * sizeof *w);
    size_t len = n;
    int d = 0;
    if (w == NULL)
        return 0;
    memcpy(w, y, n * sizeof *w);
    while (d < 2 && len > 12 && forecast_stats_var(w, len) > 0.0 &&
           arima_kpss(w, len) > ARIMA_KPSS_CRIT) {
        for (size_t t = 0; t + 1 < len; t++)
            w[t] = w[t + 1] - w[t];
        len--;
        d++;
    }
    free(w);
    return d;
}

int forecast_arima_nsdiffs(const double *y, size_t n, int m)
{
    double idx[FORECAST_ARIMA_MAX_PERIOD], *trend;
    double vr = 0.0, vsr = 0.0, mr = 0.0, msr = 0.0;
    size_t half = (size_t)m / 2, cnt = 0;
    if (m < 2 || m > FORECAST_ARIMA_MAX_PERIOD || n < 3 * (size_t)m ||
        forecast_season_classical(y, n, m, false, idx) != 0)
        return 0;
    trend = malloc(n * sizeof *trend);
    if (trend == NULL)
        return 0;
    /* remainder r = y - trend - season, over the moving average's range */
    for (size_t t = half; t + half < n; t++) {
        double s = 0.0;
        for (size_t j = t - half; j <= t + half; j++)
            s += (m % 2 == 0 && (j == t - half || j == t + half)) ? 0.5 * y[j]
                                                                   : y[j];
        trend[cnt] = y[t] - s / m; /* season + remainder */
        mr += trend[cnt] - idx[t % (size_t)m];
        msr += trend[cnt];
        cnt++;
    }
    mr /= (double)cnt;
    msr /= (double)cnt;
    for (size_t k = 0; k < cnt; k++) {
        double r = trend[k] - idx[(k + half) % (size_t)m] - mr;
        vr += r * r;
        vsr += (trend[k] - msr) * (trend[k] - msr);
    }
    free(trend);
    return vsr > 0.0 && 1.0 - vr / vsr > ARIMA_SEASONAL_STRENGTH ? 1 : 0;
}

/* ---- estimation --------------------------------------------------------- */

/* Data and scratch for the conditional-sum-of-squares objective. */
struct arima_css {
    struct forecast_arima_model mod;
    const double *w;
    size_t nw;
    double *e;
};

/* Copies the optimiser's vector into the model: raw AR, raw MA, raw SAR,
 * raw SMA, mu (only those the order has). */
static void arima_unpack(struct forecast_arima_model *mod, const double *x)
{
    const struct forecast_arima_order *o = &mod->order;
    double tmp[FORECAST_ARIMA_MAX_PQ];
    int i = 0;
    arima_partrans(o->p, x, mod->ar);
    i += o->p;
    arima_partrans(o->q, x + i, tmp);
    for (int j = 0; j < o->q; j++)
        mod->ma[j] = -tmp[j]; /* invertible: 1 + sum b B^j */
    i += o->q;
    mod->sar = o->P ? tanh(x[i++]) : 0.0;
    mod->sma = o->Q ? tanh(x[i++]) : 0.0;
    mod->mu = o->constant ? x[i] : 0.0;
}

/* Observations the conditional sum of squares uses: all after the first
 * o->cond (raised to p + mP when smaller), the same for every order of a
 * search so that their AICc values compare like with like. */
static size_t arima_effective(const struct forecast_arima_order *o,
                              size_t nw)
{
    int need = o->p + o->m * o->P;
    size_t cond = (size_t)(o->cond > need ? o->cond : need);
    return nw > cond ? nw - cond : 0;
}

/* Residuals e_t of the ARMA part over w (zero for the conditioning values,
 * see arima_effective()); returns the sum of squares from there on. */
/*
 * Short-lag case of arima_residuals() (at most 3 AR and 3 MA lags, from
 * the fourth value on): the lagged values live in locals, which removes the
 * store-to-load chain through e[] that dominates the general loop.
 */
static double arima_residuals_short(const double *a, const double *b,
                                    double mu, const double *w, size_t nw,
                                    size_t start, double *e)
{
    double e1 = 0.0, e2 = 0.0, e3 = 0.0, sse = 0.0;
    for (size_t t = start; t < nw; t++) {
        double v = (w[t] - mu) - a[1] * (w[t - 1] - mu) -
                   a[2] * (w[t - 2] - mu) - a[3] * (w[t - 3] - mu) -
                   b[1] * e1 - b[2] * e2 - b[3] * e3;
        e[t] = v;
        sse += v * v;
        e3 = e2;
        e2 = e1;
        e1 = v;
    }
    return sse;
}

static double arima_residuals(const struct forecast_arima_model *mod,
                              const double *w, size_t nw, double *e)
{
    double a[ARIMA_MAX_LAG + 1], b[ARIMA_MAX_LAG + 1], sse = 0.0;
    int na, nb;
    size_t start = nw - arima_effective(&mod->order, nw);
    arima_expand(mod, a, &na, b, &nb);
    for (size_t t = 0; t < start && t < nw; t++)
        e[t] = 0.0;
    if (na <= 3 && nb <= 3 && start >= 3)
        return arima_residuals_short(a, b, mod->mu, w, nw, start, e);
    for (size_t t = start; t < nw; t++) {
        double v = w[t] - mod->mu;
        for (int i = 1; i <= na; i++)
            v -= a[i] * (w[t - (size_t)i] - mod->mu);
        for (int j = 1; j <= nb && (size_t)j <= t; j++)
            v -= b[j] * e[t - (size_t)j];
        e[t] = v;
        sse += v * v;
    }
    return sse;
}

/* Residual function for the least-squares search: the conditional
 * residuals after the conditioning values. */
static int arima_resid_fn(const double *x, double *r, void *arg)
{
    struct arima_css *c = arg;
    size_t ne = arima_effective(&c->mod.order, c->nw);
    arima_unpack(&c->mod, x);
    arima_residuals(&c->mod, c->w, c->nw, c->e);
    memcpy(r, c->e + (c->nw - ne), ne * sizeof *r);
    return 0;
}

/* Number of coefficients searched (without sigma). */
static int arima_ncoef(const struct forecast_arima_order *o)
{
    return o->p + o->q + o->P + o->Q + (o->constant ? 1 : 0);
}

/* Searches the coefficients of c->mod.order by Levenberg-Marquardt on
 * the conditional residuals; fills sigma2 and aicc. Returns 0, -1 when too
 * few observations remain, or FORECAST_E_NOMEM. */
static int arima_estimate(struct arima_css *c, const double *start)
{
    double x[FORECAST_OPTIM_MAX_DIM] = {0}, lo[FORECAST_OPTIM_MAX_DIM];
    double hi[FORECAST_OPTIM_MAX_DIM], sse;
    const struct forecast_arima_order *o = &c->mod.order;
    int dim = arima_ncoef(o), rc;
    size_t ne = arima_effective(o, c->nw);
    double k = dim + 1.0;
    if ((double)ne - k - 1.0 < 3.0)
        return -1;
    for (int i = 0; i < dim; i++) {
        lo[i] = -4.0; /* tanh(4) = 0.9993: near the unit circle */
        hi[i] = 4.0;
    }
    if (o->constant) {
        x[dim - 1] = forecast_stats_mean(c->w, c->nw);
        lo[dim - 1] = -HUGE_VAL;
        hi[dim - 1] = HUGE_VAL;
    }
    if (start != NULL)
        memcpy(x, start, (size_t)dim * sizeof *x);
    if (dim > 0) {
        struct forecast_optim_lsq prob = {arima_resid_fn, c, dim, ne, lo, hi,
                                          ARIMA_MAX_ITER, 1e-6};
        rc = forecast_optim_least_squares(&prob, x, &sse);
        if (rc < 0)
            return rc == FORECAST_E_NOMEM ? rc : -1;
    }
    arima_unpack(&c->mod, x);
    memcpy(c->mod.raw, x, (size_t)dim * sizeof *x);
    sse = arima_residuals(&c->mod, c->w, c->nw, c->e);
    if (!isfinite(sse))
        return -1;
    c->mod.sigma2 = fmax(sse, 1e-300) / (double)ne;
    c->mod.aicc = (double)ne * log(c->mod.sigma2) + 2.0 * k +
                  2.0 * k * (k + 1.0) / ((double)ne - k - 1.0);
    return 0;
}

/* Fits order to y, searching from start (NULL: zeros and the mean). */
static int arima_fit_from(const double *y, size_t n,
                          const struct forecast_arima_order *order,
                          const double *start,
                          struct forecast_arima_model *out)
{
    struct arima_css c;
    double *buf;
    int rc = -1;
    if (order->m < 1 || order->m > FORECAST_ARIMA_MAX_PERIOD)
        return -1;
    buf = malloc(2 * n * sizeof *buf);
    if (buf == NULL)
        return FORECAST_E_NOMEM;
    memset(&c, 0, sizeof c);
    c.mod.order = *order;
    c.w = buf;
    c.e = buf + n;
    c.nw = arima_difference(y, n, order->d, order->D, order->m, buf);
    if (c.nw > 0)
        rc = arima_estimate(&c, start);
    if (rc == 0)
        *out = c.mod;
    free(buf);
    return rc;
}

int forecast_arima_fit(const double *y, size_t n,
                       const struct forecast_arima_order *order,
                       struct forecast_arima_model *out)
{
    return arima_fit_from(y, n, order, NULL, out);
}

int forecast_arima_refit(const double *y, size_t n,
                         const struct forecast_arima_model *start,
                         struct forecast_arima_model *out)
{
    return arima_fit_from(y, n, &start->order, start->raw, out);
}

/* ---- stepwise order search ---------------------------------------------- */

/* The search's memory: orders already fitted and the best so far. */
struct arima_search {
    const double *y;
    size_t n;
    int pq_max;
    struct forecast_arima_order tried[ARIMA_MAX_MODELS];
    int ntried;
    struct forecast_arima_model best;
    bool found;
    int nomem;
};

static bool arima_same(const struct forecast_arima_order *a,
                       const struct forecast_arima_order *b)
{
    return a->p == b->p && a->q == b->q && a->P == b->P && a->Q == b->Q &&
           a->constant == b->constant;
}

/* Fits order o unless seen or out of bounds; returns true when it became
 * the best model. */
static bool arima_try(struct arima_search *s, struct forecast_arima_order o,
                      bool seasonal)
{
    struct forecast_arima_model mod;
    int rc;
    if (o.p < 0 || o.q < 0 || o.P < 0 || o.Q < 0 ||
        o.p > s->pq_max || o.q > s->pq_max ||
        o.P > (seasonal ? 1 : 0) || o.Q > (seasonal ? 1 : 0) ||
        (o.constant && o.d + o.D > 1) || s->ntried == ARIMA_MAX_MODELS)
        return false;
    for (int i = 0; i < s->ntried; i++)
        if (arima_same(&s->tried[i], &o))
            return false;
    s->tried[s->ntried++] = o;
    rc = forecast_arima_fit(s->y, s->n, &o, &mod);
    if (rc == FORECAST_E_NOMEM)
        s->nomem = 1;
    if (rc != 0 || (s->found && !(mod.aicc < s->best.aicc)))
        return false;
    s->best = mod;
    s->found = true;
    return true;
}

/* Tries every neighbour of the best order (p, q, P, Q one up or down,
 * p and q or P and Q together, the constant toggled); returns true when
 * one of them became the best. */
static bool arima_neighbours(struct arima_search *s, bool seasonal)
{
    static const int moves[][5] = {
        {1, 0, 0, 0, 0},  {-1, 0, 0, 0, 0}, {0, 1, 0, 0, 0},
        {0, -1, 0, 0, 0}, {1, 1, 0, 0, 0},  {-1, -1, 0, 0, 0},
        {0, 0, 1, 0, 0},  {0, 0, -1, 0, 0}, {0, 0, 0, 1, 0},
        {0, 0, 0, -1, 0}, {0, 0, 1, 1, 0},  {0, 0, -1, -1, 0},
        {0, 0, 0, 0, 1}};
    struct forecast_arima_order base = s->best.order, o;
    bool improved = false;
    for (size_t k = 0; k < sizeof moves / sizeof *moves; k++) {
        o = base;
        o.p += moves[k][0];
        o.q += moves[k][1];
        o.P += moves[k][2];
        o.Q += moves[k][3];
        if (moves[k][4])
            o.constant = !o.constant;
        improved |= arima_try(s, o, seasonal);
    }
    return improved;
}

/*
 * Sets the differences of the search's base order: D from the seasonal
 * strength, then d from KPSS on the seasonally differenced series; also
 * the search bounds and the common conditioning length. Returns 0 or
 * FORECAST_E_NOMEM.
 */
static int arima_base_order(struct arima_search *s, int m, bool seasonal,
                            struct forecast_arima_order *o)
{
    double *w = malloc(s->n * sizeof *w);
    size_t nw;
    if (w == NULL)
        return FORECAST_E_NOMEM;
    *o = (struct forecast_arima_order){.m = seasonal ? m : 1};
    o->D = forecast_arima_nsdiffs(s->y, s->n, m);
    nw = arima_difference(s->y, s->n, 0, o->D, o->m, w);
    o->d = nw > 0 ? forecast_arima_ndiffs(w, nw) : 0;
    free(w);
    o->constant = o->d + o->D <= 1;
    s->pq_max = nw >= (size_t)(30 + o->m) ? FORECAST_ARIMA_MAX_PQ : 1;
    o->cond = s->pq_max + (seasonal ? o->m : 0);
    return 0;
}

/* Fits Hyndman & Khandakar's four starting orders (p,q)(P,Q) = (2,2)(1,1),
 * (0,0)(0,0), (1,0)(1,0), (0,1)(0,1), capped by the search bounds. */
static void arima_starts(struct arima_search *s,
                         const struct forecast_arima_order *base,
                         bool seasonal)
{
    static const int starts[4][4] = {
        {2, 2, 1, 1}, {0, 0, 0, 0}, {1, 0, 1, 0}, {0, 1, 0, 1}};
    for (int k = 0; k < 4; k++) {
        struct forecast_arima_order o = *base;
        o.p = starts[k][0] < s->pq_max ? starts[k][0] : s->pq_max;
        o.q = starts[k][1] < s->pq_max ? starts[k][1] : s->pq_max;
        o.P = seasonal ? starts[k][2] : 0;
        o.Q = seasonal ? starts[k][3] : 0;
        arima_try(s, o, seasonal);
    }
}

int forecast_arima_auto(const double *y, size_t n, int m,
                        struct forecast_arima_model *out)
{
    struct arima_search *s = calloc(1, sizeof *s);
    struct forecast_arima_order base;
    bool seasonal = m >= 2 && m <= FORECAST_ARIMA_MAX_PERIOD &&
                    n >= 3 * (size_t)m;
    int rc = FORECAST_E_NOMEM;
    if (s == NULL)
        return FORECAST_E_NOMEM;
    s->y = y;
    s->n = n;
    if (arima_base_order(s, m, seasonal, &base) != 0)
        goto fail;
    arima_starts(s, &base, seasonal);
    while (s->found && arima_neighbours(s, seasonal))
        ;
    rc = s->nomem ? FORECAST_E_NOMEM : s->found ? 0 : -1;
    if (rc == 0)
        *out = s->best;
fail:
    free(s);
    return rc;
}

/* ---- forecasting -------------------------------------------------------- */

/* Residuals of the fitted model aligned with y (0 where undefined) into
 * ey[0..n-1]; scratch holds 2n values. */
static void arima_y_residuals(const struct forecast_arima_model *mod,
                              const double *y, size_t n, double *ey,
                              double *scratch)
{
    const struct forecast_arima_order *o = &mod->order;
    size_t lag = (size_t)(o->d + o->m * o->D);
    size_t nw = arima_difference(y, n, o->d, o->D, o->m, scratch);
    memset(ey, 0, n * sizeof *ey);
    if (nw == 0)
        return;
    arima_residuals(mod, scratch, nw, scratch + n);
    for (size_t t = 0; t < nw; t++)
        ey[t + lag] = scratch[n + t];
}

int forecast_arima_forecast(const struct forecast_arima_model *mod,
                            const double *y, size_t n, bool points_only,
                            struct forecast_output *o)
{
    double a[ARIMA_MAX_LAG + 1], b[ARIMA_MAX_LAG + 1];
    double A[ARIMA_MAX_LAG + ARIMA_MAX_DIFF + 1], c, sum_a = 0.0, acc = 0.0;
    size_t H = (size_t)o->horizon;
    double *buf = malloc((4 * n + 3 * H) * sizeof *buf);
    double *ext, *ee, *psi;
    int na, nb, nA;
    if (buf == NULL)
        return FORECAST_E_NOMEM;
    ext = buf;               /* y then forecasts: n + H */
    ee = buf + n + H;        /* residuals, future ones 0: n + H */
    psi = buf + 2 * (n + H); /* psi weights: H (+ scratch 2n beyond) */
    arima_expand(mod, a, &na, b, &nb);
    arima_full_ar(mod, a, na, A, &nA);
    for (int i = 1; i <= na; i++)
        sum_a += a[i];
    c = mod->mu * (1.0 - sum_a);
    memcpy(ext, y, n * sizeof *ext);
    arima_y_residuals(mod, y, n, ee, psi + H);
    for (size_t h = 0; h < H; h++) {
        size_t t = n + h;
        double v = c;
        for (int i = 1; i <= nA && (size_t)i <= t; i++)
            v += A[i] * ext[t - (size_t)i];
        for (int j = 1; j <= nb && (size_t)j <= t; j++)
            v += b[j] * ee[t - (size_t)j];
        ext[t] = v;
        ee[t] = 0.0;
        o->point[h] = v;
    }
    for (size_t h = 0; h < H && !points_only; h++) {
        double p = h <= (size_t)nb ? (h == 0 ? 1.0 : b[h]) : 0.0;
        for (int i = 1; i <= nA && (size_t)i <= h; i++)
            p += A[i] * psi[h - (size_t)i];
        psi[h] = p;
        acc += p * p;
        ext[h] = sqrt(mod->sigma2 * acc); /* ext reused for the sds */
    }
    if (!points_only)
        forecast_output_normal(o, ext);
    free(buf);
    return 0;
}

void forecast_arima_label(const struct forecast_arima_order *order, char *buf,
                          size_t size)
{
    const struct forecast_arima_order *o = order;
    if (o->P || o->D || o->Q)
        snprintf(buf, size, "ARIMA(%d,%d,%d)(%d,%d,%d)[%d]%s", o->p, o->d,
                 o->q, o->P, o->D, o->Q, o->m, o->constant ? " const" : "");
    else
        snprintf(buf, size, "ARIMA(%d,%d,%d)%s", o->p, o->d, o->q,
                 o->constant ? " const" : "");
}
