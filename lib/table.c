/*
 * lib/table.c: aligned plain-text tables (see table.h).
 */
#include "lib/table.h"

#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/utf8.h"

/* Longest escaped form of one input byte ("\\xHH"), with room to spare. */
enum { TABLE_ESCAPE_MAX = 6 };

struct table {
    size_t ncols, nrows, cap;
    char **headers;
    bool *right;
    char **cells; /* nrows * ncols */
};

/* Display width: UTF-8 continuation bytes do not count. */
static size_t table_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

/* Appends the character at p, escaped when needed; returns bytes consumed. */
static size_t table_escape_one(struct buf *b, const unsigned char *p)
{
    size_t n = utf8_char_len(p, strnlen((const char *)p, 4));
    if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
        buf_printf(b, "\\u%04x", p[1]); /* C1 control */
    } else if (n == 0 || *p < 0x20 || *p == 0x7f) {
        buf_printf(b, "\\x%02x", *p);
        n = 1;
    } else if (*p == '\\') {
        buf_puts(b, "\\\\");
    } else {
        buf_append(b, p, n);
    }
    return n;
}

char *table_escape(const char *s)
{
    struct buf b;
    buf_init(&b, strlen(s) * TABLE_ESCAPE_MAX + 1);
    for (const unsigned char *p = (const unsigned char *)s; *p;)
        p += table_escape_one(&b, p);
    return buf_steal(&b);
}

struct table *table_create(size_t ncols, const char *const *headers)
{
    struct table *t = mem_calloc(1, sizeof *t);
    t->ncols = ncols;
    t->headers = mem_calloc(ncols, sizeof *t->headers);
    t->right = mem_calloc(ncols, sizeof *t->right);
    for (size_t c = 0; c < ncols; c++) {
        t->right[c] = headers[c][0] == '>';
        t->headers[c] = mem_strdup(headers[c] + t->right[c]);
    }
    return t;
}

void table_add(struct table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = mem_realloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = table_escape(cells[c] ? cells[c] : "-");
    t->nrows++;
}

size_t table_rows(const struct table *t)
{
    return t->nrows;
}

static void table_print_row(const struct table *t, char *const *row,
                            const size_t *widths, FILE *out)
{
    for (size_t c = 0; c < t->ncols; c++) {
        size_t pad = widths[c] - table_width(row[c]);
        bool last = c + 1 == t->ncols;
        if (t->right[c])
            fprintf(out, "%*s%s", (int)pad, "", row[c]);
        else
            fprintf(out, "%s%*s", row[c], last ? 0 : (int)pad, "");
        fputs(last ? "\n" : "  ", out);
    }
}

void table_print(const struct table *t, FILE *out)
{
    size_t *widths = mem_calloc(t->ncols, sizeof *widths);
    for (size_t c = 0; c < t->ncols; c++) {
        widths[c] = table_width(t->headers[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t w = table_width(t->cells[r * t->ncols + c]);
            widths[c] = w > widths[c] ? w : widths[c];
        }
    }
    table_print_row(t, t->headers, widths, out);
    for (size_t r = 0; r < t->nrows; r++)
        table_print_row(t, t->cells + r * t->ncols, widths, out);
    free(widths);
}

void table_free(struct table *t)
{
    if (t == NULL)
        return;
    for (size_t c = 0; c < t->ncols; c++)
        free(t->headers[c]);
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->headers);
    free(t->right);
    free(t->cells);
    free(t);
}
