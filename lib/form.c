/*
 * lib/form.c: form-urlencoded parsing (see form.h).
 *
 * The body is copied once; each pair is decoded in place inside the copy
 * (decoding only shrinks), and every key and value is NUL-terminated there.
 */
#include "lib/form.h"

#include <stdlib.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/mem.h"

/* Decodes s[0..len) in place; returns the decoded length, or -1. */
static long form_decode(char *s, size_t len)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < len ? crypto_hex_value((unsigned char)s[i + 1]) : -1;
            int lo = hi < 0 ? -1 : crypto_hex_value((unsigned char)s[i + 2]);
            if (lo < 0)
                return -1;
            s[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            s[o++] = s[i] == '+' ? ' ' : s[i];
        }
    }
    return (long)o;
}

/* Adds one "k=v" pair found at data[start..end); -1 if malformed. */
static int form_add_pair(struct form *f, size_t cap, size_t start, size_t end)
{
    char *p = f->data + start;
    size_t len = end - start;
    char *eq = memchr(p, '=', len);
    size_t klen = eq ? (size_t)(eq - p) : len;
    char *v = eq ? eq + 1 : p + len;
    size_t vlen = eq ? len - klen - 1 : 0;
    long kd = form_decode(p, klen);
    long vd = form_decode(v, vlen);
    if (kd < 0 || vd < 0 || f->n == cap)
        return -1;
    p[kd] = '\0';
    v[vd] = '\0';
    f->fields[f->n++] = (struct form_field){p, (size_t)kd, v, (size_t)vd};
    return 0;
}

int form_parse(const char *body, size_t len, size_t max_fields, struct form *out,
               const char **why)
{
    struct form f = {0};
    size_t pairs = 1;
    for (size_t i = 0; i < len; i++)
        pairs += body[i] == '&';
    size_t cap = pairs < max_fields ? pairs : max_fields;
    /* One spare byte: the last value's NUL when the body has no '&' after it. */
    f.data = mem_alloc(len + 1);
    memcpy(f.data, body, len);
    f.data[len] = '\0';
    f.fields = mem_calloc(cap ? cap : 1, sizeof *f.fields);
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && f.data[i] != '&')
            continue;
        if (i > start && form_add_pair(&f, cap, start, i) != 0) {
            *why = f.n == cap ? "too many fields" : "malformed %-escape";
            goto fail;
        }
        start = i + 1;
    }
    *out = f;
    return 0;
fail:
    form_dispose(&f);
    return -1;
}

void form_dispose(struct form *f)
{
    free(f->fields);
    free(f->data);
    memset(f, 0, sizeof *f);
}

/* Bytewise comparison of two counted strings (shorter first on a tie). */
static int form_bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int form_field_cmp(const struct form_field *a, const struct form_field *b)
{
    int c = form_bytes_cmp(a->key, a->key_len, b->key, b->key_len);
    return c != 0 ? c : form_bytes_cmp(a->value, a->value_len, b->value, b->value_len);
}

void form_sort(struct form *f)
{
    /* Insertion sort: bodies carry a few dozen fields (max_fields bounds it). */
    for (size_t i = 1; i < f->n; i++) {
        struct form_field x = f->fields[i];
        size_t j = i;
        while (j > 0 && form_field_cmp(&f->fields[j - 1], &x) > 0) {
            f->fields[j] = f->fields[j - 1];
            j--;
        }
        f->fields[j] = x;
    }
}

const struct form_field *form_get(const struct form *f, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i < f->n; i++)
        if (f->fields[i].key_len == klen && memcmp(f->fields[i].key, key, klen) == 0)
            return &f->fields[i];
    return NULL;
}
