/*
 * lib/forecast/ets_init.c: least-squares initial states for the linear ETS
 * recursions (see lib/forecast/ets_init.h for the derivation).
 *
 * Sensitivities: with x_t = x0_t + D_t x0 the recursions give
 *   d_t   = D_l + phi D_b + D_s[phase]          (row of mu_t)
 *   D_l' = D_l + phi D_b - alpha d_t,  D_b' = phi D_b - beta d_t,
 *   D_s[phase]' = D_s[phase] - gamma d_t
 * (the same updates as the states themselves, with the residual replaced
 * by -d_t).
 */
#include "lib/forecast/ets_init.h"

#include <math.h>
#include <string.h>

#include "lib/forecast/linalg.h"

enum { INIT_MAX_K = FORECAST_ETS_MAX_PERIOD + 1 };
_Static_assert(INIT_MAX_K <= FORECAST_LINALG_MAX_DIM, "linalg solves the initial states");

/* The recursion being run: zero-start states, their sensitivities and the
 * accumulated normal equations. */
struct init_pass {
    int k;
    double l, b, s[FORECAST_ETS_MAX_PERIOD];
    double dl[INIT_MAX_K], db[INIT_MAX_K];
    double ds[FORECAST_ETS_MAX_PERIOD][INIT_MAX_K];
    double xtx[INIT_MAX_K][INIT_MAX_K], xte[INIT_MAX_K], ete;
};

/* Unknowns: l0, then b0 when trended, then m - 1 seasonals (the last one
 * follows from the others' sum). */
static int init_unknowns(const struct forecast_ets_model *mod, int *ib,
                         int *is)
{
    int k = 1;
    *ib = -1;
    *is = -1;
    if (mod->spec.trend != FORECAST_ETS_N)
        *ib = k++;
    if (mod->spec.season != FORECAST_ETS_N) {
        *is = k;
        k += mod->m - 1;
    }
    return k;
}

/* Sets the starting sensitivities: unit vectors, with the last seasonal
 * minus the sum of the others. Clears only the k-wide corner the pass
 * uses (the full struct is several kilobytes). */
static void init_start(struct init_pass *p, const struct forecast_ets_model *mod,
                       int k, int ib, int is)
{
    size_t row = (size_t)k * sizeof(double);
    p->k = k;
    p->l = p->b = p->ete = 0.0;
    memset(p->dl, 0, row);
    memset(p->db, 0, row);
    memset(p->xte, 0, row);
    for (int i = 0; i < k; i++)
        memset(p->xtx[i], 0, row);
    for (int j = 0; j < mod->m; j++) {
        p->s[j] = 0.0;
        memset(p->ds[j], 0, row);
    }
    p->dl[0] = 1.0;
    if (ib >= 0)
        p->db[ib] = 1.0;
    if (is < 0)
        return;
    for (int j = 0; j < mod->m - 1; j++) {
        p->ds[j][is + j] = 1.0;
        p->ds[mod->m - 1][is + j] = -1.0;
    }
}

/*
 * One observation: accumulate the normal equations, advance the states
 * and their sensitivities. Absent components cost nothing to carry: their
 * smoothing constant is 0 and their states and sensitivities stay 0 (the
 * single seasonal slot of a non-seasonal model, m = 1, is such a state).
 */
static void init_step(struct init_pass *p, const struct forecast_ets_model *mod,
                      size_t phase, double y)
{
    double d[INIT_MAX_K], phi = mod->phi, *ds = p->ds[phase];
    double q = p->l + phi * p->b, r = y - q - p->s[phase];
    int k = p->k;
    for (int i = 0; i < k; i++) {
        d[i] = p->dl[i] + phi * p->db[i] + ds[i];
        p->xte[i] += d[i] * r;
        for (int j = 0; j <= i; j++)
            p->xtx[i][j] += d[i] * d[j];
    }
    p->ete += r * r;
    p->l = q + mod->alpha * r;
    p->b = phi * p->b + mod->beta * r;
    p->s[phase] += mod->gamma * r;
    for (int i = 0; i < k; i++) {
        p->dl[i] += phi * p->db[i] - mod->alpha * d[i];
        p->db[i] = phi * p->db[i] - mod->beta * d[i];
        ds[i] -= mod->gamma * d[i];
    }
}

/* Solves xtx beta = xte (lower triangle filled) with a tiny ridge.
 * Returns 0 or -1 when not positive definite. */
static int init_solve(struct init_pass *p, double *beta)
{
    double shift[INIT_MAX_K], ridge = 0.0;
    int k = p->k;
    for (int i = 0; i < k; i++)
        ridge += p->xtx[i][i];
    ridge = 1e-10 * ridge / k + 1e-300;
    for (int i = 0; i < k; i++)
        shift[i] = ridge;
    return forecast_linalg_solve_spd(&p->xtx[0][0], INIT_MAX_K, k, shift,
                                     p->xte, beta);
}

/* Writes the solved unknowns into the model's initial states. */
static void init_store(struct forecast_ets_model *mod, const double *beta,
                       int ib, int is)
{
    double sum = 0.0;
    mod->init.l = beta[0];
    mod->init.b = ib >= 0 ? beta[ib] : 0.0;
    if (is < 0)
        return;
    for (int j = 0; j < mod->m - 1; j++) {
        mod->init.s[j] = beta[is + j];
        sum += beta[is + j];
    }
    mod->init.s[mod->m - 1] = -sum;
}

/*
 * Level only (k = 1): mu_t = mu0_t + d_t l0 with d_t = (1 - alpha)^t, all
 * in locals. Same algebra as init_step().
 */
static int init_solve_level(struct forecast_ets_model *mod, const double *y,
                            size_t n, double *sse)
{
    double l = 0.0, d = 1.0, keep = 1.0 - mod->alpha, al = mod->alpha;
    double a00 = 0.0, c0 = 0.0, ete = 0.0;
    for (size_t t = 0; t < n; t++) {
        double r = y[t] - l;
        a00 += d * d;
        c0 += d * r;
        ete += r * r;
        l += al * r;
        d *= keep;
    }
    if (!(a00 > 0.0))
        return -1;
    mod->init.l = c0 / a00;
    mod->init.b = 0.0;
    *sse = fmax(ete - mod->init.l * c0, 0.0);
    return 0;
}

/*
 * The trended non-seasonal case (k = 2) with every quantity in a local, so
 * the loop stays in registers: with init_solve_level() this is the hot
 * path of weekly, yearly and seasonally adjusted series. Same algebra as
 * init_step().
 */
static int init_solve_plain(struct forecast_ets_model *mod, const double *y,
                            size_t n, double *sse)
{
    double l = 0.0, b = 0.0, phi = mod->phi, al = mod->alpha, be = mod->beta;
    double dl0 = 1.0, dl1 = 0.0, db0 = 0.0, db1 = 1.0;
    double a00 = 0.0, a10 = 0.0, a11 = 0.0, c0 = 0.0, c1 = 0.0, ete = 0.0;
    double det;
    for (size_t t = 0; t < n; t++) {
        double q = l + phi * b, r = y[t] - q;
        double d0 = dl0 + phi * db0, d1 = dl1 + phi * db1;
        a00 += d0 * d0;
        a10 += d1 * d0;
        a11 += d1 * d1;
        c0 += d0 * r;
        c1 += d1 * r;
        ete += r * r;
        l = q + al * r;
        b = phi * b + be * r;
        dl0 += phi * db0 - al * d0;
        dl1 += phi * db1 - al * d1;
        db0 = phi * db0 - be * d0;
        db1 = phi * db1 - be * d1;
    }
    det = a00 * a11 - a10 * a10;
    if (!(det > 1e-12 * a00 * a11))
        return -1;
    mod->init.l = (a11 * c0 - a10 * c1) / det;
    mod->init.b = (a00 * c1 - a10 * c0) / det;
    *sse = fmax(ete - mod->init.l * c0 - mod->init.b * c1, 0.0);
    return 0;
}

int forecast_ets_init_solve(struct forecast_ets_model *mod, const double *y,
                            size_t n, double *sse)
{
    struct init_pass p;
    double beta[INIT_MAX_K], fit = 0.0;
    size_t m = (size_t)mod->m, phase = 0;
    int ib, is, k;
    if (mod->spec.season == FORECAST_ETS_M)
        return -1;
    if (mod->spec.season == FORECAST_ETS_N && mod->spec.trend == FORECAST_ETS_N)
        return init_solve_level(mod, y, n, sse);
    if (mod->spec.season == FORECAST_ETS_N)
        return init_solve_plain(mod, y, n, sse);
    k = init_unknowns(mod, &ib, &is);
    init_start(&p, mod, k, ib, is);
    for (size_t t = 0; t < n; t++) {
        init_step(&p, mod, phase, y[t]);
        if (++phase == m)
            phase = 0;
    }
    if (init_solve(&p, beta) != 0)
        return -1;
    for (int i = 0; i < p.k; i++)
        fit += beta[i] * p.xte[i];
    *sse = fmax(p.ete - fit, 0.0);
    init_store(mod, beta, ib, is);
    return 0;
}
