/*
 * tests/lib/forecast/test_linalg.c: the engine's one linear solve
 * (forecast_linalg_solve_spd) on systems worked out by hand: a 2 x 2 and a
 * 3 x 3 read from the lower triangle with a row stride wider than the
 * system, the diagonal shift, and the refusals (not positive definite, size
 * out of range).
 */
#include "tests/test.h"

#include "lib/forecast/linalg.h"

TEST(solves_two_by_two_by_hand)
{
    /* [4 2; 2 3] x = [2; 5]: det 8, x = [(6 - 10) / 8, (20 - 4) / 8]. */
    const double a[4] = {4, 2, 2, 3}, zero[2] = {0, 0}, b[2] = {2, 5};
    double x[2];
    CHECK_INT(forecast_linalg_solve_spd(a, 2, 2, zero, b, x), 0);
    CHECK_NEAR(x[0], -0.5, 1e-12);
    CHECK_NEAR(x[1], 2.0, 1e-12);
}

TEST(reads_only_the_lower_triangle_with_a_stride)
{
    /* diag(2, 3, 4) plus a 1 in (2, 0), stored 4 wide; the upper triangle
     * holds garbage the solve must not read. x = [1, 1, 1] gives
     * b = [2 + 1, 3, 1 + 4]. */
    const double a[12] = {2, 99, 99, 0,
                          0, 3, 99, 0,
                          1, 0, 4, 0};
    const double zero[3] = {0, 0, 0}, b[3] = {3, 3, 5};
    double x[3];
    CHECK_INT(forecast_linalg_solve_spd(a, 4, 3, zero, b, x), 0);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(x[i], 1.0, 1e-12);
}

TEST(adds_the_shift_to_the_diagonal)
{
    /* [1 0; 0 1] + diag(1, 3) = diag(2, 4): b = [2, 4] gives [1, 1]. */
    const double a[4] = {1, 0, 0, 1}, shift[2] = {1, 3}, b[2] = {2, 4};
    double x[2];
    CHECK_INT(forecast_linalg_solve_spd(a, 2, 2, shift, b, x), 0);
    CHECK_NEAR(x[0], 1.0, 1e-15);
    CHECK_NEAR(x[1], 1.0, 1e-15);
}

TEST(refuses_what_is_not_positive_definite)
{
    /* [1 2; 2 1] has eigenvalues 3 and -1; a zero matrix has no factor. */
    const double a[4] = {1, 2, 2, 1}, z[4] = {0}, zero[2] = {0, 0};
    const double b[2] = {1, 1};
    double x[2];
    CHECK_INT(forecast_linalg_solve_spd(a, 2, 2, zero, b, x), -1);
    CHECK_INT(forecast_linalg_solve_spd(z, 2, 2, zero, b, x), -1);
}

TEST(refuses_sizes_out_of_range)
{
    const double a[1] = {1}, zero[1] = {0}, b[1] = {1};
    double x[1];
    CHECK_INT(forecast_linalg_solve_spd(a, 1, 0, zero, b, x), -1);
    CHECK_INT(forecast_linalg_solve_spd(a, 1, FORECAST_LINALG_MAX_DIM + 1,
                                        zero, b, x), -1);
}
