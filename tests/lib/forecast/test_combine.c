/*
 * tests/lib/forecast/test_combine.c: how forecasts are combined, checked
 * against values worked out by hand: the weighted mean of outputs
 * (forecast_output_combine), their pointwise median (forecast_output_median),
 * a widened interval (forecast_output_widen) and `auto` on weekly data,
 * which is the median of the ETS, Theta and seasonal naive forecasts the
 * same request gives one method at a time, its 95 % interval widened.
 */
#include "tests/test.h"

#include <math.h>
#include <string.h>

#include "lib/forecast/forecast.h"
#include "lib/forecast/output.h"

static const double levels[FORECAST_NLEVELS] = {80.0, 95.0};

/* Fills output o (horizon 2) with point p[h] and bounds p -+ w, p -+ 2w. */
static void fill(struct forecast_output *o, const double *p, double w)
{
    for (int h = 0; h < 2; h++) {
        o->point[h] = p[h];
        o->lo[0][h] = p[h] - w;
        o->hi[0][h] = p[h] + w;
        o->lo[1][h] = p[h] - 2 * w;
        o->hi[1][h] = p[h] + 2 * w;
    }
}

TEST(weighted_mean_of_outputs_by_hand)
{
    /* weights 0.25 / 0.75 / 0 (third not read): point at h 1 =
     * 0.25 * 10 + 0.75 * 20 = 17.5; lo80 = 0.25 * 9 + 0.75 * 17 = 15;
     * hi95 at h 2 = 0.25 * (12 + 2) + 0.75 * (22 + 6) = 3.5 + 21 = 24.5 */
    struct forecast_output src[3], dst;
    double p0[2] = {10, 12}, p1[2] = {20, 22}, w[3] = {0.25, 0.75, 0};
    for (int i = 0; i < 2; i++)
        CHECK_INT(forecast_output_init(&src[i], 2, levels), 0);
    memset(&src[2], 0, sizeof src[2]);
    CHECK_INT(forecast_output_init(&dst, 2, levels), 0);
    fill(&src[0], p0, 1);
    fill(&src[1], p1, 3);
    forecast_output_combine(&dst, src, w, 3);
    CHECK_NEAR(dst.point[0], 17.5, 1e-12);
    CHECK_NEAR(dst.lo[0][0], 15, 1e-12);
    CHECK_NEAR(dst.hi[1][1], 24.5, 1e-12);
    for (int i = 0; i < 2; i++)
        forecast_output_dispose(&src[i]);
    forecast_output_dispose(&dst);
}

TEST(median_of_three_outputs_by_hand)
{
    /* points 10 / 30 / 14 at h 1: median 14; at h 2 (11, 5, 40): 11.
     * Bounds are medians of their own: lo80 at h 1 of (9, 25, 12) = 12,
     * hi80 of (11, 35, 16) = 16, hi95 of (12, 40, 18) = 18; at h 2
     * lo95 of (9, -5, 36) = 9, hi95 of (13, 15, 44) = 15. The median
     * interval need not be any member's: [12, 16] at 80 %. */
    struct forecast_output src[3], dst;
    double p[3][2] = {{10, 11}, {30, 5}, {14, 40}}, w[3] = {1, 5, 2};
    bool use[3] = {true, true, true};
    for (int i = 0; i < 3; i++) {
        CHECK_INT(forecast_output_init(&src[i], 2, levels), 0);
        fill(&src[i], p[i], w[i]);
    }
    CHECK_INT(forecast_output_init(&dst, 2, levels), 0);
    forecast_output_median(&dst, src, use, 3);
    CHECK_NEAR(dst.point[0], 14, 0);
    CHECK_NEAR(dst.point[1], 11, 0);
    CHECK_NEAR(dst.lo[0][0], 12, 0);
    CHECK_NEAR(dst.hi[0][0], 16, 0);
    CHECK_NEAR(dst.hi[1][0], 18, 0);
    CHECK_NEAR(dst.lo[1][1], 9, 0);
    CHECK_NEAR(dst.hi[1][1], 15, 0);
    for (int i = 0; i < 3; i++)
        forecast_output_dispose(&src[i]);
    forecast_output_dispose(&dst);
}

TEST(median_of_an_even_count_is_the_middle_mean)
{
    /* the third output is left out: points (10, 30) -> 20 and (11, 5) -> 8;
     * hi95 at h 1: (12, 40) -> 26; a single output is copied */
    struct forecast_output src[3], dst;
    double p[3][2] = {{10, 11}, {30, 5}, {14, 40}}, w[3] = {1, 5, 2};
    bool use[3] = {true, true, false}, one[3] = {false, false, true};
    for (int i = 0; i < 3; i++) {
        CHECK_INT(forecast_output_init(&src[i], 2, levels), 0);
        fill(&src[i], p[i], w[i]);
    }
    CHECK_INT(forecast_output_init(&dst, 2, levels), 0);
    forecast_output_median(&dst, src, use, 3);
    CHECK_NEAR(dst.point[0], 20, 0);
    CHECK_NEAR(dst.point[1], 8, 0);
    CHECK_NEAR(dst.hi[1][0], 26, 0);
    forecast_output_median(&dst, src, one, 3);
    CHECK_NEAR(dst.point[1], 40, 0);
    CHECK_NEAR(dst.lo[0][0], 12, 0);
    for (int i = 0; i < 3; i++)
        forecast_output_dispose(&src[i]);
    forecast_output_dispose(&dst);
}

TEST(widened_interval_by_hand)
{
    /* factor 1.1 on the 95 % interval: at h 1 point 10, bounds 8 and 12
     * -> 7.8 and 12.2; at h 2 point 12, lower bound set to 1 (distance 11
     * -> 12.1, below zero) stops at 0, upper 14 -> 14.2; the 80 % bounds
     * stay */
    struct forecast_output o;
    double p[2] = {10, 12};
    CHECK_INT(forecast_output_init(&o, 2, levels), 0);
    fill(&o, p, 1);
    o.lo[1][1] = 1;
    forecast_output_widen(&o, 1, 1.1);
    CHECK_NEAR(o.lo[1][0], 7.8, 1e-12);
    CHECK_NEAR(o.hi[1][0], 12.2, 1e-12);
    CHECK_NEAR(o.lo[1][1], 0, 0);
    CHECK_NEAR(o.hi[1][1], 14.2, 1e-12);
    CHECK_NEAR(o.lo[0][0], 9, 0);
    CHECK_NEAR(o.hi[0][1], 13, 0);
    forecast_output_dispose(&o);
}

/* Runs one method on y (period 52, horizon 13); the caller frees. */
static struct forecast_result *weekly(const double *y, size_t n,
                                      enum forecast_method method)
{
    struct forecast_request req = {.values = y, .n = n, .period = 52,
                                   .horizon = 13, .method = method};
    struct forecast_result *res = NULL;
    return forecast_run(&req, &res) == 0 ? res : NULL;
}

static double median3(double a, double b, double c)
{
    return fmax(fmin(a, b), fmin(fmax(a, b), c));
}

/* The 95 % bound of auto: the median's distance from the point, x 1.1. */
static double widened(double point, double bound)
{
    return fmax(0.0, point + 1.1 * (bound - point));
}

TEST(weekly_auto_is_the_median_of_ets_theta_and_seasonal_naive)
{
    /* two years of a weekly cycle with noise: every point and 80 % bound
     * of auto is the median of the three methods' own, step by step; the
     * 95 % bounds are the medians widened 1.1 times around the point */
    double y[104];
    for (int t = 0; t < 104; t++)
        y[t] = 100 + 30 * sin(2 * M_PI * t / 52) + (t * 37 % 11) - 5;
    struct forecast_result *a = weekly(y, 104, FORECAST_AUTO);
    struct forecast_result *m[3] = {weekly(y, 104, FORECAST_ETS),
                                    weekly(y, 104, FORECAST_THETA),
                                    weekly(y, 104, FORECAST_SNAIVE)};
    CHECK(a != NULL && m[0] != NULL && m[1] != NULL && m[2] != NULL);
    CHECK(strncmp(forecast_result_model(a), "median(", 7) == 0);
    for (int h = 0; h < 13; h++) {
        CHECK_NEAR(forecast_result_point(a)[h],
                   median3(forecast_result_point(m[0])[h],
                           forecast_result_point(m[1])[h],
                           forecast_result_point(m[2])[h]), 1e-9);
        double p = forecast_result_point(a)[h], lo[2], hi[2];
        for (int l = 0; l < FORECAST_NLEVELS; l++) {
            lo[l] = median3(forecast_result_lower(m[0], l)[h],
                            forecast_result_lower(m[1], l)[h],
                            forecast_result_lower(m[2], l)[h]);
            hi[l] = median3(forecast_result_upper(m[0], l)[h],
                            forecast_result_upper(m[1], l)[h],
                            forecast_result_upper(m[2], l)[h]);
        }
        CHECK_NEAR(forecast_result_lower(a, 0)[h], lo[0], 1e-9);
        CHECK_NEAR(forecast_result_upper(a, 0)[h], hi[0], 1e-9);
        CHECK_NEAR(forecast_result_lower(a, 1)[h], widened(p, lo[1]), 1e-9);
        CHECK_NEAR(forecast_result_upper(a, 1)[h], widened(p, hi[1]), 1e-9);
    }
    forecast_result_free(a);
    for (int i = 0; i < 3; i++)
        forecast_result_free(m[i]);
}
