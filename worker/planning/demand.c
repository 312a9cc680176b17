/*
 * worker/planning/demand.c: calendar buckets and SKU demand histories (demand.h).
 *
 * Calendar arithmetic is done on day numbers with Howard Hinnant's
 * civil-from-days algorithms (proleptic Gregorian, exact for any int64 day
 * a database holds), so nothing depends on the C library's time zone or
 * locale and every thread may call it.
 */
#include "worker/planning/demand.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* 1970-01-01 was a Thursday: day 3 + k*7 is a Monday (day -3, 1969-12-29). */
enum { DEMAND_MONDAY_OFFSET = 3 };

/* ---- calendar ------------------------------------------------------------ */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Day number of year-month-day (month 1..12). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Year, month (1..12) and day of a day number. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Months since year 0 of the month holding `day`. */
static int64_t month_ordinal(int64_t day)
{
    int64_t y;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    return y * 12 + (m - 1);
}

/* Position of the bucket holding `day` on the bucket axis. */
static int64_t bucket_ordinal(enum demand_bucket b, int64_t day)
{
    switch (b) {
    case DEMAND_DAY:
        return day;
    case DEMAND_WEEK:
        return floor_div(day + DEMAND_MONDAY_OFFSET, 7);
    case DEMAND_MONTH:
        break;
    }
    return month_ordinal(day);
}

/* Start day of the bucket at position `ord` (the inverse of bucket_ordinal). */
static int64_t bucket_from_ordinal(enum demand_bucket b, int64_t ord)
{
    switch (b) {
    case DEMAND_DAY:
        return ord;
    case DEMAND_WEEK:
        return ord * 7 - DEMAND_MONDAY_OFFSET;
    case DEMAND_MONTH:
        break;
    }
    return days_from_civil(floor_div(ord, 12), (int)(ord - floor_div(ord, 12) * 12) + 1, 1);
}

/* ---- API ----------------------------------------------------------------- */

int demand_bucket_parse(const char *name, enum demand_bucket *out)
{
    static const enum demand_bucket all[] = {DEMAND_DAY, DEMAND_WEEK, DEMAND_MONTH};
    for (size_t i = 0; name && i < sizeof all / sizeof *all; i++)
        if (strcmp(name, demand_bucket_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return -1;
}

const char *demand_bucket_name(enum demand_bucket b)
{
    return b == DEMAND_DAY ? "day" : b == DEMAND_WEEK ? "week" : "month";
}

int demand_period(enum demand_bucket b)
{
    return b == DEMAND_DAY ? 7 : b == DEMAND_WEEK ? 52 : 12;
}

int64_t demand_bucket_start(enum demand_bucket b, int64_t day)
{
    return bucket_from_ordinal(b, bucket_ordinal(b, day));
}

int64_t demand_bucket_add(enum demand_bucket b, int64_t day, int64_t k)
{
    return bucket_from_ordinal(b, bucket_ordinal(b, day) + k);
}

size_t demand_window_buckets(enum demand_bucket b, int history_weeks)
{
    size_t weeks = history_weeks > 0 ? (size_t)history_weeks : 0;
    if (b == DEMAND_DAY)
        return weeks * 7;
    if (b == DEMAND_WEEK)
        return weeks;
    return weeks * 7 * 12 / 365; /* whole months: 365/12 days each */
}

void demand_window_init(struct demand_window *w, enum demand_bucket b, int history_weeks,
                        int64_t today)
{
    w->bucket = b;
    w->n = demand_window_buckets(b, history_weeks);
    w->origin = demand_bucket_start(b, today);
    w->first = demand_bucket_add(b, today, -(int64_t)w->n);
}

int64_t demand_day_from_ms(int64_t epoch_ms)
{
    return floor_div(epoch_ms, 86400000);
}

void demand_day_format(int64_t day, char out[11])
{
    int64_t y;
    int m, d;
    civil_from_days(day, &y, &m, &d);
    if (y < 0 || y > 9999)
        y = y < 0 ? 0 : 9999; /* out of any date a database holds */
    snprintf(out, 11, "%04d-%02d-%02d", (int)y, m, d);
}

int demand_history(const struct demand_window *w, const int64_t *days, const double *qty,
                   size_t k, double *out, size_t *n, char *why, size_t why_size)
{
    int64_t base = bucket_ordinal(w->bucket, w->first);
    size_t start = w->n;
    char date[11];
    memset(out, 0, w->n * sizeof *out);
    for (size_t i = 0; i < k; i++) {
        int64_t idx = bucket_ordinal(w->bucket, days[i]) - base;
        demand_day_format(days[i], date);
        if (idx < 0 || (uint64_t)idx >= w->n ||
            demand_bucket_start(w->bucket, days[i]) != days[i]) {
            snprintf(why, why_size, "bucket %s is not a %s of the history window", date,
                     demand_bucket_name(w->bucket));
            return -1;
        }
        bool bad = !isfinite(qty[i]) || qty[i] < 0;
        out[idx] += qty[i];
        if (bad || out[idx] > DEMAND_MAX_UNITS) {
            snprintf(why, why_size,
                     "%s of %s: %.17g units is outside 0..%.0f (a corrupt order line?)",
                     demand_bucket_name(w->bucket), date, bad ? qty[i] : out[idx],
                     DEMAND_MAX_UNITS);
            return -1;
        }
        if (qty[i] > 0 && (size_t)idx < start)
            start = (size_t)idx;
    }
    if (start == w->n) { /* no demand: the whole window of zeros */
        *n = w->n;
        return 0;
    }
    memmove(out, out + start, (w->n - start) * sizeof *out);
    *n = w->n - start;
    return 0;
}
