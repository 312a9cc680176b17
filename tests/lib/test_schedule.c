/*
 * tests/lib/test_schedule.c: SCHEDULE parsing and slot arithmetic.
 */
#include "lib/schedule.h"

#include "tests/test.h"

TEST(parse_the_documented_example)
{
    struct schedule s;
    char why[256];
    CHECK_INT(schedule_parse("shopify.sync_orders@5m,xero.sync_invoices@15m,"
                             " unleashed.sync_stock@10m ,forecast.run@daily 02:00",
                             &s, why, sizeof why), 0);
    CHECK_INT(s.n, 4);
    CHECK_STR(s.entries[0].type, "shopify.sync_orders");
    CHECK_STR(s.entries[0].queue, "sync");
    CHECK_INT(s.entries[0].period_ms, 300000);
    CHECK_STR(s.entries[2].name, "unleashed.sync_stock@10m");
    CHECK_STR(s.entries[3].queue, "forecast");
    CHECK_INT(s.entries[3].period_ms, 86400000);
    CHECK_INT(s.entries[3].offset_ms, 7200000);
    CHECK_INT(schedule_parse("", &s, why, sizeof why), 0);
    CHECK_INT(s.n, 0);
    CHECK_INT(schedule_parse(NULL, &s, why, sizeof why), 0);
}

TEST(parse_errors)
{
    struct schedule s;
    char why[256];
    CHECK_INT(schedule_parse("a.b@5x", &s, why, sizeof why), -1);
    CHECK_INT(schedule_parse("a.b@0s", &s, why, sizeof why), -1);
    CHECK_INT(schedule_parse("a.b@daily 24:00", &s, why, sizeof why), -1);
    CHECK_INT(schedule_parse("a.b@weekly funday 01:00", &s, why, sizeof why), -1);
    CHECK_INT(schedule_parse("Bad@5m", &s, why, sizeof why), -1);
    CHECK_INT(schedule_parse("a.b", &s, why, sizeof why), -1);
    CHECK_INT(schedule_parse("a.b@5m,a.b@10m", &s, why, sizeof why), -1);
    CHECK_STR(why, "a.b is scheduled twice");
}

TEST(slots)
{
    struct schedule s;
    char why[256];
    CHECK_INT(schedule_parse("x.y@5m,f.g@daily 02:00,w.k@weekly mon 03:30", &s, why, sizeof why), 0);
    /* 2024-01-03 (a Wednesday) 10:07:30 UTC */
    int64_t now = 1704276450000LL;
    CHECK_INT(schedule_slot_start(&s.entries[0], now), 1704276300000LL); /* 10:05 */
    CHECK_INT(schedule_next_start(&s.entries[0], now), 1704276600000LL); /* 10:10 */
    CHECK_INT(schedule_slot_start(&s.entries[1], now), 1704247200000LL); /* 02:00 that day */
    CHECK_INT(schedule_slot_start(&s.entries[1], 1704240000000LL), 1704160800000LL); /* 00:00 → the day before */
    CHECK_INT(schedule_slot_start(&s.entries[2], now), 1704079800000LL); /* Mon 2024-01-01 03:30 */
    CHECK_INT(schedule_next_start(&s.entries[2], now), 1704684600000LL);
    CHECK_STR(schedule_queue_of("working_capital.compute"), "forecast");
}
