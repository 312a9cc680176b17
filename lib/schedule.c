/*
 * lib/schedule.c: SCHEDULE parsing and slot arithmetic (see schedule.h).
 */
#include "lib/schedule.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    SCHEDULE_DAY_MS = 86400000,
    SCHEDULE_MONDAY_MS = 4 * SCHEDULE_DAY_MS, /* 1970-01-05 was a Monday */
};

const char *schedule_queue_of(const char *type)
{
    if (strncmp(type, "forecast.", 9) == 0 || strncmp(type, "working_capital.", 16) == 0)
        return "forecast";
    return "sync";
}

/* "HH:MM" → ms after midnight; -1 if malformed. */
static int64_t schedule_clock(const char *s)
{
    int h, m;
    char tail;
    if (strlen(s) != 5 || sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || !isdigit((unsigned char)s[0]) ||
        s[2] != ':' || h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    return (int64_t)h * 3600000 + (int64_t)m * 60000;
}

static int schedule_weekday(const char *s)
{
    static const char *const days[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    for (int i = 0; i < 7; i++)
        if (strcmp(s, days[i]) == 0)
            return i;
    return -1;
}

/* "<n><unit>" → period ms; -1 if malformed. */
static int64_t schedule_interval(const char *s)
{
    char *end = NULL;
    long long n = strtoll(s, &end, 10);
    if (end == s || n <= 0 || n > 100000 || end[0] == '\0' || end[1] != '\0')
        return -1;
    switch (end[0]) {
    case 's':
        return n * 1000;
    case 'm':
        return n * 60000;
    case 'h':
        return n * 3600000;
    default:
        return -1;
    }
}

/* The "<when>" part into e; 0 or -1. */
static int schedule_when(const char *when, struct schedule_entry *e)
{
    char word[16], a[16], b[16], tail[2];
    int n = sscanf(when, "%15s %15s %15s %1s", word, a, b, tail);
    if (n == 1) {
        e->period_ms = schedule_interval(word);
        e->offset_ms = 0;
        return e->period_ms >= SCHEDULE_MIN_PERIOD_MS ? 0 : -1;
    }
    if (n == 2 && strcmp(word, "daily") == 0) {
        e->period_ms = SCHEDULE_DAY_MS;
        e->offset_ms = schedule_clock(a);
        return e->offset_ms >= 0 ? 0 : -1;
    }
    if (n == 3 && strcmp(word, "weekly") == 0) {
        int day = schedule_weekday(a);
        int64_t clock = schedule_clock(b);
        if (day < 0 || clock < 0)
            return -1;
        e->period_ms = 7LL * SCHEDULE_DAY_MS;
        e->offset_ms = (SCHEDULE_MONDAY_MS + (int64_t)day * SCHEDULE_DAY_MS + clock) % e->period_ms;
        return 0;
    }
    return -1;
}

static bool schedule_type_ok(const char *t, size_t n)
{
    if (n == 0 || n > SCHEDULE_TYPE_MAX || !islower((unsigned char)t[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)t[i]) && !isdigit((unsigned char)t[i]) && t[i] != '.' &&
            t[i] != '_')
            return false;
    return true;
}

/* One trimmed entry; 0 or -1 with why. */
static int schedule_entry_parse(const char *s, size_t len, struct schedule_entry *e, char *why,
                                size_t why_size)
{
    while (len && isspace((unsigned char)*s))
        s++, len--;
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    const char *at = memchr(s, '@', len);
    if (len == 0 || len > SCHEDULE_NAME_MAX || at == NULL ||
        !schedule_type_ok(s, (size_t)(at - s))) {
        snprintf(why, why_size, "entry \"%.*s\" is not <job type>@<when>", (int)(len > 64 ? 64 : len), s);
        return -1;
    }
    snprintf(e->name, sizeof e->name, "%.*s", (int)len, s);
    snprintf(e->type, sizeof e->type, "%.*s", (int)(at - s), s);
    e->queue = schedule_queue_of(e->type);
    if (schedule_when(e->name + (at - s) + 1, e) != 0) {
        snprintf(why, why_size, "entry \"%s\": when must be @<n>s|m|h (at least 1 s), "
                 "@daily HH:MM or @weekly mon..sun HH:MM", e->name);
        return -1;
    }
    return 0;
}

int schedule_parse(const char *text, struct schedule *out, char *why, size_t why_size)
{
    out->n = 0;
    for (const char *p = text; p && *p;) {
        size_t len = strcspn(p, ",");
        bool blank = true;
        for (size_t i = 0; i < len; i++)
            blank = blank && isspace((unsigned char)p[i]);
        if (!blank) {
            if (out->n == SCHEDULE_ENTRIES_MAX) {
                snprintf(why, why_size, "more than %d entries", SCHEDULE_ENTRIES_MAX);
                return -1;
            }
            if (schedule_entry_parse(p, len, &out->entries[out->n], why, why_size) != 0)
                return -1;
            for (size_t i = 0; i < out->n; i++)
                if (strcmp(out->entries[i].type, out->entries[out->n].type) == 0) {
                    snprintf(why, why_size, "%s is scheduled twice", out->entries[i].type);
                    return -1;
                }
            out->n++;
        }
        p += len + (p[len] == ',');
    }
    return 0;
}

/* floor division for possibly negative numerators */
static int64_t schedule_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t schedule_slot_start(const struct schedule_entry *e, int64_t now_ms)
{
    return schedule_floor_div(now_ms - e->offset_ms, e->period_ms) * e->period_ms + e->offset_ms;
}

int64_t schedule_next_start(const struct schedule_entry *e, int64_t now_ms)
{
    return schedule_slot_start(e, now_ms) + e->period_ms;
}
