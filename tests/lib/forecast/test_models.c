/*
 * tests/lib/test_forecast_models.c: the forecasting building blocks checked
 * against values worked out by hand (recursions, likelihood, AICc,
 * interval formulas, Croston/SBA/TSB, Theta, decomposition, optimiser).
 * Each expected number is derived in the comment above its check, never
 * taken from the code's own earlier output.
 */
#include "tests/test.h"

#include <math.h>
#include <string.h>

#include "lib/forecast/internal.h"

static const double levels[FORECAST_NLEVELS] = {80.0, 95.0};

/* z values of the 80 % and 95 % central intervals. */
#define Z80 1.2815515655446004
#define Z95 1.959963984540054

static struct forecast_ets_model model(enum forecast_ets_kind e,
                                       enum forecast_ets_kind t,
                                       enum forecast_ets_kind s, int m)
{
    struct forecast_ets_model mod;
    memset(&mod, 0, sizeof mod);
    mod.spec = (struct forecast_ets_spec){e, t, s};
    mod.m = m;
    mod.phi = 1.0;
    return mod;
}

/* ---- statistics helpers ------------------------------------------------- */

TEST(qnorm_matches_tables)
{
    CHECK_NEAR(forecast_stats_qnorm(0.5), 0.0, 1e-12);
    CHECK_NEAR(forecast_stats_qnorm(0.975), Z95, 1e-9);
    CHECK_NEAR(forecast_stats_qnorm(0.9), Z80, 1e-9);
    CHECK_NEAR(forecast_stats_qnorm(0.01), -2.3263478740408408, 1e-9);
    CHECK_NEAR(forecast_stats_z(80.0), Z80, 1e-9);
}

TEST(quantile_type7_and_linfit)
{
    double x[] = {1, 2, 3, 4}, a, b, y[] = {3, 5, 7, 9};
    /* type 7: h = (n-1) p = 0.75 -> 1 + 0.75 (2 - 1) */
    CHECK_NEAR(forecast_stats_quantile_sorted(x, 4, 0.25), 1.75, 1e-12);
    CHECK_NEAR(forecast_stats_quantile_sorted(x, 4, 1.0), 4.0, 1e-12);
    forecast_stats_linfit(y, 4, &a, &b); /* y = 3 + 2 t */
    CHECK_NEAR(a, 3.0, 1e-12);
    CHECK_NEAR(b, 2.0, 1e-12);
    /* variance of 1..4 with n - 1: 5/3 */
    CHECK_NEAR(forecast_stats_var(x, 4), 5.0 / 3.0, 1e-12);
}

TEST(acf_of_alternating_series)
{
    /* mean 0, every lag-1 product is -1: r1 = -(n-1)/n */
    double x[] = {1, -1, 1, -1, 1, -1};
    CHECK_NEAR(forecast_stats_acf(x, 6, 1), -5.0 / 6.0, 1e-12);
    CHECK_NEAR(forecast_stats_acf(x, 6, 2), 4.0 / 6.0, 1e-12);
}

/* ---- optimiser ---------------------------------------------------------- */

static double quad(const double *x, void *ctx)
{
    (void)ctx;
    return (x[0] - 1.0) * (x[0] - 1.0) + 10.0 * (x[1] + 2.0) * (x[1] + 2.0);
}

TEST(nelder_mead_finds_quadratic_minimum)
{
    double x[2] = {0, 0}, lo[2] = {-5, -5}, hi[2] = {5, 5}, st[2] = {1, 1};
    double fmin;
    struct forecast_optim_problem p = {quad, NULL, 2, lo, hi, st, 2000, 1e-14};
    CHECK(forecast_optim_minimize(&p, x, &fmin) > 0);
    CHECK_NEAR(x[0], 1.0, 1e-4);
    CHECK_NEAR(x[1], -2.0, 1e-4);
}

TEST(nelder_mead_respects_bounds)
{
    /* the unconstrained minimum (1, -2) lies outside: x1 stops at -1 */
    double x[2] = {0, 0}, lo[2] = {-5, -1}, hi[2] = {5, 5}, st[2] = {1, 1};
    double fmin;
    struct forecast_optim_problem p = {quad, NULL, 2, lo, hi, st, 2000, 1e-14};
    forecast_optim_minimize(&p, x, &fmin);
    CHECK_NEAR(x[1], -1.0, 1e-6);
    CHECK_NEAR(fmin, 10.0, 1e-6);
}

/* ---- ETS recursions ----------------------------------------------------- */

TEST(ses_recursion_by_hand)
{
    /* alpha 0.5, l0 10, y 12 11 13: mu 10 11 11, e 2 0 2, l 11 11 12;
     * sse 8, -2logL = 3 log 8 */
    double y[] = {12, 11, 13}, fit[3];
    struct forecast_ets_model mod = model(FORECAST_ETS_A, FORECAST_ETS_N,
                                          FORECAST_ETS_N, 1);
    mod.alpha = 0.5;
    mod.init.l = 10;
    CHECK_INT(forecast_ets_filter(&mod, y, 3, fit), 0);
    CHECK_NEAR(fit[0], 10, 1e-12);
    CHECK_NEAR(fit[1], 11, 1e-12);
    CHECK_NEAR(fit[2], 11, 1e-12);
    CHECK_NEAR(mod.last.l, 12, 1e-12);
    CHECK_NEAR(mod.lik, 3 * log(8.0), 1e-12);
    CHECK_NEAR(mod.sigma2, 8.0 / 3.0, 1e-12);
}

TEST(holt_recursion_by_hand)
{
    /* alpha .5 beta .2 l0 10 b0 1, y 12 13:
     * t0 q 11 r 1 -> l 11.5 b 1.2; t1 q 12.7 r .3 -> l 12.85 b 1.26;
     * forecasts 12.85 + 1.26 h: 14.11, 15.37 (textbook form with
     * beta* = beta/alpha = .4 gives the same: b = .4 (11.5-10) + .6) */
    double y[] = {12, 13};
    struct forecast_ets_model mod = model(FORECAST_ETS_A, FORECAST_ETS_A,
                                          FORECAST_ETS_N, 1);
    struct forecast_output o;
    mod.alpha = 0.5;
    mod.beta = 0.2;
    mod.init.l = 10;
    mod.init.b = 1;
    CHECK_INT(forecast_ets_filter(&mod, y, 2, NULL), 0);
    CHECK_NEAR(mod.last.l, 12.85, 1e-12);
    CHECK_NEAR(mod.last.b, 1.26, 1e-12);
    CHECK_INT(forecast_output_init(&o, 2, levels), 0);
    forecast_ets_points(&mod, &o);
    CHECK_NEAR(o.point[0], 14.11, 1e-12);
    CHECK_NEAR(o.point[1], 15.37, 1e-12);
    forecast_output_dispose(&o);
}

TEST(damped_trend_by_hand)
{
    /* phi .9: q = 10 + .9 = 10.9, r 1.1, l 11.45, b .9 + .22 = 1.12;
     * f1 = 11.45 + .9 * 1.12 = 12.458, f2 = 11.45 + 1.71 * 1.12 = 13.3652 */
    double y[] = {12};
    struct forecast_ets_model mod = model(FORECAST_ETS_A, FORECAST_ETS_AD,
                                          FORECAST_ETS_N, 1);
    struct forecast_output o;
    mod.alpha = 0.5;
    mod.beta = 0.2;
    mod.phi = 0.9;
    mod.init.l = 10;
    mod.init.b = 1;
    CHECK_INT(forecast_ets_filter(&mod, y, 1, NULL), 0);
    CHECK_INT(forecast_output_init(&o, 2, levels), 0);
    forecast_ets_points(&mod, &o);
    CHECK_NEAR(o.point[0], 12.458, 1e-12);
    CHECK_NEAR(o.point[1], 13.3652, 1e-12);
    forecast_output_dispose(&o);
}

TEST(additive_holt_winters_by_hand)
{
    /* m 2, alpha .5 beta .1 gamma .2, l0 10 b0 0, s (+1, -1), y 12 9:
     * t0 mu 11 r 1 -> l 10.5 b .1 s0 1.2;
     * t1 q 10.6 mu 9.6 r -.6 -> l 10.3 b .04 s1 -1.12;
     * f1 = 10.34 + 1.2 = 11.54, f2 = 10.38 - 1.12 = 9.26 */
    double y[] = {12, 9};
    struct forecast_ets_model mod = model(FORECAST_ETS_A, FORECAST_ETS_A,
                                          FORECAST_ETS_A, 2);
    struct forecast_output o;
    mod.alpha = 0.5;
    mod.beta = 0.1;
    mod.gamma = 0.2;
    mod.init.l = 10;
    mod.init.s[0] = 1;
    mod.init.s[1] = -1;
    CHECK_INT(forecast_ets_filter(&mod, y, 2, NULL), 0);
    CHECK_NEAR(mod.last.s[0], 1.2, 1e-12);
    CHECK_NEAR(mod.last.s[1], -1.12, 1e-12);
    CHECK_INT(forecast_output_init(&o, 2, levels), 0);
    forecast_ets_points(&mod, &o);
    CHECK_NEAR(o.point[0], 11.54, 1e-12);
    CHECK_NEAR(o.point[1], 9.26, 1e-12);
    forecast_output_dispose(&o);
}

TEST(multiplicative_season_and_likelihood_by_hand)
{
    /* ETS(M,N,M), m 2, alpha .5 gamma .2, l0 10, s (1.2, .8), y 13 8:
     * t0 mu 12, e 1/12, l 10 + .5 (13/1.2 - 10) = 10.41667, s0 1.22;
     * t1 mu 8.33333, e -.04, l 10.208333, s1 .8 + .2 (8/10.41667 - .8)
     *    = .7936;
     * -2logL = 2 log(1/144 + .0016) + 2 (log 12 + log 8.33333) */
    double y[] = {13, 8};
    struct forecast_ets_model mod = model(FORECAST_ETS_M, FORECAST_ETS_N,
                                          FORECAST_ETS_M, 2);
    struct forecast_output o;
    double lik = 2 * log(1.0 / 144 + 0.0016) +
                 2 * (log(12.0) + log(25.0 / 3.0));
    mod.alpha = 0.5;
    mod.gamma = 0.2;
    mod.init.l = 10;
    mod.init.s[0] = 1.2;
    mod.init.s[1] = 0.8;
    CHECK_INT(forecast_ets_filter(&mod, y, 2, NULL), 0);
    CHECK_NEAR(mod.last.l, 10.2083333333, 1e-9);
    CHECK_NEAR(mod.last.s[0], 1.22, 1e-12);
    CHECK_NEAR(mod.last.s[1], 0.7936, 1e-12);
    CHECK_NEAR(mod.lik, lik, 1e-10);
    CHECK_INT(forecast_output_init(&o, 2, levels), 0);
    forecast_ets_points(&mod, &o);
    CHECK_NEAR(o.point[0], 10.2083333333 * 1.22, 1e-8);
    CHECK_NEAR(o.point[1], 10.2083333333 * 0.7936, 1e-8);
    forecast_output_dispose(&o);
}

TEST(multiplicative_error_rejects_nonpositive_forecast)
{
    double y[] = {1, 2};
    struct forecast_ets_model mod = model(FORECAST_ETS_M, FORECAST_ETS_N,
                                          FORECAST_ETS_N, 1);
    mod.alpha = 0.5;
    mod.init.l = -1;
    CHECK_INT(forecast_ets_filter(&mod, y, 2, NULL), -1);
}

TEST(ses_interval_formula)
{
    /* class 1: var_h = sigma^2 (1 + (h-1) alpha^2); sigma^2 4, alpha .5:
     * sd 2, 2 sqrt(1.25), 2 sqrt(1.5) around the flat forecast 12 */
    struct forecast_ets_model mod = model(FORECAST_ETS_A, FORECAST_ETS_N,
                                          FORECAST_ETS_N, 1);
    struct forecast_output o;
    mod.alpha = 0.5;
    mod.sigma2 = 4;
    mod.last.l = 12;
    mod.n = 10;
    CHECK_INT(forecast_output_init(&o, 3, levels), 0);
    CHECK_INT(forecast_ets_forecast(&mod, &o, 1), 0);
    CHECK_NEAR(o.point[2], 12, 1e-12);
    CHECK_NEAR(o.hi[0][0], 12 + Z80 * 2, 1e-9);
    CHECK_NEAR(o.lo[1][1], 12 - Z95 * 2 * sqrt(1.25), 1e-9);
    CHECK_NEAR(o.hi[1][2], 12 + Z95 * 2 * sqrt(1.5), 1e-9);
    forecast_output_dispose(&o);
}

TEST(holt_winters_interval_formula)
{
    /* AAA m 2, alpha .5 beta .1 gamma .2, sigma^2 1:
     * c1 = .5 + .1 = .6; c2 = .5 + .2 + .2 = .9 (j = 2 is a full season);
     * var3 = 1 + .36 + .81 = 2.17 */
    struct forecast_ets_model mod = model(FORECAST_ETS_A, FORECAST_ETS_A,
                                          FORECAST_ETS_A, 2);
    struct forecast_output o;
    mod.alpha = 0.5;
    mod.beta = 0.1;
    mod.gamma = 0.2;
    mod.sigma2 = 1;
    mod.last.l = 100; /* far from zero: symmetric intervals */
    CHECK_INT(forecast_output_init(&o, 3, levels), 0);
    CHECK_INT(forecast_ets_forecast(&mod, &o, 1), 0);
    CHECK_NEAR(o.hi[0][1] - o.point[1], Z80 * sqrt(1.36), 1e-9);
    CHECK_NEAR(o.hi[0][2] - o.point[2], Z80 * sqrt(2.17), 1e-9);
    forecast_output_dispose(&o);
}

TEST(multiplicative_error_interval_formula)
{
    /* class 2, MNN: var1 = sigma^2 mu^2; var2 = (1 + s2) (mu^2 + s2 a^2
     * mu^2) - mu^2 with mu 100, s2 .01, alpha .5:
     * theta2 = 10000 (1 + .0025) = 10025; var2 = 1.01 * 10025 - 10000
     * = 125.25 */
    struct forecast_ets_model mod = model(FORECAST_ETS_M, FORECAST_ETS_N,
                                          FORECAST_ETS_N, 1);
    struct forecast_output o;
    mod.alpha = 0.5;
    mod.sigma2 = 0.01;
    mod.last.l = 100;
    CHECK_INT(forecast_output_init(&o, 2, levels), 0);
    CHECK_INT(forecast_ets_forecast(&mod, &o, 1), 0);
    CHECK_NEAR(o.lo[0][0], 100 - Z80 * 10, 1e-9);
    CHECK_NEAR(o.hi[0][1], 100 + Z80 * sqrt(125.25), 1e-9);
    forecast_output_dispose(&o);
}

TEST(simulated_interval_of_multiplicative_season)
{
    /* MNM one step ahead: y = mu (1 + e), e ~ N(0, .05^2); mu = 50 * 1.2;
     * the simulated 95 % bounds are mu (1 +- 1.96 * .05) within noise */
    struct forecast_ets_model mod = model(FORECAST_ETS_M, FORECAST_ETS_N,
                                          FORECAST_ETS_M, 2);
    struct forecast_output o;
    mod.alpha = 0.3;
    mod.gamma = 0.1;
    mod.sigma2 = 0.0025;
    mod.last.l = 50;
    mod.last.s[0] = 1.2;
    mod.last.s[1] = 0.8;
    mod.n = 10; /* next phase is 0 */
    CHECK_INT(forecast_output_init(&o, 1, levels), 0);
    CHECK_INT(forecast_ets_forecast(&mod, &o, 42), 0);
    CHECK_NEAR(o.point[0], 60, 1e-12);
    CHECK_NEAR(o.lo[1][0], 60 * (1 - Z95 * 0.05), 0.4);
    CHECK_NEAR(o.hi[1][0], 60 * (1 + Z95 * 0.05), 0.4);
    forecast_output_dispose(&o);
}

/* ---- estimation --------------------------------------------------------- */

TEST(least_squares_initial_states_recover_exact_line)
{
    /* y_t = 5 + 2 (t + 1): l0 = 5, b0 = 2 fit exactly for any alpha, beta */
    double y[12];
    double sse;
    struct forecast_ets_model mod = model(FORECAST_ETS_A, FORECAST_ETS_A,
                                          FORECAST_ETS_N, 1);
    for (int t = 0; t < 12; t++)
        y[t] = 5 + 2.0 * (t + 1);
    mod.alpha = 0.3;
    mod.beta = 0.05;
    CHECK_INT(forecast_ets_init_solve(&mod, y, 12, &sse), 0);
    CHECK_NEAR(mod.init.l, 5, 1e-7);
    CHECK_NEAR(mod.init.b, 2, 1e-7);
    CHECK_NEAR(sse, 0, 1e-8);
}

TEST(least_squares_initial_states_recover_season)
{
    /* level 10 with season (+3, -1, -2) repeated: l0 10, s = (3, -1, -2) */
    double y[12], sse;
    static const double pat[3] = {3, -1, -2};
    struct forecast_ets_model mod = model(FORECAST_ETS_A, FORECAST_ETS_N,
                                          FORECAST_ETS_A, 3);
    for (int t = 0; t < 12; t++)
        y[t] = 10 + pat[t % 3];
    mod.alpha = 0.2;
    mod.gamma = 0.1;
    CHECK_INT(forecast_ets_init_solve(&mod, y, 12, &sse), 0);
    CHECK_NEAR(mod.init.l, 10, 1e-6);
    CHECK_NEAR(mod.init.s[0], 3, 1e-6);
    CHECK_NEAR(mod.init.s[2], -2, 1e-6);
    CHECK_NEAR(sse, 0, 1e-6); /* the ridge leaves a trace */
}

TEST(aicc_follows_its_formula)
{
    /* AICc = -2logL + 2k + 2k(k+1)/(n-k-1), k = parameters + sigma */
    double y[40];
    struct forecast_ets_model mod;
    struct forecast_ets_spec ses = {FORECAST_ETS_A, FORECAST_ETS_N,
                                    FORECAST_ETS_N};
    for (int t = 0; t < 40; t++)
        y[t] = 50 + 5 * sin(t * 1.7) + (t % 3);
    CHECK_INT(forecast_ets_fit(y, 40, 1, ses, &mod), 0);
    CHECK_INT(mod.npar, 3); /* alpha, l0, sigma */
    CHECK_NEAR(mod.aicc, mod.lik + 6 + 2.0 * 3 * 4 / (40 - 3 - 1), 1e-9);
}

TEST(ses_fit_tracks_level_shift)
{
    /* a step from 10 to 20 with no noise: the likelihood is maximised by
     * alpha near 1 and the last level is 20 */
    double y[20];
    struct forecast_ets_model mod;
    struct forecast_ets_spec ses = {FORECAST_ETS_A, FORECAST_ETS_N,
                                    FORECAST_ETS_N};
    for (int t = 0; t < 20; t++)
        y[t] = t < 10 ? 10 : 20;
    CHECK_INT(forecast_ets_fit(y, 20, 1, ses, &mod), 0);
    CHECK(mod.alpha > 0.95);
    CHECK_NEAR(mod.last.l, 20, 1e-3);
}

TEST(fit_refuses_too_short_or_nonpositive)
{
    double y[6] = {1, 2, 3, 4, 5, 6}, z[12] = {0};
    struct forecast_ets_model mod;
    struct forecast_ets_spec aad = {FORECAST_ETS_A, FORECAST_ETS_AD,
                                    FORECAST_ETS_N};
    struct forecast_ets_spec mnn = {FORECAST_ETS_M, FORECAST_ETS_N,
                                    FORECAST_ETS_N};
    /* damped trend: 5 parameters, needs n > 9 */
    CHECK_INT(forecast_ets_fit(y, 6, 1, aad, &mod), -1);
    for (int t = 0; t < 12; t++)
        z[t] = t % 2;
    CHECK_INT(forecast_ets_fit(z, 12, 1, mnn, &mod), -1);
}

TEST(label_names_the_components)
{
    char buf[16];
    struct forecast_ets_spec s = {FORECAST_ETS_M, FORECAST_ETS_AD,
                                  FORECAST_ETS_M};
    forecast_ets_label(s, buf, sizeof buf);
    CHECK_STR(buf, "ETS(M,Ad,M)");
}

/* ---- naive, Theta ------------------------------------------------------- */

TEST(seasonal_naive_by_hand)
{
    /* m 3: repeat 14 15 16; sigma = sqrt(mean of 3^2) = 3;
     * sd(h) = 3 sqrt(floor((h-1)/3) + 1): 3 for h <= 3, 3 sqrt 2 at h 4 */
    double y[] = {11, 12, 13, 14, 15, 16};
    struct forecast_output o;
    CHECK_INT(forecast_output_init(&o, 4, levels), 0);
    CHECK_INT(forecast_naive_forecast(y, 6, 3, &o), 0);
    CHECK_NEAR(o.point[0], 14, 0);
    CHECK_NEAR(o.point[2], 16, 0);
    CHECK_NEAR(o.point[3], 14, 0);
    CHECK_NEAR(o.hi[0][0], 14 + Z80 * 3, 1e-9);
    CHECK_NEAR(o.hi[0][3], 14 + Z80 * 3 * sqrt(2.0), 1e-9);
    forecast_output_dispose(&o);
}

TEST(interval_anchored_at_zero_keeps_its_share)
{
    /* point 1, sd 1: 1 - 1.28 < 0, so the 80 % interval is [0, q(.8)] =
     * [0, 1 + 0.8416212]; the 95 % one [0, 1 + 1.6448536] */
    double sd = 1;
    struct forecast_output o;
    CHECK_INT(forecast_output_init(&o, 1, levels), 0);
    o.point[0] = 1;
    forecast_output_normal(&o, &sd);
    CHECK_NEAR(o.lo[0][0], 0, 0);
    CHECK_NEAR(o.hi[0][0], 1.8416212335729143, 1e-9);
    CHECK_NEAR(o.hi[1][0], 2.6448536269514722, 1e-9);
    o.point[0] = 10; /* far from zero: symmetric */
    forecast_output_normal(&o, &sd);
    CHECK_NEAR(o.lo[0][0], 10 - Z80, 1e-9);
    forecast_output_dispose(&o);
}

TEST(naive_random_walk_intervals)
{
    /* steps of +1: sigma 1, sd(h) = sqrt(h) */
    double y[] = {1, 2, 3, 4, 5, 6};
    struct forecast_output o;
    CHECK_INT(forecast_output_init(&o, 4, levels), 0);
    CHECK_INT(forecast_naive_forecast(y, 6, 1, &o), 0);
    CHECK_NEAR(o.point[3], 6, 0);
    CHECK_NEAR(o.lo[1][3], 6 - Z95 * 2, 1e-9);
    forecast_output_dispose(&o);
}

TEST(theta_forecast_by_hand)
{
    /* alpha .5, l_n 10, b/2 = 1, n 4: lag = (1 - .5^4) / .5 = 1.875;
     * f1 = 10 + 1.875 = 11.875, f2 = 12.875; sd(h) = sqrt(1 + (h-1)/4) */
    struct forecast_theta_model mod;
    struct forecast_output o;
    memset(&mod, 0, sizeof mod);
    mod.ses.alpha = 0.5;
    mod.ses.last.l = 10;
    mod.ses.sigma2 = 1;
    mod.half_slope = 1;
    mod.n = 4;
    CHECK_INT(forecast_output_init(&o, 2, levels), 0);
    CHECK_INT(forecast_theta_forecast(&mod, &o), 0);
    CHECK_NEAR(o.point[0], 11.875, 1e-12);
    CHECK_NEAR(o.point[1], 12.875, 1e-12);
    CHECK_NEAR(o.hi[0][1] - o.point[1], Z80 * sqrt(1.25), 1e-9);
    forecast_output_dispose(&o);
}

TEST(theta_drift_is_half_the_slope)
{
    /* y = 3 + 2t plus a zero-mean wiggle: least-squares slope 2 -> 1 */
    double y[24];
    struct forecast_theta_model mod;
    for (int t = 0; t < 24; t++)
        y[t] = 3 + 2.0 * t + (t % 2 ? 0.5 : -0.5);
    CHECK_INT(forecast_theta_fit(y, 24, &mod), 0);
    CHECK_NEAR(mod.half_slope, 1.0, 0.01);
}

/* ---- intermittent demand ------------------------------------------------ */

static const double sparse[] = {0, 3, 0, 0, 6, 0};

TEST(croston_and_sba_by_hand)
{
    /* first demand at t 1: z 3, p 2; demand 6 at t 4, 3 periods later:
     * z = 3 + .5 * 3 = 4.5, p = 2 + .5 (3 - 2) = 2.5; Croston 1.8,
     * SBA (1 - .25) 1.8 = 1.35 */
    struct forecast_intermittent_model mod;
    CHECK_INT(forecast_intermittent_run(sparse, 6,
                                        FORECAST_INTERMITTENT_CROSTON, 0.5, 0,
                                        &mod), 0);
    CHECK_NEAR(mod.size, 4.5, 1e-12);
    CHECK_NEAR(mod.interval, 2.5, 1e-12);
    CHECK_NEAR(mod.mean, 1.8, 1e-12);
    CHECK_INT(forecast_intermittent_run(sparse, 6, FORECAST_INTERMITTENT_SBA,
                                        0.5, 0, &mod), 0);
    CHECK_NEAR(mod.mean, 1.35, 1e-12);
}

TEST(tsb_by_hand)
{
    /* pi0 = 1/ADI = 1/3, z 3 at t 1; pi: 1/6, 1/12, then demand:
     * 1/12 + .5 (11/12) = 13/24, z 4.5; then 13/48. f = 13/48 * 4.5 */
    struct forecast_intermittent_model mod;
    CHECK_INT(forecast_intermittent_run(sparse, 6, FORECAST_INTERMITTENT_TSB,
                                        0.5, 0.5, &mod), 0);
    CHECK_NEAR(mod.prob, 13.0 / 48.0, 1e-12);
    CHECK_NEAR(mod.mean, 13.0 / 48.0 * 4.5, 1e-12);
}

TEST(demand_pattern_and_classification)
{
    /* 2 demands in 6: ADI 3; sizes 3, 6: mean 4.5, variance 2.25,
     * CV^2 = 2.25 / 20.25 = 1/9 -> "intermittent": SBA */
    struct forecast_intermittent_pattern p;
    double smooth[] = {5, 6, 5, 7, 6, 5};
    forecast_intermittent_pattern(sparse, 6, &p);
    CHECK_INT(p.demands, 2);
    CHECK_NEAR(p.adi, 3, 1e-12);
    CHECK_NEAR(p.cv2, 1.0 / 9.0, 1e-12);
    CHECK_INT(forecast_intermittent_classify(&p), FORECAST_INTERMITTENT_SBA);
    forecast_intermittent_pattern(smooth, 6, &p);
    CHECK_INT(forecast_intermittent_classify(&p),
              FORECAST_INTERMITTENT_CROSTON);
}

TEST(intermittent_interval_puts_zero_inside)
{
    /* demand probability 1/2.5 = .4 < .9: the 80 % interval starts at 0
     * and reaches the size quantile holding 80 % overall:
     * (0.8 - 0.6) / 0.4 = 0.5 of the sizes {3, 6} scaled by
     * 1.8 / (.4 * 4.5) = 1 -> 4.5 */
    struct forecast_intermittent_model mod;
    struct forecast_output o;
    CHECK_INT(forecast_intermittent_run(sparse, 6,
                                        FORECAST_INTERMITTENT_CROSTON, 0.5, 0,
                                        &mod), 0);
    CHECK_INT(forecast_output_init(&o, 2, levels), 0);
    CHECK_INT(forecast_intermittent_forecast(&mod, sparse, 6, &o), 0);
    CHECK_NEAR(o.lo[0][0], 0, 0);
    CHECK_NEAR(o.hi[0][1], 4.5, 1e-12);
    CHECK_NEAR(o.point[1], 1.8, 1e-12);
    forecast_output_dispose(&o);
}

/* ---- seasonality -------------------------------------------------------- */

TEST(classical_decomposition_indices)
{
    /* constant level 10 with +2/-2 alternating: additive indices (2, -2),
     * multiplicative (1.2, .8) */
    double y[8], idx[2];
    for (int t = 0; t < 8; t++)
        y[t] = t % 2 ? 8 : 12;
    CHECK_INT(forecast_season_classical(y, 8, 2, false, idx), 0);
    CHECK_NEAR(idx[0], 2, 1e-12);
    CHECK_NEAR(idx[1], -2, 1e-12);
    CHECK_INT(forecast_season_classical(y, 8, 2, true, idx), 0);
    CHECK_NEAR(idx[0], 1.2, 1e-12);
    CHECK_NEAR(idx[1], 0.8, 1e-12);
    CHECK_INT(forecast_season_classical(y, 3, 2, false, idx), FORECAST_E_ARG);
}

TEST(season_detection)
{
    double wave[72], flat[72];
    struct forecast_rng rng;
    forecast_rng_seed(&rng, 7);
    for (int t = 0; t < 72; t++) {
        wave[t] = 100 + 20 * sin(2 * M_PI * t / 12) + forecast_rng_normal(&rng);
        flat[t] = 100 + forecast_rng_normal(&rng);
    }
    CHECK(forecast_season_detect(wave, 72, 12));
    CHECK(!forecast_season_detect(flat, 72, 12));
    CHECK(!forecast_season_detect(wave, 30, 12)); /* under 3 periods */
}

TEST(fourier_profile_of_long_period)
{
    /* one harmonic of amplitude 10 at period 52 plus small noise: the
     * profile recovers it */
    double y[208], idx[52];
    int k = 0;
    struct forecast_rng rng;
    forecast_rng_seed(&rng, 3);
    for (int t = 0; t < 208; t++)
        y[t] = 50 + 10 * sin(2 * M_PI * t / 52) + 0.5 * forecast_rng_normal(&rng);
    CHECK_INT(forecast_season_long(y, 208, 52, false, idx, &k), 0);
    CHECK(k >= 1);
    CHECK_NEAR(idx[13], 10, 0.5);
    CHECK_NEAR(idx[39], -10, 0.5);
}

/* ---- ARIMA -------------------------------------------------------------- */

static struct forecast_arima_model arima_model(int p, int d, int q, int P,
                                               int D, int Q, int m)
{
    struct forecast_arima_model mod;
    memset(&mod, 0, sizeof mod);
    mod.order = (struct forecast_arima_order){p, d, q, P, D, Q, m, false, 0};
    return mod;
}

TEST(arima_ar1_forecast_by_hand)
{
    /* (y - 10) = .5 (y_prev - 10) + e: from 14 the forecasts are 12, 11,
     * 10.5; psi = 1, .5, .25 -> sd2 = sigma sqrt(1.25) */
    double y[] = {9, 11, 10, 14};
    struct forecast_arima_model mod = arima_model(1, 0, 0, 0, 0, 0, 1);
    struct forecast_output o;
    mod.ar[0] = 0.5;
    mod.mu = 10;
    mod.order.constant = true;
    mod.sigma2 = 4;
    CHECK_INT(forecast_output_init(&o, 3, levels), 0);
    CHECK_INT(forecast_arima_forecast(&mod, y, 4, false, &o), 0);
    CHECK_NEAR(o.point[0], 12, 1e-12);
    CHECK_NEAR(o.point[1], 11, 1e-12);
    CHECK_NEAR(o.point[2], 10.5, 1e-12);
    CHECK_NEAR(o.hi[0][1] - o.point[1], Z80 * 2 * sqrt(1.25), 1e-9);
    forecast_output_dispose(&o);
}

TEST(arima_011_forecast_by_hand)
{
    /* w = 2, -1, 2 with theta .5: e = 2, -1 - 1 = -2, 2 + 1 = 3;
     * forecast 13 + .5 * 3 = 14.5, flat; psi = 1, 1.5, 1.5 */
    double y[] = {10, 12, 11, 13};
    struct forecast_arima_model mod = arima_model(0, 1, 1, 0, 0, 0, 1);
    struct forecast_output o;
    mod.ma[0] = 0.5;
    mod.sigma2 = 1;
    CHECK_INT(forecast_output_init(&o, 3, levels), 0);
    CHECK_INT(forecast_arima_forecast(&mod, y, 4, false, &o), 0);
    CHECK_NEAR(o.point[0], 14.5, 1e-12);
    CHECK_NEAR(o.point[2], 14.5, 1e-12);
    CHECK_NEAR(o.hi[0][1] - o.point[1], Z80 * sqrt(1 + 2.25), 1e-9);
    CHECK_NEAR(o.hi[0][2] - o.point[2], Z80 * sqrt(1 + 2 * 2.25), 1e-9);
    forecast_output_dispose(&o);
}

TEST(arima_seasonal_difference_is_seasonal_naive)
{
    /* ARIMA(0,0,0)(0,1,0)[4]: y_t = y_{t-4} + e: repeat the last season */
    double y[] = {1, 5, 3, 7, 2, 6, 4, 8};
    struct forecast_arima_model mod = arima_model(0, 0, 0, 0, 1, 0, 4);
    struct forecast_output o;
    mod.sigma2 = 1;
    CHECK_INT(forecast_output_init(&o, 6, levels), 0);
    CHECK_INT(forecast_arima_forecast(&mod, y, 8, false, &o), 0);
    CHECK_NEAR(o.point[0], 2, 1e-12);
    CHECK_NEAR(o.point[3], 8, 1e-12);
    CHECK_NEAR(o.point[4], 2, 1e-12);
    /* psi_4 = 1: the second year's variance doubles */
    CHECK_NEAR(o.hi[0][4] - o.point[4], Z80 * sqrt(2.0), 1e-9);
    forecast_output_dispose(&o);
}

TEST(arima_estimates_ar1_coefficient)
{
    /* 400 values of an AR(1) with phi .7 around 50: CSS recovers phi */
    double y[400], v = 0;
    struct forecast_rng rng;
    struct forecast_arima_order o = {1, 0, 0, 0, 0, 0, 1, true, 1};
    struct forecast_arima_model mod;
    forecast_rng_seed(&rng, 5);
    for (int t = 0; t < 400; t++) {
        v = 0.7 * v + forecast_rng_normal(&rng);
        y[t] = 50 + v;
    }
    CHECK_INT(forecast_arima_fit(y, 400, &o, &mod), 0);
    CHECK_NEAR(mod.ar[0], 0.7, 0.08);
    CHECK_NEAR(mod.mu, 50, 0.6);
    CHECK_NEAR(mod.sigma2, 1, 0.2);
}

TEST(arima_difference_tests)
{
    double walk[200], noise[200], wave[120];
    struct forecast_rng rng;
    double level = 100;
    forecast_rng_seed(&rng, 8);
    for (int t = 0; t < 200; t++) {
        level += forecast_rng_normal(&rng);
        walk[t] = level;
        noise[t] = 100 + forecast_rng_normal(&rng);
    }
    for (int t = 0; t < 120; t++)
        wave[t] = 100 + 30 * sin(2 * M_PI * t / 12) + forecast_rng_normal(&rng);
    CHECK(forecast_arima_ndiffs(walk, 200) >= 1);
    CHECK_INT(forecast_arima_ndiffs(noise, 200), 0);
    CHECK_INT(forecast_arima_nsdiffs(wave, 120, 12), 1);
    CHECK_INT(forecast_arima_nsdiffs(noise, 120, 12), 0);
    CHECK_INT(forecast_arima_nsdiffs(wave, 30, 12), 0); /* < 3 periods */
}

TEST(arima_label)
{
    char buf[64];
    struct forecast_arima_order o = {1, 1, 2, 0, 1, 1, 12, false, 0};
    forecast_arima_label(&o, buf, sizeof buf);
    CHECK_STR(buf, "ARIMA(1,1,2)(0,1,1)[12]");
    o = (struct forecast_arima_order){2, 0, 0, 0, 0, 0, 1, true, 0};
    forecast_arima_label(&o, buf, sizeof buf);
    CHECK_STR(buf, "ARIMA(2,0,0) const");
}

/* ---- least squares ------------------------------------------------------ */

/* Residuals of y = a exp(b t) at t = 0..4 for a = 2, b = 0.3. */
static int expo_residuals(const double *x, double *r, void *ctx)
{
    (void)ctx;
    for (int t = 0; t < 5; t++)
        r[t] = 2.0 * exp(0.3 * t) - x[0] * exp(x[1] * t);
    return 0;
}

TEST(levenberg_marquardt_fits_exponential)
{
    double x[2] = {1, 0}, lo[2] = {-10, -10}, hi[2] = {10, 10}, sse;
    struct forecast_optim_lsq p = {expo_residuals, NULL, 2, 5, lo, hi, 100,
                                   1e-15};
    CHECK(forecast_optim_least_squares(&p, x, &sse) > 0);
    CHECK_NEAR(x[0], 2, 1e-5);
    CHECK_NEAR(x[1], 0.3, 1e-6);
    CHECK(sse < 1e-10);
}
