/*
 * lib/log.c: JSON-lines logger with PII masking (see log.h).
 *
 * A line is built in a capped buffer and written with one write(2). Masking
 * works on a private copy of each string and only ever replaces ASCII bytes
 * with '*', so UTF-8 sequences around a match stay intact.
 */
#include "lib/log.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/process.h"
#include "lib/utf8.h"

/* A log line never exceeds this: a runaway field must not flood stdout. */
enum { LOG_LINE_MAX = 64 * 1024 };
/* Longer string values are cut here (bytes), with a marker. */
enum { LOG_VALUE_MAX = 8 * 1024 };

/* ---- PII masking -------------------------------------------------------- */

/* Address characters; bytes >= 0x80 are UTF-8 of internationalised ones. */
static bool log_is_email_local(unsigned char c)
{
    return isalnum(c) || c >= 0x80 || c == '.' || c == '_' || c == '%' ||
           c == '+' || c == '-';
}

static bool log_is_email_domain(unsigned char c)
{
    return isalnum(c) || c >= 0x80 || c == '.' || c == '-';
}

/* Masks the local part of every address (keeps its first character). */
static void log_mask_emails(char *s, size_t len)
{
    for (size_t at = 1; at + 1 < len; at++) {
        if (s[at] != '@')
            continue;
        size_t start = at, end = at + 1;
        while (start > 0 && log_is_email_local((unsigned char)s[start - 1]))
            start--;
        while (end < len && log_is_email_domain((unsigned char)s[end]))
            end++;
        const char *dot = memchr(s + at + 1, '.', end - at - 1);
        if (start == at || dot == NULL || dot == s + at + 1 || s[end - 1] == '.')
            continue;
        for (size_t i = start + 1; i < at; i++)
            s[i] = '*';
        at = end;
    }
}

static bool log_is_phone_sep(char c)
{
    return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

/*
 * Length of a phone number starting at s[i] (0 if none): '+' then 7–15 digits
 * with at most two separators in a row ("+1 (415) 555-0134"), or a bare run
 * of 10–15 digits (a WhatsApp id).
 * Dates and times never match: they carry no '+' and no 10-digit run.
 */
static size_t log_phone_len(const char *s, size_t len, size_t i)
{
    bool plus = s[i] == '+';
    size_t j = plus ? i + 1 : i, digits = 0, end = j, seps = 0;
    while (j < len) {
        if (isdigit((unsigned char)s[j])) {
            digits++;
            seps = 0;
            end = ++j;
        } else if (plus && digits > 0 && log_is_phone_sep(s[j]) && seps < 2) {
            seps++;
            j++;
        } else {
            break;
        }
    }
    if (end < len && isalnum((unsigned char)s[end]))
        return 0;
    if (plus ? (digits < 7 || digits > 15) : (digits < 10 || digits > 15))
        return 0;
    return end - i;
}

/* Masks all but the last two digits of every phone number in s. */
static void log_mask_phones(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        bool start = s[i] == '+' || isdigit((unsigned char)s[i]);
        if (!start || (i > 0 && isalnum((unsigned char)s[i - 1])))
            continue;
        size_t n = log_phone_len(s, len, i);
        if (n == 0) {
            while (i + 1 < len && isdigit((unsigned char)s[i + 1]))
                i++;
            continue;
        }
        size_t digits = 0, masked = 0;
        for (size_t j = i; j < i + n; j++)
            digits += isdigit((unsigned char)s[j]) != 0;
        for (size_t j = i; j < i + n && masked + 2 < digits; j++)
            if (isdigit((unsigned char)s[j])) {
                s[j] = '*';
                masked++;
            }
        i += n - 1;
    }
}

/* ---- JSON text ---------------------------------------------------------- */

/* Bytes that go into a JSON string as they are: printable ASCII but '"' and '\\'. */
static bool log_json_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* One byte or sequence at p[0] that is not plain: escaped, or UTF-8 checked. *used = bytes read. */
static int log_json_escape_one(struct buf *dst, const unsigned char *p, size_t avail, size_t *used)
{
    unsigned char c = p[0];
    *used = 1;
    if (c == '"' || c == '\\') {
        char esc[2] = {'\\', (char)c};
        return buf_append(dst, esc, 2);
    }
    if (c == '\n')
        return buf_puts(dst, "\\n");
    if (c == '\r')
        return buf_puts(dst, "\\r");
    if (c == '\t')
        return buf_puts(dst, "\\t");
    if (c < 0x20 || c == 0x7f)
        return buf_printf(dst, "\\u%04x", c);
    size_t n = utf8_char_len(p, avail);
    if (n == 0)
        return buf_puts(dst, "\\ufffd");
    *used = n;
    return buf_append(dst, p, n);
}

/* Runs of plain bytes are appended in one piece (a log line is mostly such runs). */
static int log_json_escape(struct buf *dst, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && log_json_plain(p[run]))
            run++;
        if (run > i && buf_append(dst, p + i, run - i) != 0)
            return -1;
        i = run;
        if (i == len)
            break;
        size_t used = 0;
        if (log_json_escape_one(dst, p + i, len - i, &used) != 0)
            return -1;
        i += used;
    }
    return 0;
}

int log_json_string(struct buf *dst, const char *s, size_t len, bool redact)
{
    if (!redact)
        return log_json_escape(dst, s, len);
    char small[256]; /* most values (ids, routes, messages) fit: no heap copy */
    char *copy = len < sizeof small ? small : mem_alloc(len + 1);
    memcpy(copy, s, len);
    copy[len] = '\0';
    len = strlen(copy);
    log_mask_emails(copy, len);
    log_mask_phones(copy, len);
    int rc = log_json_escape(dst, copy, len);
    if (copy != small)
        free(copy);
    return rc;
}

/* ---- lines -------------------------------------------------------------- */

/*
 * {"ts":"…Z" — the date and time text is kept in `stamp` (when given) and
 * remade only when the second changes: a busy thread's access log writes
 * thousands of lines a second.
 */
static void log_timestamp(struct buf *b, struct log_stamp *stamp)
{
    struct log_stamp local = {.sec = -1};
    struct log_stamp *st = stamp ? stamp : &local;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (st->sec != (long long)ts.tv_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        strftime(st->text, sizeof st->text, "%Y-%m-%dT%H:%M:%S", &tm);
        st->sec = (long long)ts.tv_sec;
    }
    buf_printf(b, "{\"ts\":\"%s.%03ldZ\"", st->text, ts.tv_nsec / 1000000);
}

static void log_string_value(struct buf *b, const char *s, bool redact)
{
    size_t len = s ? strlen(s) : 0;
    if (s == NULL) {
        buf_puts(b, "null");
        return;
    }
    buf_putc(b, '"');
    log_json_string(b, s, len > LOG_VALUE_MAX ? LOG_VALUE_MAX : len, redact);
    if (len > LOG_VALUE_MAX)
        buf_puts(b, "…[truncated]");
    buf_putc(b, '"');
}

static void log_field(struct buf *b, const struct log_field *f, bool redact)
{
    buf_puts(b, ",\"");
    log_json_escape(b, f->key, strlen(f->key));
    buf_puts(b, "\":");
    switch (f->type) {
    case LOG_FIELD_STR:
        log_string_value(b, f->v.s, redact);
        break;
    case LOG_FIELD_BODY:
        if (redact && f->v.s != NULL)
            buf_printf(b, "\"[redacted %zu bytes]\"", strlen(f->v.s));
        else
            log_string_value(b, f->v.s, false);
        break;
    case LOG_FIELD_INT:
        buf_printf(b, "%lld", f->v.i);
        break;
    case LOG_FIELD_DBL:
        if (isfinite(f->v.d))
            buf_printf(b, "%.6g", f->v.d);
        else
            buf_puts(b, "null");
        break;
    case LOG_FIELD_BOOL:
        buf_puts(b, f->v.b ? "true" : "false");
        break;
    case LOG_FIELD_END:
        buf_puts(b, "null");
        break;
    }
}

static void log_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

bool log_enabled(enum log_level level)
{
    return level >= process.log_level && level < LOG_LEVEL_OFF;
}

/* Formats one line (with its newline) into line, using msg as scratch. */
static void log_format(struct buf *line, struct buf *msg, struct log_stamp *stamp,
                       enum log_level level, const struct log_field *fields, const char *fmt,
                       va_list ap)
{
    bool redact = process.pii_redaction;
    if (strchr(fmt, '%') == NULL)
        buf_puts(msg, fmt);
    else
        buf_vprintf(msg, fmt, ap);
    log_timestamp(line, stamp);
    buf_printf(line, ",\"level\":\"%s\",\"service\":", process_log_level_name(level));
    log_string_value(line, process.service, false);
    buf_puts(line, ",\"msg\":");
    log_string_value(line, buf_str(msg), redact);
    for (const struct log_field *f = fields; f && f->key; f++)
        log_field(line, f, redact);
    if (buf_puts(line, "}\n") != 0) {
        /* Over the cap: say so rather than emit broken JSON. */
        buf_reset(line);
        log_timestamp(line, stamp);
        buf_printf(line, ",\"level\":\"%s\",\"msg\":\"log line over %d bytes dropped\"}\n",
                   process_log_level_name(level), LOG_LINE_MAX);
    }
}

void log_emit(enum log_level level, const struct log_field *fields,
              const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    struct buf line, msg;
    buf_init(&line, LOG_LINE_MAX);
    buf_init(&msg, LOG_VALUE_MAX);
    va_list ap;
    va_start(ap, fmt);
    log_format(&line, &msg, NULL, level, fields, fmt, ap);
    va_end(ap);
    log_write_all(process.log_fd, buf_str(&line), line.len);
    buf_dispose(&line);
    buf_dispose(&msg);
}

/* ---- batches ------------------------------------------------------------ */

void log_batch_init(struct log_batch *b)
{
    buf_init(&b->out, LOG_BATCH_MAX);
    buf_init(&b->line, LOG_LINE_MAX);
    buf_init(&b->msg, LOG_VALUE_MAX);
    b->stamp.sec = -1;
}

void log_batch_emit(struct log_batch *b, enum log_level level, const struct log_field *fields,
                    const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    buf_reset(&b->line);
    buf_reset(&b->msg);
    va_list ap;
    va_start(ap, fmt);
    log_format(&b->line, &b->msg, &b->stamp, level, fields, fmt, ap);
    va_end(ap);
    if (buf_append(&b->out, b->line.data, b->line.len) != 0) {
        log_batch_flush(b);
        buf_append(&b->out, b->line.data, b->line.len); /* a line fits an empty batch */
    }
}

bool log_batch_empty(const struct log_batch *b)
{
    return b->out.len == 0;
}

void log_batch_flush(struct log_batch *b)
{
    if (b->out.len > 0)
        log_write_all(process.log_fd, b->out.data, b->out.len);
    buf_reset(&b->out);
}

void log_batch_dispose(struct log_batch *b)
{
    log_batch_flush(b);
    buf_dispose(&b->out);
    buf_dispose(&b->line);
    buf_dispose(&b->msg);
}

int log_level_parse(const char *name, enum log_level *out)
{
    return process_log_level_parse(name, out);
}

const char *log_level_name(enum log_level level)
{
    return process_log_level_name(level);
}
