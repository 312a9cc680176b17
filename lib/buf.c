/*
 * lib/buf.c: capped growable buffer (see buf.h).
 */
#include "lib/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"

void buf_init(struct buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->size = 0;
    b->cap = cap;
}

void buf_dispose(struct buf *b)
{
    free(b->data);
    buf_init(b, b->cap);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

/* Makes room for `extra` more bytes plus the NUL; -1 past the cap. */
static int buf_reserve(struct buf *b, size_t extra)
{
    if (extra > b->cap || b->len > b->cap - extra)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->size)
        return 0;
    size_t size = b->size ? b->size : 64;
    while (size < need)
        size *= 2;
    b->data = mem_realloc(b->data, size);
    b->size = size;
    return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return -1;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

/*
 * Formats straight into the room already there when the text fits (one
 * vsnprintf, the common case), else measures, grows and formats again.
 */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    size_t room = b->size > b->len ? b->size - b->len : 0;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap2);
    va_end(ap2);
    if (n >= 0 && (size_t)n < room) {
        if ((size_t)n > b->cap || b->len > b->cap - (size_t)n) {
            b->data[b->len] = '\0'; /* over the cap: undo */
            return -1;
        }
        b->len += (size_t)n;
        return 0;
    }
    if (n < 0 || buf_reserve(b, (size_t)n) != 0) {
        if (b->data != NULL)
            b->data[b->len] = '\0';
        return -1;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *buf_steal(struct buf *b)
{
    char *out = b->data ? b->data : mem_strdup("");
    buf_init(b, b->cap);
    return out;
}

const char *buf_str(const struct buf *b)
{
    return b->data ? b->data : "";
}
