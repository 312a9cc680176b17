/*
 * worker/planning/demand.h: demand histories for forecasting — calendar buckets, the
 * history window of a forecast run, and one SKU's zero-filled history.
 *
 * Days are whole UTC days counted from 1970-01-01, as Postgres' `date - DATE
 * '1970-01-01'` counts them. A bucket is a UTC day, a week starting on Monday
 * (ISO, as date_trunc('week') gives) or a calendar month, and is named by the
 * day it starts on.
 *
 * Window of a run looking from day `today`: the origin is the start of the
 * bucket holding today — the current, incomplete bucket, which is the first
 * forecast step and never part of the history — and the history is the n
 * complete buckets before it (demand_window_buckets).
 *
 * A SKU's history runs from its first bucket with demand in the window to
 * the bucket before the origin, empty buckets filled with 0; a SKU without
 * demand in the window gets the whole window of zeros. A bucket holding
 * more than DEMAND_MAX_UNITS units is implausible (the mark of a corrupt
 * order line, such as a quantity of 2^31 - 1 from a provider's overflow) and
 * makes the history unusable rather than steering a forecast and a reorder
 * suggestion.
 *
 * Pure: no I/O, no allocation, no global state; safe on any thread.
 */
#ifndef SENTIA_WORKER_DEMAND_H
#define SENTIA_WORKER_DEMAND_H

#include <stddef.h>
#include <stdint.h>

/* A billion units of one SKU in one bucket is no manufacturer's demand. */
#define DEMAND_MAX_UNITS 1e9

enum demand_bucket { DEMAND_DAY, DEMAND_WEEK, DEMAND_MONTH };

struct demand_window {
    enum demand_bucket bucket;
    int64_t first;  /* start day of the oldest bucket of the history */
    int64_t origin; /* start day of the current bucket (first forecast step) */
    size_t n;       /* buckets from first up to, not including, origin */
};

/* "day" | "week" | "month" (Postgres date_trunc units) → 0, else -1. */
int demand_bucket_parse(const char *name, enum demand_bucket *out);
const char *demand_bucket_name(enum demand_bucket b);
/* Seasonal period given to the engine: 7 for days, 52 for weeks, 12 for months. */
int demand_period(enum demand_bucket b);

/* Start day of the bucket holding `day`. */
int64_t demand_bucket_start(enum demand_bucket b, int64_t day);
/* Start day of the bucket k buckets after the one holding `day` (k may be < 0). */
int64_t demand_bucket_add(enum demand_bucket b, int64_t day, int64_t k);

/* History length for `history_weeks` weeks: that many weeks, 7 times as many
 * days, or the whole months in that many days (35 for 156 weeks). */
size_t demand_window_buckets(enum demand_bucket b, int history_weeks);
void demand_window_init(struct demand_window *w, enum demand_bucket b, int history_weeks,
                        int64_t today);

/* The UTC day of a time in ms since the epoch. */
int64_t demand_day_from_ms(int64_t epoch_ms);
/* Writes "YYYY-MM-DD" (11 bytes with the NUL) for `day`. */
void demand_day_format(int64_t day, char out[11]);

/*
 * Builds one SKU's history in out[0..*n-1] (out holds w->n values) from its
 * k non-empty buckets: days[i] the start day of a bucket in the window,
 * qty[i] its units (a bucket may appear more than once; units add up).
 * Returns 0, or -1 with a reason in why (a bucket outside the window or not
 * a bucket start, a negative, non-finite or implausible quantity).
 */
int demand_history(const struct demand_window *w, const int64_t *days, const double *qty,
                   size_t k, double *out, size_t *n, char *why, size_t why_size);

#endif
