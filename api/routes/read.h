/*
 * api/routes/read.h: what every dashboard read shares (docs/API-CONTRACT.md)
 * so its handler is a parameter table, one SQL statement and a few lines:
 *
 * - Query parameters checked against the route's table: an undocumented
 *   name → 400 unknown_parameter, a repeated one or a bad value → 400
 *   invalid_parameter naming it. Values reach the handler decoded and
 *   NUL-terminated (in the request's pool), NULL when absent.
 * - Cursor paging: `cursor` is opaque base64url of "<filters>.<key>", where
 *   <filters> is a hash of every other parameter but `limit`, so a cursor
 *   replayed with other filters is refused (400). The handler's SQL reads
 *   the key text (read_arg of the cursor's slot) and answers the key of the
 *   page's last row when there are more.
 * - The statement runs on the thread's read-only pool (statement_timeout =
 *   API_QUERY_TIMEOUT_MS) and returns one row: column 0 the JSON body built
 *   by Postgres (json_build_object / json_agg), column 1 — paged routes —
 *   the next key or NULL, spliced in as "next_cursor". No row → 404.
 * - Answers: 200 with ETag and Cache-Control: private, max-age=0, or 304
 *   (api_respond_cached); no DATABASE_URL or Postgres down → 503
 *   database_unavailable (Retry-After: 5); statement_timeout or no answer →
 *   503 database_timeout (Retry-After: 1); a value Postgres cannot take
 *   (SQLSTATE class 22: a date out of range, a forged cursor) → 400.
 *
 * Lifetime: the wait record is malloc'ed and freed when the pool answers;
 * it reaches the request only through an api_pending guard, so an HTTP/2
 * reset while the query runs is harmless.
 */
#ifndef SENTIA_API_ROUTES_READ_H
#define SENTIA_API_ROUTES_READ_H

#include <stdbool.h>

#include "api/ctx.h"

enum {
    READ_ARGS_MAX = 12,    /* parameters of one route */
    READ_LIMIT_MAX = 200,  /* page size */
    READ_LIMIT_DEFAULT = 50,
    READ_CURSOR_MAX = 512, /* characters of a cursor */
};

enum read_kind {
    READ_TEXT,   /* 1..max bytes, printable */
    READ_BOOL,   /* true | false */
    READ_INT,    /* a decimal integer in [min, max] */
    READ_DATE,   /* YYYY-MM-DD */
    READ_TIME,   /* RFC 3339 date-time with Z or an offset */
    READ_ENUM,   /* one of values */
    READ_SOURCE, /* [a-z][a-z0-9_]{0,31} */
    READ_CURSOR, /* the opaque cursor; the handler sees the key text */
    READ_LIMIT,  /* 1..200, default 50 (always set) */
};

struct read_param {
    const char *name;
    enum read_kind kind;
    long long min, max;          /* READ_INT range; READ_TEXT max length */
    const char *const *values;   /* READ_ENUM: NULL-terminated */
};

/* A read on its way: the call and its checked parameters (in the pool). */
struct read {
    struct api_call *call;
    const struct read_param *params; /* the route's table, {NULL} ended */
    const char *arg[READ_ARGS_MAX];  /* by table index; NULL when absent */
    char filters[17];                /* hex hash of the filters, for cursors */
};

/*
 * Checks the query string against params into a struct read (in the
 * request's pool); NULL after answering 400.
 */
struct read *read_begin(struct api_call *call, const struct read_param *params);

/* The value of parameter `name` (NULL when absent). */
const char *read_arg(const struct read *r, const char *name);

/*
 * Checks that parameters `from` ≤ `to` when both are given (READ_DATE or
 * READ_TIME, offsets honoured); false after answering 400.
 */
bool read_range_ok(struct read *r, const char *from, const char *to);

/* µs since the epoch of a READ_TIME value, or of a READ_DATE at 00:00Z. */
long long read_time_us(const char *v);

/* Days since 1970-01-01 of a YYYY-MM-DD value; and back (out: 11 bytes). */
long long read_date_days(const char *v);
void read_date_text(long long days, char out[11]);

/* SQL rendering every timestamptz as the contract's RFC 3339 UTC text. */
#define READ_TS(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
/* A keyset position of a timestamptz (µs exact) for cursors. */
#define READ_TS_KEY(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define READ_DATE_SQL(x) "to_char(" x ", 'YYYY-MM-DD')"

/*
 * Runs sql with params (NUL-terminated, copied by the pool) and answers
 * (see above). paged: column 1 is the next key.
 */
void read_run(struct read *r, const char *sql, int nparams, const char *const *params,
              bool paged);

#endif
