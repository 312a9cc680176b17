/*
 * lib/forecast_optim.h: derivative-free minimisation (Nelder-Mead simplex)
 * within box bounds, for fitting model parameters by likelihood.
 *
 * Invariants: the simplex lives on the stack (dimension at most
 * FORECAST_OPTIM_MAX_DIM), so a call allocates nothing and is thread-safe as
 * long as the objective is. Every point handed to the objective lies inside
 * [lower, upper]; points are projected onto the box, never evaluated outside.
 */
#ifndef SENTIA_FORECAST_OPTIM_H
#define SENTIA_FORECAST_OPTIM_H

#define FORECAST_OPTIM_MAX_DIM 8

/* Objective: returns the value to minimise at x (may be HUGE_VAL for an
 * inadmissible point; never NaN). ctx is the caller's. */
typedef double (*forecast_optim_fn)(const double *x, void *ctx);

struct forecast_optim_problem {
    forecast_optim_fn fn;
    void *ctx;
    int dim;              /* 1..FORECAST_OPTIM_MAX_DIM */
    const double *lower;  /* dim bounds; -HUGE_VAL allowed */
    const double *upper;  /* dim bounds; HUGE_VAL allowed */
    const double *step;   /* dim initial simplex offsets, non-zero */
    int max_evals;        /* evaluation budget */
    double tol;           /* stop when the simplex's values span < tol */
};

/*
 * Minimises p->fn starting from x (dim values, inside the box). On return x
 * holds the best point found and *fmin its value. Returns the number of
 * evaluations used (> 0), or -1 if dim is out of range.
 */
int forecast_optim_minimize(const struct forecast_optim_problem *p, double *x,
                            double *fmin);

#endif
