/*
 * lib/auth/b64url.c: strict, canonical base64url without padding (see
 * b64url.h).
 */
#include "lib/auth/b64url.h"

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of c, or -1 if c is not in the alphabet. */
static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

size_t auth_b64url_encode(const void *in, size_t n, char *out)
{
    const uint8_t *p = in;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = b64url_alphabet[v >> 18 & 63];
        out[o++] = b64url_alphabet[v >> 12 & 63];
        out[o++] = b64url_alphabet[v >> 6 & 63];
        out[o++] = b64url_alphabet[v & 63];
    }
    if (n - i == 1) {
        out[o++] = b64url_alphabet[p[i] >> 2];
        out[o++] = b64url_alphabet[(p[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 8 | p[i + 1];
        out[o++] = b64url_alphabet[v >> 10 & 63];
        out[o++] = b64url_alphabet[v >> 4 & 63];
        out[o++] = b64url_alphabet[(v & 15) << 2];
    }
    out[o] = '\0';
    return o;
}

long auth_b64url_decode(const char *in, size_t len, uint8_t *out)
{
    if (len % 4 == 1)
        return -1;
    uint32_t acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (uint32_t)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    /* The leftover bits must be zero: one text per byte string. */
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return -1;
    return n;
}
