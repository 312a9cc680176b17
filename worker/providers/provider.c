/*
 * worker/providers/provider.c: verdicts, dates and mapping helpers shared by the
 * provider syncs (see provider.h).
 */
#include "worker/providers/provider.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/http.h"

/* ---- verdicts ------------------------------------------------------------- */

int64_t provider_retry_after_ms(const char *value)
{
    return http_retry_after_ms(value, clock_wall_ms(), PROVIDER_WAIT_MIN_MS, PROVIDER_WAIT_MAX_MS);
}

/* The start of an error answer's body as one printable line. */
static void provider_body_excerpt(const char *body, size_t len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; body && i < len && n + 1 < size && n < 160; i++)
        out[n++] = isprint((unsigned char)body[i]) ? body[i] : ' ';
    out[n] = '\0';
}

void provider_judge(long status, const char *error, bool timed_out, const char *retry_after,
                    const char *body, size_t body_len, struct provider_outcome *out)
{
    char excerpt[200];
    memset(out, 0, sizeof *out);
    out->status = status;
    if (status == 0) {
        out->verdict = PROVIDER_RETRY;
        snprintf(out->message, sizeof out->message, "%s",
                 timed_out ? "timeout" : error ? error : "transfer failed");
        return;
    }
    provider_body_excerpt(body, body_len, excerpt, sizeof excerpt);
    if (status >= 200 && status < 300) {
        out->verdict = PROVIDER_OK;
    } else if (status == 429) {
        out->verdict = PROVIDER_WAIT;
        out->wait_ms = provider_retry_after_ms(retry_after);
        if (out->wait_ms < 0)
            out->wait_ms = PROVIDER_WAIT_DEFAULT_MS;
        snprintf(out->message, sizeof out->message, "HTTP 429 (retry after %lld ms)",
                 (long long)out->wait_ms);
    } else if (status == 401 || status == 403) {
        out->verdict = PROVIDER_UNAUTHORISED;
        snprintf(out->message, sizeof out->message, "HTTP %ld: %s", status, excerpt);
    } else if (status >= 500 || status == 408) {
        out->verdict = PROVIDER_RETRY;
        snprintf(out->message, sizeof out->message, "HTTP %ld: %s", status, excerpt);
    } else {
        out->verdict = PROVIDER_REJECTED;
        snprintf(out->message, sizeof out->message, "HTTP %ld: %s", status, excerpt);
    }
}

/* ---- dates ------------------------------------------------------------------- */

/* Reads exactly n digits at *p into *v; advances. */
static bool provider_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

/* "Z", "", "±HH:MM" or "±HHMM" → offset seconds east of UTC. */
static bool provider_zone(const char *p, long *offset_s)
{
    int hh, mm;
    *offset_s = 0;
    if (*p == '\0' || (p[0] == 'Z' && p[1] == '\0'))
        return true;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p == '-' ? -1 : 1;
    p++;
    if (!provider_digits(&p, 2, &hh))
        return false;
    if (*p == ':')
        p++;
    if (!provider_digits(&p, 2, &mm) || *p != '\0' || hh > 23 || mm > 59)
        return false;
    *offset_s = sign * (hh * 3600L + mm * 60L);
    return true;
}

/* The time part "HH:MM[:SS[.fff…]]"; advances p. */
static bool provider_clock(const char **p, struct tm *tm, int *ms)
{
    int frac = 0, scale = 100;
    if (!provider_digits(p, 2, &tm->tm_hour) || **p != ':')
        return false;
    (*p)++;
    if (!provider_digits(p, 2, &tm->tm_min))
        return false;
    if (**p == ':') {
        (*p)++;
        if (!provider_digits(p, 2, &tm->tm_sec))
            return false;
        if (**p == '.') {
            (*p)++;
            if (!isdigit((unsigned char)**p))
                return false;
            for (; isdigit((unsigned char)**p); (*p)++, scale /= 10)
                frac += scale > 0 ? (**p - '0') * scale : 0;
        }
    }
    *ms = frac;
    return tm->tm_hour <= 23 && tm->tm_min <= 59 && tm->tm_sec <= 60;
}

int provider_iso8601_ms(const char *s, int64_t *ms)
{
    struct tm tm = {0};
    int y, mo, d, frac = 0;
    long offset = 0;
    const char *p = s;
    if (s == NULL || !provider_digits(&p, 4, &y) || *p++ != '-' ||
        !provider_digits(&p, 2, &mo) || *p++ != '-' || !provider_digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!provider_clock(&p, &tm, &frac))
            return -1;
    }
    if (!provider_zone(p, &offset))
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    time_t t = timegm(&tm);
    *ms = ((int64_t)t - offset) * 1000 + frac;
    return 0;
}

int provider_msdate_ms(const char *s, int64_t *ms)
{
    static const char head[] = "/Date(";
    if (s == NULL || strncmp(s, head, sizeof head - 1) != 0)
        return -1;
    const char *p = s + sizeof head - 1;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(p, &end, 10);
    if (errno != 0 || end == p)
        return -1;
    p = end;
    if (*p == '+' || *p == '-') { /* display offset: four digits */
        int off;
        p++;
        if (!provider_digits(&p, 4, &off))
            return -1;
    }
    if (strcmp(p, ")/") != 0)
        return -1;
    *ms = v;
    return 0;
}

int provider_date_ms(const char *s, int64_t *ms)
{
    if (s != NULL && s[0] == '/')
        return provider_msdate_ms(s, ms);
    return provider_iso8601_ms(s, ms);
}

static void provider_split(int64_t ms, struct tm *tm, int *frac)
{
    int64_t sec = ms / 1000;
    *frac = (int)(ms % 1000);
    if (*frac < 0) {
        *frac += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    gmtime_r(&t, tm);
}

/* "YYYY-MM-DDTHH:MM:SS" (UTC) into out; *frac gets the milliseconds. */
static void provider_format_seconds(int64_t ms, char out[32], int *frac)
{
    struct tm tm;
    provider_split(ms, &tm, frac);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
}

void provider_format_iso(int64_t ms, char out[32])
{
    int frac;
    char sec[32];
    provider_format_seconds(ms, sec, &frac);
    snprintf(out, 32, "%.19s.%03dZ", sec, frac % 1000);
}

void provider_format_plain(int64_t ms, char out[32])
{
    int frac;
    provider_format_seconds(ms, out, &frac);
}

/* ---- mapping ------------------------------------------------------------------- */

bool provider_map_fail(struct provider_map *m, const char *field, const char *problem)
{
    if (!m->failed) {
        m->failed = true;
        snprintf(m->why, sizeof m->why, "%s %zu: %s %s", m->what, m->index, field, problem);
    }
    return false;
}

json_t *provider_obj(struct provider_map *m, const json_t *obj, const char *key, bool required)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_object(v))
        return v;
    if (required || (v != NULL && !json_is_null(v)))
        provider_map_fail(m, key, v ? "is not an object" : "is missing");
    return NULL;
}

const char *provider_str(struct provider_map *m, const json_t *obj, const char *key,
                         bool required)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (required)
            provider_map_fail(m, key, "is missing");
        return NULL;
    }
    if (!json_is_string(v)) {
        provider_map_fail(m, key, "is not a string");
        return NULL;
    }
    const char *s = json_string_value(v);
    if (json_string_length(v) > PROVIDER_FIELD_MAX) {
        provider_map_fail(m, key, "is too long");
        return NULL;
    }
    if (s[0] == '\0' || strlen(s) != json_string_length(v)) {
        if (required)
            provider_map_fail(m, key, "is empty or holds a NUL");
        return NULL;
    }
    return s;
}

bool provider_id(struct provider_map *m, const json_t *obj, const char *key, bool required,
                 char out[48])
{
    json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (json_is_integer(v)) {
        snprintf(out, 48, "%lld", (long long)json_integer_value(v));
        return true;
    }
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 48) {
        const char *s = json_string_value(v);
        for (const char *p = s; *p; p++)
            if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
                return provider_map_fail(m, key, "is not an id");
        snprintf(out, 48, "%s", s);
        return true;
    }
    if ((v == NULL || json_is_null(v)) && !required)
        return true;
    return provider_map_fail(m, key, v == NULL || json_is_null(v) ? "is missing" : "is not an id");
}

/* Past one or more digits at p; NULL when p holds none. */
static const char *provider_skip_digits(const char *p)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    while (isdigit((unsigned char)*p))
        p++;
    return p;
}

bool provider_decimal_valid(const char *s)
{
    const char *p = s;
    if (s == NULL || strlen(s) > PROVIDER_DECIMAL_MAX)
        return false;
    if (*p == '-' || *p == '+')
        p++;
    if ((p = provider_skip_digits(p)) == NULL)
        return false;
    if (*p == '.' && (p = provider_skip_digits(p + 1)) == NULL)
        return false;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        if ((p = provider_skip_digits(p)) == NULL)
            return false;
    }
    return *p == '\0';
}

bool provider_decimal(struct provider_map *m, const json_t *obj, const char *key,
                      bool required, char out[PROVIDER_DECIMAL_MAX + 1])
{
    json_t *v = json_object_get(obj, key);
    out[0] = '\0';
    if (v == NULL || json_is_null(v))
        return required ? provider_map_fail(m, key, "is missing") : true;
    if (json_is_integer(v)) {
        snprintf(out, PROVIDER_DECIMAL_MAX + 1, "%lld", (long long)json_integer_value(v));
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!isfinite(d))
            return provider_map_fail(m, key, "is not a finite number");
        snprintf(out, PROVIDER_DECIMAL_MAX + 1, "%.15g", d);
        return true;
    }
    if (json_is_string(v) && provider_decimal_valid(json_string_value(v))) {
        snprintf(out, PROVIDER_DECIMAL_MAX + 1, "%s", json_string_value(v));
        return true;
    }
    return provider_map_fail(m, key, "is not a decimal");
}

bool provider_date(struct provider_map *m, const json_t *obj, const char *key, bool required,
                   char out[32])
{
    json_t *v = json_object_get(obj, key);
    int64_t ms;
    out[0] = '\0';
    if (v == NULL || json_is_null(v))
        return required ? provider_map_fail(m, key, "is missing") : true;
    if (!json_is_string(v) || provider_date_ms(json_string_value(v), &ms) != 0)
        return provider_map_fail(m, key, "is not a date");
    provider_format_iso(ms, out);
    return true;
}

void provider_set_text(json_t *row, const char *key, const char *s)
{
    json_object_set_new(row, key, s && s[0] ? json_string(s) : json_null());
}

json_t *provider_map_records(const json_t *records, const char *what, provider_map_fn map,
                             void *ctx, char *why, size_t why_size)
{
    struct provider_map m = {.what = what};
    json_t *rows = json_array(), *rec;
    size_t i;
    json_array_foreach(records, i, rec) {
        m.index = i;
        json_t *row = map(rec, ctx, rows, &m);
        if (row == NULL) {
            snprintf(why, why_size, "%s", m.why);
            json_decref(rows);
            return NULL;
        }
        if (row != rows)
            json_array_append_new(rows, row);
    }
    return rows;
}
