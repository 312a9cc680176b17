/*
 * lib/forecast/optim.c: Nelder-Mead simplex (standard coefficients:
 * reflection 1, expansion 2, contraction 0.5, shrink 0.5) and
 * Levenberg-Marquardt (forward-difference Jacobian, multiplicative damping
 * updates), both with projection onto box bounds. See forecast_optim.h for
 * the contract.
 */
#include "lib/forecast/optim.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/linalg.h"
#include "lib/forecast/types.h"

_Static_assert(FORECAST_OPTIM_MAX_DIM <= FORECAST_LINALG_MAX_DIM,
               "linalg solves the Levenberg-Marquardt steps");

enum { OPTIM_MAX_POINTS = FORECAST_OPTIM_MAX_DIM + 1 };

struct optim_state {
    const struct forecast_optim_problem *p;
    double pts[OPTIM_MAX_POINTS][FORECAST_OPTIM_MAX_DIM];
    double val[OPTIM_MAX_POINTS];
    int evals;
};

/* Projects x onto the box and evaluates the objective there. */
static double optim_eval(struct optim_state *st, double *x)
{
    const struct forecast_optim_problem *p = st->p;
    double v;
    for (int i = 0; i < p->dim; i++) {
        if (x[i] < p->lower[i])
            x[i] = p->lower[i];
        if (x[i] > p->upper[i])
            x[i] = p->upper[i];
    }
    st->evals++;
    v = p->fn(x, p->ctx);
    return isnan(v) ? HUGE_VAL : v;
}

/* Orders the simplex so val[0] is the best and val[dim] the worst
 * (insertion sort: the simplex is tiny and nearly sorted each round). */
static void optim_sort(struct optim_state *st)
{
    int n = st->p->dim + 1;
    for (int i = 1; i < n; i++) {
        double v = st->val[i], pt[FORECAST_OPTIM_MAX_DIM];
        int j = i - 1;
        memcpy(pt, st->pts[i], sizeof pt);
        while (j >= 0 && st->val[j] > v) {
            st->val[j + 1] = st->val[j];
            memcpy(st->pts[j + 1], st->pts[j], sizeof pt);
            j--;
        }
        st->val[j + 1] = v;
        memcpy(st->pts[j + 1], pt, sizeof pt);
    }
}

/* Writes centroid + coef * (centroid - worst) to out and evaluates it. */
static double optim_along(struct optim_state *st, const double *centroid,
                          double coef, double *out)
{
    int d = st->p->dim;
    for (int i = 0; i < d; i++)
        out[i] = centroid[i] + coef * (centroid[i] - st->pts[d][i]);
    return optim_eval(st, out);
}

/* Shrinks every vertex halfway towards the best one. */
static void optim_shrink(struct optim_state *st)
{
    int d = st->p->dim;
    for (int k = 1; k <= d; k++) {
        for (int i = 0; i < d; i++)
            st->pts[k][i] = st->pts[0][i] + 0.5 * (st->pts[k][i] - st->pts[0][i]);
        st->val[k] = optim_eval(st, st->pts[k]);
    }
}

/* Replaces the worst vertex by (pt, v). */
static void optim_replace_worst(struct optim_state *st, const double *pt,
                                double v)
{
    int d = st->p->dim;
    memcpy(st->pts[d], pt, sizeof st->pts[d]);
    st->val[d] = v;
}

/* One Nelder-Mead iteration on a sorted simplex. */
static void optim_step(struct optim_state *st)
{
    int d = st->p->dim;
    double c[FORECAST_OPTIM_MAX_DIM] = {0}, r[FORECAST_OPTIM_MAX_DIM];
    double e[FORECAST_OPTIM_MAX_DIM], fr, fe, fc;
    for (int k = 0; k < d; k++)
        for (int i = 0; i < d; i++)
            c[i] += st->pts[k][i] / d;
    fr = optim_along(st, c, 1.0, r);
    if (fr < st->val[0]) {
        fe = optim_along(st, c, 2.0, e);
        if (fe < fr)
            optim_replace_worst(st, e, fe);
        else
            optim_replace_worst(st, r, fr);
    } else if (fr < st->val[d - 1]) {
        optim_replace_worst(st, r, fr);
    } else {
        int outside = fr < st->val[d];
        fc = optim_along(st, c, outside ? 0.5 : -0.5, e);
        if (fc < (outside ? fr : st->val[d]))
            optim_replace_worst(st, e, fc);
        else
            optim_shrink(st);
    }
    optim_sort(st);
}

int forecast_optim_minimize(const struct forecast_optim_problem *p, double *x,
                            double *fmin)
{
    struct optim_state st;
    int d = p->dim;
    if (d < 1 || d > FORECAST_OPTIM_MAX_DIM)
        return -1;
    memset(&st, 0, sizeof st);
    st.p = p;
    for (int k = 0; k <= d; k++) {
        memcpy(st.pts[k], x, (size_t)d * sizeof *x);
        if (k > 0) {
            double *v = &st.pts[k][k - 1];
            /* step away from the nearer bound so the vertex stays distinct */
            *v += (*v + p->step[k - 1] > p->upper[k - 1]) ? -p->step[k - 1]
                                                           : p->step[k - 1];
        }
        st.val[k] = optim_eval(&st, st.pts[k]);
    }
    optim_sort(&st);
    while (st.evals < p->max_evals &&
           !(fabs(st.val[d] - st.val[0]) <= p->tol))
        optim_step(&st);
    memcpy(x, st.pts[0], (size_t)d * sizeof *x);
    *fmin = st.val[0];
    return st.evals;
}

/* ---- Levenberg-Marquardt ------------------------------------------------ */

/* Scratch of one least-squares run: residuals at x, at a trial point, and
 * the Jacobian (column-major, nres x dim). */
struct lsq_state {
    const struct forecast_optim_lsq *p;
    double *r, *rt, *jac;
    double sse;
    int evals;
};

static double lsq_sum_squares(const double *r, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += r[i] * r[i];
    return s;
}

/* Evaluates the residuals at x (projected into the box) into r; returns
 * their sum of squares or HUGE_VAL when inadmissible. */
static double lsq_eval(struct lsq_state *st, double *x, double *r)
{
    const struct forecast_optim_lsq *p = st->p;
    double s;
    for (int i = 0; i < p->dim; i++)
        x[i] = fmin(fmax(x[i], p->lower[i]), p->upper[i]);
    st->evals++;
    if (p->fn(x, r, p->ctx) != 0)
        return HUGE_VAL;
    s = lsq_sum_squares(r, p->nres);
    return isfinite(s) ? s : HUGE_VAL;
}

/* Forward-difference Jacobian at x into st->jac. Returns 0 or -1. */
static int lsq_jacobian(struct lsq_state *st, const double *x)
{
    const struct forecast_optim_lsq *p = st->p;
    double xh[FORECAST_OPTIM_MAX_DIM];
    for (int j = 0; j < p->dim; j++) {
        double h = 1e-6 * fmax(1.0, fabs(x[j]));
        double *col = st->jac + (size_t)j * p->nres;
        memcpy(xh, x, (size_t)p->dim * sizeof *xh);
        if (x[j] + h > p->upper[j])
            h = -h;
        xh[j] = x[j] + h;
        if (!isfinite(lsq_eval(st, xh, col)))
            return -1;
        h = xh[j] - x[j];
        if (h == 0.0)
            return -1;
        for (size_t i = 0; i < p->nres; i++)
            col[i] = (col[i] - st->r[i]) / h;
    }
    return 0;
}

/* Solves (A + lambda diag(A)) delta = -g; A is dim x dim row-major.
 * Returns 0 or -1. */
static int lsq_solve(const double *a, const double *g, int dim, double lambda,
                     double *delta)
{
    double shift[FORECAST_OPTIM_MAX_DIM], rhs[FORECAST_OPTIM_MAX_DIM];
    for (int i = 0; i < dim; i++) {
        shift[i] = lambda * a[i * dim + i] + 1e-12;
        rhs[i] = -g[i];
    }
    return forecast_linalg_solve_spd(a, (size_t)dim, dim, shift, rhs, delta);
}

/* Normal equations J'J (row-major) and J'r. */
static void lsq_normal(const struct lsq_state *st, double *a, double *g)
{
    int d = st->p->dim;
    size_t n = st->p->nres;
    for (int i = 0; i < d; i++) {
        const double *ci = st->jac + (size_t)i * n;
        g[i] = 0.0;
        for (size_t k = 0; k < n; k++)
            g[i] += ci[k] * st->r[k];
        for (int j = 0; j <= i; j++) {
            const double *cj = st->jac + (size_t)j * n;
            double s = 0.0;
            for (size_t k = 0; k < n; k++)
                s += ci[k] * cj[k];
            a[i * d + j] = a[j * d + i] = s;
        }
    }
}

/* One damped step from x: raises lambda until the sum of squares falls.
 * Returns true when x moved. */
static bool lsq_step(struct lsq_state *st, double *x, double *lambda)
{
    const struct forecast_optim_lsq *p = st->p;
    double a[FORECAST_OPTIM_MAX_DIM * FORECAST_OPTIM_MAX_DIM];
    double g[FORECAST_OPTIM_MAX_DIM], delta[FORECAST_OPTIM_MAX_DIM];
    double xt[FORECAST_OPTIM_MAX_DIM];
    lsq_normal(st, a, g);
    for (int tries = 0; tries < 12; tries++, *lambda *= 4.0) {
        double s;
        if (lsq_solve(a, g, p->dim, *lambda, delta) != 0)
            continue;
        for (int i = 0; i < p->dim; i++)
            xt[i] = x[i] + delta[i];
        s = lsq_eval(st, xt, st->rt);
        if (s < st->sse) {
            double *tmp = st->r;
            memcpy(x, xt, (size_t)p->dim * sizeof *x);
            st->r = st->rt;
            st->rt = tmp;
            st->sse = s;
            *lambda = fmax(*lambda / 3.0, 1e-9);
            return true;
        }
    }
    return false;
}

int forecast_optim_least_squares(const struct forecast_optim_lsq *p,
                                 double *x, double *sse)
{
    struct lsq_state st = {.p = p};
    double *buf, lambda = 1e-3;
    int rc = -1;
    if (p->dim < 1 || p->dim > FORECAST_OPTIM_MAX_DIM || p->nres == 0)
        return -1;
    buf = malloc(p->nres * (size_t)(p->dim + 2) * sizeof *buf);
    if (buf == NULL)
        return FORECAST_E_NOMEM;
    st.r = buf;
    st.rt = buf + p->nres;
    st.jac = buf + 2 * p->nres;
    st.sse = lsq_eval(&st, x, st.r);
    if (!isfinite(st.sse))
        goto fail;
    for (int it = 0; it < p->max_iter; it++) {
        double before = st.sse;
        if (lsq_jacobian(&st, x) != 0 || !lsq_step(&st, x, &lambda))
            break;
        if (before - st.sse <= p->rel_tol * before)
            break;
    }
    *sse = st.sse;
    rc = st.evals;
fail:
    free(buf);
    return rc;
}
