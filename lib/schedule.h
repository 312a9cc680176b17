/*
 * lib/schedule.h: the periodic-job specification (SCHEDULE) and its period
 * arithmetic, shared by the worker's scheduler (worker/core/scheduler.c) and
 * `sentia-queue schedules`. Pure.
 *
 * SCHEDULE is a comma-separated list of entries `<job type>@<when>`:
 *   @<n>s | @<n>m | @<n>h   every n seconds/minutes/hours, slots aligned to
 *                           the Unix epoch (so @5m fires at :00, :05, … UTC)
 *   @daily HH:MM            every day at HH:MM UTC
 *   @weekly DAY HH:MM       every week, DAY = mon … sun, at HH:MM UTC
 * e.g. "shopify.sync_orders@5m,xero.sync_invoices@15m,forecast.run@daily 02:00".
 *
 * Each entry's job goes to a queue chosen by its type: forecast.* and
 * working_capital.* → "forecast", everything else → "sync".
 *
 * Periods: every entry is (period_ms, offset_ms); the slot holding t starts
 * at floor((t − offset) / period) · period + offset, the next at that plus
 * period. An entry fires once per slot; a slot missed while nothing ran is
 * not replayed — the current one fires once on recovery.
 */
#ifndef SENTIA_LIB_SCHEDULE_H
#define SENTIA_LIB_SCHEDULE_H

#include <stddef.h>
#include <stdint.h>

enum {
    SCHEDULE_ENTRIES_MAX = 64,  /* entries in one SCHEDULE */
    SCHEDULE_TYPE_MAX = 64,     /* job type length */
    SCHEDULE_NAME_MAX = 96,     /* "<type>@<when>" */
    SCHEDULE_MIN_PERIOD_MS = 1000,
};

struct schedule_entry {
    char name[SCHEDULE_NAME_MAX + 1]; /* the entry as written, trimmed */
    char type[SCHEDULE_TYPE_MAX + 1];
    const char *queue;                /* static: "sync" or "forecast" */
    int64_t period_ms;
    int64_t offset_ms;                /* from the epoch, in [0, period) */
};

struct schedule {
    struct schedule_entry entries[SCHEDULE_ENTRIES_MAX];
    size_t n;
};

/* Parses SCHEDULE ("" or NULL = no entries). 0, or -1 and why (into why). */
int schedule_parse(const char *text, struct schedule *out, char *why, size_t why_size);
/* The queue an entry's type goes to. */
const char *schedule_queue_of(const char *type);
/* Start (epoch ms) of the slot holding now_ms. */
int64_t schedule_slot_start(const struct schedule_entry *e, int64_t now_ms);
/* Start of the slot after the one holding now_ms. */
int64_t schedule_next_start(const struct schedule_entry *e, int64_t now_ms);

#endif
