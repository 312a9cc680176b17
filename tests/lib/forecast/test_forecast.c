/*
 * tests/lib/test_forecast.c: the public forecasting API (lib/forecast/forecast.h):
 * every error path, degenerate input (single value, constant, all zero,
 * too short for a model), hand-checked results through the API, the
 * automatic choice on clearly trending / seasonal / intermittent inputs,
 * output invariants, determinism and concurrent use from several threads.
 */
#include "tests/test.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/forecast/forecast.h"
#include "lib/forecast/rng.h"

#define Z80 1.2815515655446004

/* Runs a forecast with default levels; returns the error code. */
static int run(const double *y, size_t n, int period, int horizon,
               enum forecast_method method, struct forecast_result **res)
{
    struct forecast_request req = {.values = y, .n = n, .period = period,
                                   .horizon = horizon, .method = method};
    return forecast_run(&req, res);
}

/* Checks the result invariants: finite, non-negative, ordered bounds. */
static bool well_formed(const struct forecast_result *res)
{
    const double *p = forecast_result_point(res);
    const double *l0 = forecast_result_lower(res, 0);
    const double *l1 = forecast_result_lower(res, 1);
    const double *h0 = forecast_result_upper(res, 0);
    const double *h1 = forecast_result_upper(res, 1);
    for (int h = 0; h < forecast_result_horizon(res); h++) {
        double v[5] = {l1[h], l0[h], p[h], h0[h], h1[h]};
        for (int i = 0; i < 5; i++)
            if (!isfinite(v[i]) || v[i] < 0 || (i > 0 && v[i] < v[i - 1]))
                return false;
    }
    return true;
}

/* Deterministic test series: level + slope t + amp sin(2 pi t / m) +
 * noise sd, clamped at zero. */
static void make_series(double *y, size_t n, double level, double slope,
                        double amp, int m, double sd, uint64_t seed)
{
    struct forecast_rng rng;
    forecast_rng_seed(&rng, seed);
    for (size_t t = 0; t < n; t++) {
        double v = level + slope * (double)t +
                   amp * sin(2 * M_PI * (double)t / m) +
                   sd * forecast_rng_normal(&rng);
        y[t] = v < 0 ? 0 : v;
    }
}

/* ---- error paths -------------------------------------------------------- */

TEST(rejects_null_arguments)
{
    struct forecast_result *res = (struct forecast_result *)&res;
    double y[] = {1, 2, 3};
    CHECK_INT(forecast_run(NULL, &res), FORECAST_E_ARG);
    CHECK(res == NULL);
    struct forecast_request req = {.values = y, .n = 3, .period = 1,
                                   .horizon = 2};
    CHECK_INT(forecast_run(&req, NULL), FORECAST_E_ARG);
    req.method = (enum forecast_method)99;
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_ARG);
}

TEST(rejects_empty_input)
{
    struct forecast_result *res;
    double y[] = {1};
    CHECK_INT(run(y, 0, 1, 3, FORECAST_AUTO, &res), FORECAST_E_EMPTY);
    CHECK_INT(run(NULL, 5, 1, 3, FORECAST_AUTO, &res), FORECAST_E_EMPTY);
    CHECK(res == NULL);
}

TEST(rejects_nan_infinity_and_negative_with_index)
{
    double y[] = {1, 2, NAN, 4};
    struct forecast_request req = {.values = y, .n = 4, .period = 1,
                                   .horizon = 2};
    struct forecast_result *res;
    size_t bad = 99;
    CHECK_INT(forecast_validate(&req, &bad), FORECAST_E_NONFINITE);
    CHECK_INT(bad, 2);
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_NONFINITE);
    y[2] = INFINITY;
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_NONFINITE);
    y[2] = -INFINITY;
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_NONFINITE);
    y[2] = 3;
    y[3] = -0.5;
    CHECK_INT(forecast_validate(&req, &bad), FORECAST_E_NEGATIVE);
    CHECK_INT(bad, 3);
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_NEGATIVE);
    CHECK(res == NULL);
}

TEST(rejects_bad_period_horizon_levels_and_length)
{
    double y[] = {1, 2, 3, 4};
    struct forecast_result *res;
    struct forecast_request req = {.values = y, .n = 4, .period = 1,
                                   .horizon = 2};
    CHECK_INT(run(y, 4, 0, 2, FORECAST_AUTO, &res), FORECAST_E_PERIOD);
    CHECK_INT(run(y, 4, -3, 2, FORECAST_AUTO, &res), FORECAST_E_PERIOD);
    CHECK_INT(run(y, 4, FORECAST_MAX_PERIOD + 1, 2, FORECAST_AUTO, &res),
              FORECAST_E_PERIOD);
    CHECK_INT(run(y, 4, 1, 0, FORECAST_AUTO, &res), FORECAST_E_HORIZON);
    CHECK_INT(run(y, 4, 1, -1, FORECAST_AUTO, &res), FORECAST_E_HORIZON);
    CHECK_INT(run(y, 4, 1, FORECAST_MAX_HORIZON + 1, FORECAST_AUTO, &res),
              FORECAST_E_HORIZON);
    req.levels_pct[0] = 95;
    req.levels_pct[1] = 80;
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_LEVEL);
    req.levels_pct[0] = 0;
    req.levels_pct[1] = 100;
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_LEVEL);
    req.levels_pct[0] = NAN;
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_LEVEL);
    req.levels_pct[0] = req.levels_pct[1] = 0;
    req.n = (size_t)FORECAST_MAX_POINTS + 1; /* checked before reading */
    CHECK_INT(forecast_run(&req, &res), FORECAST_E_TOO_LONG);
}

TEST(error_strings_and_method_names)
{
    enum forecast_method m;
    for (int e = FORECAST_E_NOMEM; e <= FORECAST_OK; e++)
        CHECK(strlen(forecast_strerror(e)) > 3);
    CHECK_STR(forecast_strerror(-1000), "unknown error");
    for (int i = 0; i < FORECAST_METHOD_COUNT; i++) {
        CHECK_INT(forecast_method_parse(forecast_method_name(i), &m), 0);
        CHECK_INT(m, i);
    }
    CHECK_STR(forecast_method_name(FORECAST_SBA), "sba");
    CHECK_STR(forecast_method_name((enum forecast_method)42), "unknown");
    CHECK_INT(forecast_method_parse("prophet", &m), FORECAST_E_ARG);
    CHECK_INT(forecast_method_parse(NULL, &m), FORECAST_E_ARG);
}

/* ---- degenerate input --------------------------------------------------- */

TEST(all_zero_series_forecasts_zero)
{
    double y[30] = {0};
    struct forecast_result *res;
    for (int m = 0; m < FORECAST_METHOD_COUNT; m++) {
        CHECK_INT(run(y, 30, 12, 5, m, &res), 0);
        CHECK_NEAR(forecast_result_point(res)[4], 0, 0);
        CHECK_NEAR(forecast_result_upper(res, 1)[4], 0, 0);
        CHECK_STR(forecast_result_model(res), "Zero");
        CHECK(strstr(forecast_result_explain(res), "zero") != NULL);
        forecast_result_free(res);
    }
}

TEST(constant_series_forecasts_the_constant)
{
    double y[20];
    struct forecast_result *res;
    for (int t = 0; t < 20; t++)
        y[t] = 7.5;
    CHECK_INT(run(y, 20, 4, 3, FORECAST_ETS, &res), 0);
    CHECK_NEAR(forecast_result_point(res)[2], 7.5, 0);
    CHECK_NEAR(forecast_result_lower(res, 1)[0], 7.5, 0);
    CHECK_STR(forecast_result_model(res), "Constant");
    CHECK(strstr(forecast_result_explain(res), "7.5") != NULL);
    forecast_result_free(res);
}

TEST(single_value_uses_naive_with_zero_width)
{
    double y[] = {42};
    struct forecast_result *res;
    CHECK_INT(run(y, 1, 12, 4, FORECAST_AUTO, &res), 0);
    CHECK_NEAR(forecast_result_point(res)[3], 42, 0);
    CHECK_NEAR(forecast_result_upper(res, 1)[3], 42, 0);
    CHECK(strstr(forecast_result_explain(res), "single value") != NULL);
    forecast_result_free(res);
}

TEST(short_series_fall_back_and_say_so)
{
    double y[] = {3, 5, 4, 6, 5};
    struct forecast_result *res;
    CHECK_INT(run(y, 5, 1, 3, FORECAST_ETS, &res), 0);
    CHECK_INT(forecast_result_method(res), FORECAST_NAIVE);
    CHECK(strstr(forecast_result_explain(res), "too few") != NULL);
    CHECK_NEAR(forecast_result_point(res)[0], 5, 0);
    forecast_result_free(res);
    CHECK_INT(run(y, 5, 1, 3, FORECAST_THETA, &res), 0);
    CHECK_INT(forecast_result_method(res), FORECAST_NAIVE);
    forecast_result_free(res);
    CHECK_INT(run(y, 5, 12, 3, FORECAST_SNAIVE, &res), 0);
    CHECK_INT(forecast_result_method(res), FORECAST_NAIVE);
    CHECK(strstr(forecast_result_explain(res), "one period") != NULL);
    forecast_result_free(res);
    CHECK_INT(run(y, 5, 12, 3, FORECAST_AUTO, &res), 0);
    CHECK(well_formed(res));
    forecast_result_free(res);
}

TEST(seasonal_ets_needs_two_periods)
{
    /* 20 monthly values: no seasonal model is fitted, and it is said */
    double y[20];
    struct forecast_result *res;
    make_series(y, 20, 100, 1, 10, 12, 2, 5);
    CHECK_INT(run(y, 20, 12, 6, FORECAST_ETS, &res), 0);
    CHECK(strstr(forecast_result_explain(res), "two periods") != NULL);
    CHECK(strstr(forecast_result_model(res), ",N)") != NULL);
    forecast_result_free(res);
}

/* ---- hand-checked results through the API ------------------------------- */

TEST(api_seasonal_naive_by_hand)
{
    double y[] = {11, 12, 13, 14, 15, 16};
    struct forecast_result *res;
    CHECK_INT(run(y, 6, 3, 4, FORECAST_SNAIVE, &res), 0);
    CHECK_NEAR(forecast_result_point(res)[3], 14, 0);
    CHECK_NEAR(forecast_result_upper(res, 0)[0], 14 + Z80 * 3, 1e-9);
    CHECK_NEAR(forecast_result_level_pct(res, 1), 95, 0);
    CHECK_INT(forecast_result_method(res), FORECAST_SNAIVE);
    forecast_result_free(res);
}

TEST(api_custom_levels)
{
    double y[] = {1, 2, 3, 4, 5, 6};
    struct forecast_request req = {.values = y, .n = 6, .period = 1,
                                   .horizon = 1, .method = FORECAST_NAIVE,
                                   .levels_pct = {50, 99}};
    struct forecast_result *res;
    CHECK_INT(forecast_run(&req, &res), 0);
    /* naive sigma 1: the 50 % interval is 6 +- 0.6744898 */
    CHECK_NEAR(forecast_result_upper(res, 0)[0], 6.6744897501960817, 1e-9);
    CHECK_NEAR(forecast_result_level_pct(res, 0), 50, 0);
    CHECK(forecast_result_lower(res, 2) == NULL);
    forecast_result_free(res);
}

TEST(api_croston_family_by_hand)
{
    /* with one demand of 3 after a zero, then zeros: every grid alpha
     * gives z 3, p 2 (no later demand): Croston 1.5 */
    double y[] = {0, 3, 0, 0, 0, 0};
    struct forecast_result *res;
    CHECK_INT(run(y, 6, 1, 2, FORECAST_CROSTON, &res), 0);
    CHECK_NEAR(forecast_result_point(res)[1], 1.5, 1e-12);
    CHECK_INT(forecast_result_method(res), FORECAST_CROSTON);
    forecast_result_free(res);
    CHECK_INT(run(y, 6, 1, 2, FORECAST_TSB, &res), 0);
    CHECK(forecast_result_point(res)[0] < 1.5); /* TSB decays the chance */
    CHECK_STR(forecast_result_model(res), "TSB");
    forecast_result_free(res);
}

TEST(aicc_only_for_likelihood_methods)
{
    double y[40], aicc = 0;
    struct forecast_result *res;
    make_series(y, 40, 50, 0.5, 0, 1, 3, 9);
    CHECK_INT(run(y, 40, 1, 4, FORECAST_ETS, &res), 0);
    CHECK_INT(forecast_result_aicc(res, &aicc), 0);
    CHECK(isfinite(aicc));
    forecast_result_free(res);
    CHECK_INT(run(y, 40, 1, 4, FORECAST_NAIVE, &res), 0);
    CHECK_INT(forecast_result_aicc(res, &aicc), FORECAST_E_ARG);
    forecast_result_free(res);
}

/* ---- automatic choice --------------------------------------------------- */

TEST(auto_follows_a_clear_trend)
{
    double y[60];
    struct forecast_result *res;
    make_series(y, 60, 20, 3, 0, 1, 1, 11);
    CHECK_INT(run(y, 60, 1, 10, FORECAST_AUTO, &res), 0);
    /* the line continues at about 20 + 3 t: t = 69 -> 227 */
    CHECK_NEAR(forecast_result_point(res)[9], 227, 12);
    CHECK(forecast_result_point(res)[9] > forecast_result_point(res)[0] + 20);
    forecast_result_free(res);
    CHECK_INT(run(y, 60, 1, 10, FORECAST_ETS, &res), 0);
    CHECK(strstr(forecast_result_model(res), ",A,") != NULL ||
          strstr(forecast_result_model(res), ",Ad,") != NULL);
    forecast_result_free(res);
}

TEST(auto_follows_a_clear_season)
{
    double y[96];
    struct forecast_result *res;
    make_series(y, 96, 100, 0, 30, 12, 2, 13);
    CHECK_INT(run(y, 96, 12, 12, FORECAST_ETS, &res), 0);
    CHECK(strstr(forecast_result_model(res), ",N)") == NULL);
    forecast_result_free(res);
    CHECK_INT(run(y, 96, 12, 12, FORECAST_AUTO, &res), 0);
    /* t = 99 is a quarter period: peak 130; t = 105 trough 70 */
    CHECK_NEAR(forecast_result_point(res)[3], 130, 6);
    CHECK_NEAR(forecast_result_point(res)[9], 70, 6);
    forecast_result_free(res);
}

TEST(auto_models_long_periods)
{
    /* weekly data with an annual cycle: period 52 is modelled (Fourier
     * adjustment), not dropped */
    double y[156];
    struct forecast_result *res;
    make_series(y, 156, 200, 0, 50, 52, 5, 17);
    CHECK_INT(run(y, 156, 52, 26, FORECAST_AUTO, &res), 0);
    CHECK(strstr(forecast_result_explain(res), "Fourier") != NULL);
    /* t = 169 is a quarter period: 250; t = 175 is 200 + 50 sin(2pi 19/52) */
    CHECK_NEAR(forecast_result_point(res)[13], 250, 12);
    CHECK(well_formed(res));
    forecast_result_free(res);
}

TEST(auto_sends_intermittent_demand_to_croston_family)
{
    double y[60];
    struct forecast_result *res;
    enum forecast_method m;
    struct forecast_rng rng;
    forecast_rng_seed(&rng, 21);
    for (int t = 0; t < 60; t++)
        y[t] = forecast_rng_uniform(&rng) < 0.25
                   ? 1 + floor(5 * forecast_rng_uniform(&rng))
                   : 0;
    CHECK_INT(run(y, 60, 1, 6, FORECAST_AUTO, &res), 0);
    m = forecast_result_method(res);
    CHECK(m == FORECAST_CROSTON || m == FORECAST_SBA || m == FORECAST_TSB);
    CHECK(strstr(forecast_result_explain(res), "intermittent") != NULL);
    CHECK(well_formed(res));
    forecast_result_free(res);
}

TEST(auto_sees_that_intermittent_demand_stopped)
{
    /* demand every other period for 60 periods, then 12 zeros: at the
     * earlier rate 1/2 such a run has chance 0.5^12 = 0.0002 */
    double y[72] = {0};
    struct forecast_result *res;
    for (int t = 0; t < 60; t += 2)
        y[t] = 3 + t % 4;
    CHECK_INT(run(y, 72, 1, 4, FORECAST_AUTO, &res), 0);
    CHECK_INT(forecast_result_method(res), FORECAST_TSB);
    CHECK(strstr(forecast_result_explain(res), "demand stopped; TSB") != NULL);
    CHECK(forecast_result_point(res)[0] < 1.0);
    forecast_result_free(res);
    y[71] = 4; /* demand again: back to the in-sample choice */
    CHECK_INT(run(y, 72, 1, 4, FORECAST_AUTO, &res), 0);
    CHECK(strstr(forecast_result_explain(res), "demand stopped") == NULL);
    forecast_result_free(res);
}

/* ---- invariants, calibration, determinism, threads ---------------------- */

TEST(every_method_gives_well_formed_output)
{
    static const int periods[] = {1, 4, 7, 12, 52};
    double y[200];
    struct forecast_result *res;
    for (int s = 0; s < 5; s++) {
        make_series(y, 200, 30 * s + 5, s % 2 ? 0.3 : -0.1, 10, periods[s], 8,
                    (uint64_t)s);
        for (int m = 0; m < FORECAST_METHOD_COUNT; m++) {
            CHECK_INT(run(y, 200, periods[s], 30, m, &res), 0);
            CHECK(well_formed(res));
            CHECK(strlen(forecast_result_model(res)) > 0);
            forecast_result_free(res);
        }
    }
}

TEST(ses_intervals_are_calibrated_on_ses_data)
{
    /* data from a local-level model (alpha .3, sigma 5): the one-step 80 %
     * interval of ETS should hold about 80 % of the next values */
    struct forecast_rng rng;
    double y[81];
    int inside = 0, runs = 200;
    struct forecast_result *res;
    forecast_rng_seed(&rng, 99);
    for (int r = 0; r < runs; r++) {
        double l = 100;
        for (int t = 0; t < 81; t++) {
            double e = 5 * forecast_rng_normal(&rng);
            y[t] = l + e;
            l += 0.3 * e;
        }
        CHECK_INT(run(y, 80, 1, 1, FORECAST_ETS, &res), 0);
        inside += y[80] >= forecast_result_lower(res, 0)[0] &&
                  y[80] <= forecast_result_upper(res, 0)[0];
        forecast_result_free(res);
    }
    CHECK(inside >= 0.72 * runs && inside <= 0.88 * runs);
}

TEST(results_are_deterministic)
{
    double y[72];
    struct forecast_result *a, *b;
    make_series(y, 72, 300, 2, 40, 12, 10, 23);
    CHECK_INT(run(y, 72, 12, 18, FORECAST_AUTO, &a), 0);
    CHECK_INT(run(y, 72, 12, 18, FORECAST_AUTO, &b), 0);
    CHECK(memcmp(forecast_result_point(a), forecast_result_point(b),
                  18 * sizeof(double)) == 0);
    CHECK(memcmp(forecast_result_upper(a, 1), forecast_result_upper(b, 1),
                 18 * sizeof(double)) == 0);
    CHECK_STR(forecast_result_explain(a), forecast_result_explain(b));
    forecast_result_free(a);
    forecast_result_free(b);
}

enum { THREADS = 4, THREAD_SERIES = 6, THREAD_H = 12 };

struct thread_arg {
    double out[THREAD_SERIES][THREAD_H * 5];
    int rc;
};

static double thread_series[THREAD_SERIES][120];

/* Forecasts every test series; stores points and bounds. */
static void *thread_main(void *p)
{
    struct thread_arg *arg = p;
    static const int periods[THREAD_SERIES] = {12, 1, 4, 52, 7, 12};
    arg->rc = 0;
    for (int s = 0; s < THREAD_SERIES; s++) {
        struct forecast_result *res;
        int rc = run(thread_series[s], 120, periods[s], THREAD_H,
                     FORECAST_AUTO, &res);
        if (rc != 0) {
            arg->rc = rc;
            return NULL;
        }
        memcpy(arg->out[s], forecast_result_point(res),
               THREAD_H * sizeof(double));
        for (int l = 0; l < 2; l++) {
            memcpy(arg->out[s] + THREAD_H * (1 + 2 * l),
                   forecast_result_lower(res, l), THREAD_H * sizeof(double));
            memcpy(arg->out[s] + THREAD_H * (2 + 2 * l),
                   forecast_result_upper(res, l), THREAD_H * sizeof(double));
        }
        forecast_result_free(res);
    }
    return NULL;
}

TEST(concurrent_forecasts_match_serial_ones)
{
    static struct thread_arg serial, par[THREADS];
    pthread_t tid[THREADS];
    for (int s = 0; s < THREAD_SERIES; s++)
        make_series(thread_series[s], 120, 50 + 10 * s, 0.2 * s, 12, 12, 4,
                    (uint64_t)(100 + s));
    thread_main(&serial);
    CHECK_INT(serial.rc, 0);
    for (int i = 0; i < THREADS; i++)
        CHECK_INT(pthread_create(&tid[i], NULL, thread_main, &par[i]), 0);
    for (int i = 0; i < THREADS; i++)
        CHECK_INT(pthread_join(tid[i], NULL), 0);
    for (int i = 0; i < THREADS; i++) {
        CHECK_INT(par[i].rc, 0);
        CHECK(memcmp(par[i].out, serial.out, sizeof serial.out) == 0);
    }
}

TEST(auto_explains_its_weights_and_arima_runs)
{
    double y[96];
    struct forecast_result *res;
    make_series(y, 96, 100, 0.5, 20, 12, 3, 31);
    CHECK_INT(run(y, 96, 12, 12, FORECAST_AUTO, &res), 0);
    CHECK(strstr(forecast_result_explain(res), "weights") != NULL);
    CHECK(strstr(forecast_result_model(res), "ARIMA") != NULL);
    CHECK(well_formed(res));
    forecast_result_free(res);
    CHECK_INT(run(y, 96, 12, 12, FORECAST_ARIMA, &res), 0);
    CHECK_INT(forecast_result_method(res), FORECAST_ARIMA);
    CHECK(strstr(forecast_result_explain(res), "AICc") != NULL);
    forecast_result_free(res);
}

TEST(auto_weighs_short_histories_on_a_shorter_window)
{
    /* 16 quarters, horizon 8: no room for 8 held-out values after the 12
     * a fit keeps, so the 4 that are left decide the weights; 13 values
     * leave 1, under half the horizon: equal weights */
    double y[16];
    struct forecast_result *res;
    make_series(y, 16, 100, 1.0, 10, 4, 2, 7);
    CHECK_INT(run(y, 16, 4, 8, FORECAST_AUTO, &res), 0);
    CHECK(strstr(forecast_result_explain(res), "over 1 origin(s) of 4 steps") != NULL);
    forecast_result_free(res);
    CHECK_INT(run(y, 13, 4, 8, FORECAST_AUTO, &res), 0);
    CHECK(strstr(forecast_result_explain(res), "equal weights") != NULL);
    forecast_result_free(res);
}
