/*
 * lib/forecast/optim.h: minimisation within box bounds for fitting model
 * parameters: a derivative-free Nelder-Mead simplex for likelihoods, and
 * Levenberg-Marquardt for sums of squares (residual vectors), which
 * converges in far fewer evaluations when residuals are smooth.
 *
 * Invariants: dimension at most FORECAST_OPTIM_MAX_DIM. Nelder-Mead keeps
 * its simplex on the stack and allocates nothing; Levenberg-Marquardt
 * allocates its residual and Jacobian buffers and frees them before
 * returning. Both are thread-safe as long as the objective is. Every point
 * handed to an objective lies inside [lower, upper] (projected, never
 * evaluated outside).
 */
#ifndef SENTIA_FORECAST_OPTIM_H
#define SENTIA_FORECAST_OPTIM_H

#include <stddef.h>

#define FORECAST_OPTIM_MAX_DIM 10

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

/* Residual function: writes nres residuals at x into r and returns 0, or
 * returns -1 when x is inadmissible. */
typedef int (*forecast_optim_residual_fn)(const double *x, double *r,
                                          void *ctx);

struct forecast_optim_lsq {
    forecast_optim_residual_fn fn;
    void *ctx;
    int dim;              /* 1..FORECAST_OPTIM_MAX_DIM */
    size_t nres;          /* number of residuals, > 0 */
    const double *lower;
    const double *upper;
    int max_iter;         /* Jacobian evaluations allowed */
    double rel_tol;       /* stop when the sum of squares improves less */
};

/*
 * Minimises the sum of squared residuals from x (inside the box) by
 * Levenberg-Marquardt with a forward-difference Jacobian. On return x
 * holds the best point and *sse its sum of squares. Returns the number of
 * residual evaluations (> 0), -1 for a bad dimension or an inadmissible
 * start, or FORECAST_E_NOMEM.
 */
int forecast_optim_least_squares(const struct forecast_optim_lsq *p,
                                 double *x, double *sse);

#endif
