/*
 * lib/forecast/linalg.h: the engine's one dense linear solve: a small
 * symmetric positive definite system by Cholesky factorisation, shared by
 * the least-squares initial states of ETS (ets_init.c) and the
 * Levenberg-Marquardt steps of the optimiser (optim.c).
 *
 * Invariants: at most FORECAST_LINALG_MAX_DIM unknowns; the factor lives on
 * the stack, nothing is allocated, nothing is kept between calls. The
 * arithmetic is fixed (row-wise factor, forward then back substitution), so
 * a fit gives bit-identical figures whichever caller solves.
 */
#ifndef SENTIA_FORECAST_LINALG_H
#define SENTIA_FORECAST_LINALG_H

#include <stddef.h>

/* Largest system: an ETS initial state of a seasonal model has a level, a
 * trend and period - 1 seasonals (FORECAST_ETS_MAX_PERIOD + 1 unknowns);
 * the optimiser's steps are far smaller. */
#define FORECAST_LINALG_MAX_DIM 32

/*
 * Solves (A + diag(shift)) x = b for x, n unknowns. Only the lower triangle
 * of A is read: element (i, j), j <= i, at a[i * stride + j]. shift[i] is
 * added to the diagonal (a ridge or a damping term the caller computes).
 * Returns 0, or -1 when n is out of range or the shifted matrix is not
 * positive definite (x is then unspecified).
 */
int forecast_linalg_solve_spd(const double *a, size_t stride, int n,
                              const double *shift, const double *b,
                              double *x);

#endif
