/*
 * lib/buf.h: a growable byte buffer with a hard cap (after curl's dynbuf).
 *
 * A buf holds `len` bytes in `data`, always followed by a NUL so text can be
 * passed to C string functions. Appends beyond `cap` are refused (-1) and leave
 * the buffer unchanged, so input-sized data can never grow without a named
 * limit. The struct is visible because it is a small value; treat the fields
 * as read-only outside buf.c.
 *
 * Ownership: buf_init() owns nothing; buf_dispose() frees data; buf_steal()
 * hands data to the caller (free()) and resets the buffer.
 */
#ifndef SENTIA_LIB_BUF_H
#define SENTIA_LIB_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data;  /* NUL-terminated, NULL until the first append */
    size_t len;  /* bytes used, not counting the NUL */
    size_t size; /* bytes allocated */
    size_t cap;  /* most bytes the buffer may ever hold */
};

void buf_init(struct buf *b, size_t cap);
void buf_dispose(struct buf *b);
void buf_reset(struct buf *b);
/* Each returns 0, or -1 when the result would exceed the cap (no change). */
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Returns the data ("" when empty) and resets b; the caller frees it. */
char *buf_steal(struct buf *b);
/* Pointer to the text ("" when empty); valid until the next change. */
const char *buf_str(const struct buf *b);

#endif
