/*
 * tests/worker/planning/test_demand.c: calendar buckets, history windows and SKU
 * histories (worker/planning/demand.c), on dates checked against Python's datetime:
 * 2024-01-01 is day 19723 and a Monday, 2024-02-29 day 19782.
 */
#include <math.h>
#include <string.h>

#include "tests/test.h"
#include "worker/planning/demand.h"

enum { D_2024_01_01 = 19723, D_2024_01_03 = 19725, D_2023_12_04 = 19695,
       D_2024_02_01 = 19754, D_2024_02_29 = 19782, D_2024_03_01 = 19783,
       D_2024_03_15 = 19797, D_2021_04_01 = 18718 };

TEST(bucket_names_and_periods)
{
    enum demand_bucket b;
    CHECK_INT(demand_bucket_parse("week", &b), 0);
    CHECK_INT(b, DEMAND_WEEK);
    CHECK_INT(demand_bucket_parse("month", &b), 0);
    CHECK_INT(b, DEMAND_MONTH);
    CHECK_INT(demand_bucket_parse("Week", &b), -1);
    CHECK_INT(demand_bucket_parse(NULL, &b), -1);
    CHECK_INT(demand_period(DEMAND_DAY), 7);
    CHECK_INT(demand_period(DEMAND_WEEK), 52);
    CHECK_INT(demand_period(DEMAND_MONTH), 12);
    CHECK_STR(demand_bucket_name(DEMAND_DAY), "day");
}

TEST(weeks_start_on_monday)
{
    CHECK_INT(demand_bucket_start(DEMAND_WEEK, D_2024_01_03), D_2024_01_01);
    CHECK_INT(demand_bucket_start(DEMAND_WEEK, D_2024_01_01), D_2024_01_01);
    CHECK_INT(demand_bucket_start(DEMAND_WEEK, D_2024_01_01 + 6), D_2024_01_01);
    CHECK_INT(demand_bucket_start(DEMAND_WEEK, D_2024_01_01 + 7), D_2024_01_01 + 7);
    CHECK_INT(demand_bucket_start(DEMAND_WEEK, 0), -3);  /* 1970-01-01 was a Thursday */
    CHECK_INT(demand_bucket_start(DEMAND_WEEK, -4), -10); /* before the epoch too */
    CHECK_INT(demand_bucket_add(DEMAND_WEEK, D_2024_01_03, -4), D_2023_12_04);
}

TEST(months_follow_the_calendar)
{
    CHECK_INT(demand_bucket_start(DEMAND_MONTH, D_2024_02_29), D_2024_02_01);
    CHECK_INT(demand_bucket_add(DEMAND_MONTH, D_2024_02_29, 1), D_2024_03_01);
    CHECK_INT(demand_bucket_add(DEMAND_MONTH, D_2024_01_01 + 30, 1), D_2024_02_01);
    CHECK_INT(demand_bucket_add(DEMAND_MONTH, D_2024_03_15, -35), D_2021_04_01);
    CHECK_INT(demand_bucket_add(DEMAND_MONTH, D_2024_01_01, -1), D_2024_01_01 - 31);
    CHECK_INT(demand_bucket_start(DEMAND_DAY, D_2024_03_15), D_2024_03_15);
}

TEST(days_format_and_come_from_ms)
{
    char s[11];
    demand_day_format(D_2024_02_29, s);
    CHECK_STR(s, "2024-02-29");
    demand_day_format(-1, s);
    CHECK_STR(s, "1969-12-31");
    CHECK_INT(demand_day_from_ms(0), 0);
    CHECK_INT(demand_day_from_ms(-1), -1);
    CHECK_INT(demand_day_from_ms((int64_t)D_2024_01_03 * 86400000 + 86399999), D_2024_01_03);
}

TEST(window_is_the_complete_buckets_before_the_current_one)
{
    struct demand_window w;
    demand_window_init(&w, DEMAND_WEEK, 4, D_2024_01_03);
    CHECK_INT(w.origin, D_2024_01_01);
    CHECK_INT(w.first, D_2023_12_04);
    CHECK_INT(w.n, 4);
    demand_window_init(&w, DEMAND_MONTH, 156, D_2024_03_15);
    CHECK_INT(w.n, 35); /* 1092 days hold 35 whole months */
    CHECK_INT(w.origin, D_2024_03_01);
    CHECK_INT(w.first, D_2021_04_01);
    CHECK_INT(demand_window_buckets(DEMAND_DAY, 156), 1092);
}

TEST(history_is_zero_filled_from_the_first_demand)
{
    struct demand_window w;
    double out[4];
    size_t n = 99;
    char why[128];
    demand_window_init(&w, DEMAND_WEEK, 4, D_2024_01_03);
    /* demand in the 2nd and 4th week of the window, the 4th given twice */
    int64_t days[] = {D_2023_12_04 + 7, D_2023_12_04 + 21, D_2023_12_04 + 21};
    double qty[] = {5, 2, 1};
    CHECK_INT(demand_history(&w, days, qty, 3, out, &n, why, sizeof why), 0);
    CHECK_INT(n, 3);
    CHECK_NEAR(out[0], 5, 0);
    CHECK_NEAR(out[1], 0, 0);
    CHECK_NEAR(out[2], 3, 0);
}

TEST(history_without_demand_is_the_whole_window_of_zeros)
{
    struct demand_window w;
    double out[4] = {9, 9, 9, 9};
    size_t n = 0;
    char why[128];
    demand_window_init(&w, DEMAND_WEEK, 4, D_2024_01_03);
    CHECK_INT(demand_history(&w, NULL, NULL, 0, out, &n, why, sizeof why), 0);
    CHECK_INT(n, 4);
    CHECK(out[0] == 0 && out[3] == 0);
}

TEST(history_refuses_corrupt_quantities_and_foreign_buckets)
{
    struct demand_window w;
    double out[4];
    size_t n;
    char why[160];
    demand_window_init(&w, DEMAND_WEEK, 4, D_2024_01_03);
    int64_t day = D_2023_12_04;
    double huge = 2147483647.0, negative = -1, nan = NAN, ok = 1;
    CHECK_INT(demand_history(&w, &day, &huge, 1, out, &n, why, sizeof why), -1);
    CHECK(strstr(why, "2147483647 units") != NULL);
    CHECK(strstr(why, "2023-12-04") != NULL);
    CHECK_INT(demand_history(&w, &day, &negative, 1, out, &n, why, sizeof why), -1);
    CHECK_INT(demand_history(&w, &day, &nan, 1, out, &n, why, sizeof why), -1);
    int64_t current = D_2024_01_01, tuesday = D_2023_12_04 + 1, early = D_2023_12_04 - 7;
    CHECK_INT(demand_history(&w, &current, &ok, 1, out, &n, why, sizeof why), -1);
    CHECK(strstr(why, "not a week of the history window") != NULL);
    CHECK_INT(demand_history(&w, &tuesday, &ok, 1, out, &n, why, sizeof why), -1);
    CHECK_INT(demand_history(&w, &early, &ok, 1, out, &n, why, sizeof why), -1);
    /* two plausible halves that add up to an implausible bucket */
    int64_t twice[] = {D_2023_12_04, D_2023_12_04};
    double halves[] = {6e8, 6e8};
    CHECK_INT(demand_history(&w, twice, halves, 2, out, &n, why, sizeof why), -1);
}
