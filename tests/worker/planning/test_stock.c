/*
 * tests/worker/planning/test_stock.c: lead time, demand over the lead time, safety
 * stock, reorder point and suggested orders (worker/planning/stock.c), worked by
 * hand.
 *
 * The example: weekly buckets, a run on Wednesday 2024-01-03 (day 19725),
 * so the current week (step 1) started on Monday 2024-01-01 (day 19723) and
 * has 5 days left. Point forecasts 7, 14, 21, 28 per week; sigma 2, 4, 6, 8
 * (hi95 = point + 1.959964 sigma). Lead time 10 days: [Jan 3, Jan 13)
 * covers 5 of week 1's 7 days and 5 of week 2's, so
 *   D_L = 5/7*7 + 5/7*14 = 15,  V_L = 5/7*2^2 + 5/7*4^2 = 100/7,
 *   SS  = 1.6448536 * sqrt(100/7) = 6.2169623,  ROP = 21.2169623;
 * the 7-day review period [Jan 13, Jan 20) covers 2 days of week 2 and 5
 * of week 3: D_R = 2/7*14 + 5/7*21 = 19.
 */
#include <math.h>

#include "tests/test.h"
#include "worker/planning/stock.h"

enum { D_2024_01_01 = 19723, D_2024_01_03 = 19725 };

static const double point[] = {7, 14, 21, 28};
static double upper[4];
static struct demand_window window;

static struct stock_forecast example(void)
{
    static const double sigma[] = {2, 4, 6, 8};
    for (int k = 0; k < 4; k++)
        upper[k] = point[k] + 1.959963984540054 * sigma[k];
    demand_window_init(&window, DEMAND_WEEK, 52, D_2024_01_03);
    return (struct stock_forecast){.window = &window, .steps = 4, .point = point,
                                   .upper = upper, .upper_z = 1.959963984540054};
}

TEST(lead_time_is_the_median_of_the_latest_orders)
{
    struct stock_lead_time lt;
    const double odd[] = {10, 14, 12}, even[] = {10, 14}, seven[] = {1, 2, 3, 4, 5, 100, 100};
    const double bad[] = {-3, NAN, 9};
    stock_lead_time(odd, 3, 14, &lt);
    CHECK_NEAR(lt.days, 12, 0);
    CHECK_INT(lt.samples, 3);
    stock_lead_time(even, 2, 14, &lt);
    CHECK_NEAR(lt.days, 12, 0);
    stock_lead_time(seven, 7, 14, &lt); /* only the newest five count */
    CHECK_NEAR(lt.days, 3, 0);
    CHECK_INT(lt.samples, 5);
    stock_lead_time(NULL, 0, 21, &lt);
    CHECK_NEAR(lt.days, 21, 0);
    CHECK_INT(lt.samples, 0);
    stock_lead_time(bad, 3, 14, &lt);
    CHECK_NEAR(lt.days, 9, 0);
    CHECK_INT(lt.samples, 1);
}

TEST(steps_needed_cover_the_interval)
{
    struct demand_window w;
    demand_window_init(&w, DEMAND_WEEK, 52, D_2024_01_03);
    CHECK_INT(stock_steps_needed(&w, D_2024_01_03, 10), 2);  /* to Jan 13: weeks 1-2 */
    CHECK_INT(stock_steps_needed(&w, D_2024_01_03, 12), 2);  /* to Jan 15: Jan 14 ends week 2 */
    CHECK_INT(stock_steps_needed(&w, D_2024_01_03, 13), 3);
    CHECK_INT(stock_steps_needed(&w, D_2024_01_03, 0), 1);
}

TEST(demand_over_the_lead_time_is_prorated)
{
    struct stock_forecast f = example();
    double mean, var;
    stock_demand(&f, D_2024_01_03, D_2024_01_03 + 10, &mean, &var);
    CHECK_NEAR(mean, 15, 1e-9);
    CHECK_NEAR(var, 100.0 / 7, 1e-9);
    stock_demand(&f, D_2024_01_01, D_2024_01_01 + 28, &mean, &var); /* whole weeks */
    CHECK_NEAR(mean, 70, 1e-9);
    CHECK_NEAR(var, 4 + 16 + 36 + 64, 1e-9);
}

TEST(months_prorate_by_their_own_length)
{
    /* February 2024 has 29 days: 10 of them are 10/29 of its demand */
    struct demand_window w;
    const double p[] = {29, 31}, u[] = {29, 31};
    demand_window_init(&w, DEMAND_MONTH, 156, 19754 /* 2024-02-01 */);
    struct stock_forecast f = {.window = &w, .steps = 2, .point = p, .upper = u, .upper_z = 1.96};
    double mean, var;
    stock_demand(&f, 19754 + 19, 19754 + 29 + 5, &mean, &var);
    CHECK_NEAR(mean, 10 + 5, 1e-9);
    CHECK_NEAR(var, 0, 0);
}

TEST(reorder_point_and_review_demand)
{
    struct stock_forecast f = example();
    struct stock_policy policy = {.service_level = 0.95, .default_lead_days = 14,
                                  .review_days = 7};
    struct stock_lead_time lead = {.days = 10, .samples = 2};
    struct stock_plan plan;
    stock_plan(&policy, &f, D_2024_01_03, &lead, &plan);
    CHECK_NEAR(plan.lead_demand, 15, 1e-9);
    CHECK_NEAR(plan.lead_sigma, 3.7796447300922722, 1e-9);
    CHECK_NEAR(plan.safety, 6.2169623428802890, 1e-7);
    CHECK_NEAR(plan.reorder_point, 21.216962342880289, 1e-7);
    CHECK_NEAR(plan.review_demand, 19, 1e-9);
}

TEST(locations_share_demand_and_unplaced_stock)
{
    struct stock_plan plan = {.lead_demand = 15, .lead_sigma = 4, .safety = 6,
                              .reorder_point = 21, .review_demand = 19};
    struct stock_location loc[2] = {
        {.on_hand = 10, .allocated = 2, .on_order = 4, .demand = 30},
        {.on_hand = -3, .allocated = 0, .on_order = 0, .demand = 10},
    };
    stock_locations(&plan, 8, loc, 2);
    /* shares 3/4 and 1/4 of 40 units; unplaced 8 on order splits 6 / 2 */
    CHECK_NEAR(loc[0].share, 0.75, 0);
    CHECK_NEAR(loc[0].reorder_point, 15.75, 1e-12);
    CHECK_NEAR(loc[0].on_order_total, 10, 1e-12);
    CHECK_NEAR(loc[0].position, 18, 1e-12);          /* 10 - 2 + 10 */
    CHECK_INT(loc[0].suggested, 12);                  /* ceil(15.75 + 14.25 - 18) */
    CHECK_NEAR(loc[1].safety, 1.5, 1e-12);
    CHECK_NEAR(loc[1].position, -1, 1e-12);           /* oversold: -3 + 2 */
    CHECK_INT(loc[1].suggested, 11);                  /* ceil(5.25 + 4.75 - (-1)) */
}

TEST(whole_units_and_no_negative_orders)
{
    struct stock_plan plan = {.reorder_point = 0.1 + 0.2, .review_demand = 11.7};
    struct stock_location one = {.on_hand = 0, .demand = 0};
    stock_locations(&plan, 0, &one, 1);
    CHECK_NEAR(one.share, 1, 0);
    CHECK_INT(one.suggested, 12); /* 0.30000000000000004 + 11.7 is 12 units, not 13 */
    one.on_hand = 100;
    stock_locations(&plan, 0, &one, 1);
    CHECK_INT(one.suggested, 0);
    struct stock_location none[2] = {{.demand = 0}, {.demand = 0}}; /* equal shares */
    stock_locations(&plan, 0, none, 2);
    CHECK_NEAR(none[1].share, 0.5, 0);
}
