/*
 * worker/providers/provider.h: the rules every provider sync shares (Shopify, Xero,
 * Unleashed; shared/external-apis.md §4–6). Pure: no I/O, so every rule is
 * unit tested (tests/worker/providers/test_provider.c).
 *
 * - Verdicts: what an HTTP answer means for a sync page or a follow-up job.
 *     2xx                          → PROVIDER_OK
 *     429                          → PROVIDER_WAIT for Retry-After (seconds,
 *                                    fractional allowed) — no attempt spent
 *     401, 403                     → PROVIDER_UNAUTHORISED: the integration is
 *                                    marked so and the job goes dead
 *     5xx, 408, transport failure,
 *     timeout                      → PROVIDER_RETRY (backoff)
 *     any other 4xx                → PROVIDER_REJECTED (dead, with the reason)
 * - Dates: ISO-8601 with an offset or Z (Shopify, Xero UpdatedDateUTC
 *   strings), .NET "/Date(ms)/" and "/Date(ms+hhmm)/" (Xero, Unleashed), all
 *   to epoch milliseconds; epoch ms back to ISO-8601 UTC.
 * - Mapping helpers: read a provider record's fields into a row for
 *   jsonb_to_recordset, failing with a reason that names the record and the
 *   field. Money is never a double in a row: a JSON string is checked to be a
 *   decimal and kept as is; a JSON number (Xero, Unleashed) is printed with
 *   15 significant digits, which reproduces every decimal of up to 15
 *   significant digits exactly (a double carries 15.95) — more than any
 *   numeric(14, 2) column holds. Ids: JSON integers are int64 (jansson's
 *   json_int_t, never through a double), written as decimal text.
 */
#ifndef SENTIA_WORKER_PROVIDER_H
#define SENTIA_WORKER_PROVIDER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    PROVIDER_WAIT_MIN_MS = 100,       /* never hammer a provider that said 429 */
    PROVIDER_WAIT_MAX_MS = 600000,    /* nor park a job longer than 10 min on one answer */
    PROVIDER_WAIT_DEFAULT_MS = 2000,  /* 429 without a usable Retry-After */
    PROVIDER_MESSAGE_MAX = 256,       /* error text kept from an answer */
    PROVIDER_FIELD_MAX = 1024,        /* longest text field copied into a row */
    PROVIDER_DECIMAL_MAX = 40,        /* longest decimal text accepted */
};

enum provider_verdict {
    PROVIDER_OK,
    PROVIDER_WAIT,
    PROVIDER_RETRY,
    PROVIDER_UNAUTHORISED,
    PROVIDER_REJECTED,
};

struct provider_outcome {
    enum provider_verdict verdict;
    long status;                         /* 0 when no answer came */
    int64_t wait_ms;                     /* PROVIDER_WAIT */
    char message[PROVIDER_MESSAGE_MAX];  /* why, for logs and last_error */
};

/*
 * Judges an answer: status 0 = transport failure (error says why);
 * retry_after = the header's value or NULL; body (may be NULL) gives the
 * message of an error answer.
 */
void provider_judge(long status, const char *error, bool timed_out, const char *retry_after,
                    const char *body, size_t body_len, struct provider_outcome *out);

/* Retry-After (lib/http.h's http_retry_after_ms: fractional seconds or an
 * HTTP-date) → ms, clamped to [PROVIDER_WAIT_MIN_MS, PROVIDER_WAIT_MAX_MS];
 * -1 when absent or unreadable. */
int64_t provider_retry_after_ms(const char *value);

/* ---- dates ---------------------------------------------------------------- */

/* ISO-8601 "YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|±HH:MM|±HHMM]" (no zone = UTC)
 * → epoch ms. 0, or -1 when malformed. */
int provider_iso8601_ms(const char *s, int64_t *ms);
/* "/Date(1573755038314)/" or "/Date(1573755038314+0000)/" → epoch ms (the
 * offset only says how the sender displays it: the number is UTC). */
int provider_msdate_ms(const char *s, int64_t *ms);
/* Either form. */
int provider_date_ms(const char *s, int64_t *ms);
/* epoch ms → "YYYY-MM-DDTHH:MM:SS.mmmZ" (25 bytes with the NUL). */
void provider_format_iso(int64_t ms, char out[32]);
/* epoch ms → "YYYY-MM-DDTHH:MM:SS" (UTC, no zone; Xero's If-Modified-Since). */
void provider_format_plain(int64_t ms, char out[32]);

/* ---- mapping ---------------------------------------------------------------- */

/* Where a mapping failed: "<what> <n>: <field> <problem>". */
struct provider_map {
    const char *what;  /* "order", "invoice", … */
    size_t index;      /* record index within the page */
    bool failed;
    char why[PROVIDER_MESSAGE_MAX];
};

/* Records the first failure; always returns false. */
bool provider_map_fail(struct provider_map *m, const char *field, const char *problem);

/* The member `key` of obj as a JSON object, NULL (allowed when optional). */
json_t *provider_obj(struct provider_map *m, const json_t *obj, const char *key, bool required);
/* A non-empty string (≤ PROVIDER_FIELD_MAX), or NULL; required → failure. */
const char *provider_str(struct provider_map *m, const json_t *obj, const char *key,
                         bool required);
/* An id: a JSON integer (int64) or a non-empty string, as text into out. */
bool provider_id(struct provider_map *m, const json_t *obj, const char *key, bool required,
                 char out[48]);
/* A decimal: a JSON string holding a decimal, or a JSON number (see the
 * header comment). Writes text into out; absent and not required → "" and
 * true. */
bool provider_decimal(struct provider_map *m, const json_t *obj, const char *key,
                      bool required, char out[PROVIDER_DECIMAL_MAX + 1]);
/* A date (ISO-8601 or /Date()/) → ISO-8601 UTC text; absent/null and not
 * required → "" and true. */
bool provider_date(struct provider_map *m, const json_t *obj, const char *key, bool required,
                   char out[32]);

/*
 * Maps every record of `records` into a new array of rows: map(rec, ctx,
 * rows, m) returns the record's row (appended here), or `rows` itself when
 * it appended its own rows (a product's variants), or NULL for an unusable
 * record. Returns NULL and why ("<what> <i>: <field> <problem>") at the
 * first unusable record: a page is mapped whole or not at all.
 */
typedef json_t *(*provider_map_fn)(const json_t *rec, void *ctx, json_t *rows,
                                   struct provider_map *m);
json_t *provider_map_records(const json_t *records, const char *what, provider_map_fn map,
                             void *ctx, char *why, size_t why_size);

/* True for decimal text: [-]digits[.digits][e[±]digits]. */
bool provider_decimal_valid(const char *s);

/* Sets key to a string, or JSON null when s is NULL or "". */
void provider_set_text(json_t *row, const char *key, const char *s);

#endif
