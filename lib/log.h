/*
 * lib/log.h: JSON-lines logging (DESIGN.md §7).
 *
 * One JSON object per line, written with a single write(2) so lines from
 * several threads never interleave:
 *   {"ts":"2026-11-23T10:00:00.123Z","level":"info","service":"sentia-api",
 *    "msg":"…", <fields…>}
 * Levels below process.log_level are dropped before any formatting.
 *
 * PII: when process.pii_redaction is set, phone numbers and e-mail addresses
 * are masked in the message and in every string field, and LF_BODY fields
 * (message bodies) are replaced by their length. Strings are emitted as valid
 * JSON whatever their bytes: invalid UTF-8 becomes U+FFFD.
 *
 * Fields are passed as an array built by LOG_FIELDS(...) or NULL:
 *   log_info(LOG_FIELDS(LF_STR("request_id", rid), LF_INT("status", 200)),
 *            "request done");
 * The log functions copy what they need; the caller keeps ownership.
 */
#ifndef SENTIA_LIB_LOG_H
#define SENTIA_LIB_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/process.h" /* enum log_level, the policy the lines follow */

enum log_field_type {
    LOG_FIELD_END,
    LOG_FIELD_STR,  /* text; phones/e-mails masked under redaction */
    LOG_FIELD_BODY, /* message body; replaced by its length under redaction */
    LOG_FIELD_INT,
    LOG_FIELD_DBL,
    LOG_FIELD_BOOL,
};

struct log_field {
    const char *key; /* NULL ends the array */
    enum log_field_type type;
    union {
        const char *s;
        long long i;
        double d;
        bool b;
    } v;
};

#define LF_STR(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_STR, .v.s = (x)})
#define LF_BODY(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_BODY, .v.s = (x)})
#define LF_INT(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_INT, .v.i = (long long)(x)})
#define LF_DBL(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_DBL, .v.d = (double)(x)})
#define LF_BOOL(k, x) ((struct log_field){.key = (k), .type = LOG_FIELD_BOOL, .v.b = (x)})
#define LOG_FIELDS(...) ((const struct log_field[]){__VA_ARGS__, {.key = NULL}})

void log_emit(enum log_level level, const struct log_field *fields,
              const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_debug(fields, ...) log_emit(LOG_LEVEL_DEBUG, fields, __VA_ARGS__)
#define log_info(fields, ...) log_emit(LOG_LEVEL_INFO, fields, __VA_ARGS__)
#define log_warn(fields, ...) log_emit(LOG_LEVEL_WARN, fields, __VA_ARGS__)
#define log_error(fields, ...) log_emit(LOG_LEVEL_ERROR, fields, __VA_ARGS__)

/*
 * Lines collected and written together with one write(2): the API's access
 * log, flushed once per loop turn instead of one write per request. Lines
 * are formatted (level check, masking) as log_emit's; a line that does not
 * fit what is collected flushes it first. The buffers are kept between
 * flushes (no allocation per line once warm). One owner thread.
 */
enum { LOG_BATCH_MAX = 256 * 1024 };
/* The date and time text of the second `sec` (one thread's lines share it). */
struct log_stamp {
    long long sec; /* -1: none yet */
    char text[32];
};
struct log_batch {
    struct buf out, line, msg;
    struct log_stamp stamp;
};
void log_batch_init(struct log_batch *b);
void log_batch_emit(struct log_batch *b, enum log_level level, const struct log_field *fields,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool log_batch_empty(const struct log_batch *b);
void log_batch_flush(struct log_batch *b);
/* Flushes, then frees the buffers. */
void log_batch_dispose(struct log_batch *b);

/* True when a line at `level` would be written. */
bool log_enabled(enum log_level level);

/* "debug"/"info"/"warn"/"error" → level; returns 0, or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level level);

/*
 * Appends `s` (len bytes) to dst as the inside of a JSON string, masking PII
 * when `redact` is set. Exposed for the API's access log and for tests.
 * Returns 0, or -1 when dst's cap is reached.
 */
int log_json_string(struct buf *dst, const char *s, size_t len, bool redact);

#endif
