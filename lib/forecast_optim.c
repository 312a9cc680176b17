/*
 * lib/forecast_optim.c: Nelder-Mead simplex (standard coefficients:
 * reflection 1, expansion 2, contraction 0.5, shrink 0.5) with projection
 * onto box bounds. See forecast_optim.h for the contract.
 */
#include "lib/forecast_optim.h"

#include <math.h>
#include <string.h>

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
