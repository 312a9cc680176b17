/*
 * worker/whatsapp/wa_text.c: UTF-8 decoding, UTF-16 lengths and safe echo copies for
 * WhatsApp text (wa_text.h).
 */
#include "worker/whatsapp/wa_text.h"

#include <stdbool.h>
#include <string.h>

/* ---- decoding --------------------------------------------------------------- */

/* Expected sequence length of a lead byte, or 0 if it cannot start one. */
static size_t wa_text_seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

size_t wa_text_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = wa_text_seq_len(u[0]);
    if (n == 1) {
        *cp = u[0];
        return 1;
    }
    if (n == 0 || n > len)
        goto invalid;
    uint32_t v = u[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            goto invalid;
        v = (v << 6) | (u[i] & 0x3F);
    }
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min_for_len[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        goto invalid;
    *cp = v;
    return n;
invalid:
    *cp = WA_TEXT_REPLACEMENT;
    return 1;
}

size_t wa_text_encode(uint32_t cp, char *out)
{
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t wa_text_cp_units(uint32_t cp)
{
    return cp > 0xFFFF ? 2 : 1;
}

size_t wa_text_units(const char *s, size_t len)
{
    size_t units = 0;
    uint32_t cp;
    for (size_t i = 0; i < len;) {
        i += wa_text_decode(s + i, len - i, &cp);
        units += wa_text_cp_units(cp);
    }
    return units;
}

/* ---- classes ------------------------------------------------------------------ */

int wa_text_is_space(uint32_t cp)
{
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D))
        return 1;
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
    case 0x205F: case 0x2060: case 0x3000: case 0xFEFF:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200B;
    }
}

/* C0 and C1 controls and DEL, which must never reach a reply. */
static bool wa_text_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/* ---- echo ------------------------------------------------------------------- */

size_t wa_text_echo(char *dst, size_t dstsize, const char *s, size_t len, size_t max_cp)
{
    static const char ellipsis[] = "\xE2\x80\xA6"; /* …, 3 bytes */
    const size_t ell = sizeof ellipsis - 1;
    size_t out = 0, ncp = 0;
    bool pending_space = false;
    uint32_t cp;
    char enc[4];
    if (dstsize == 0)
        return 0;
    for (size_t i = 0; i < len;) {
        i += wa_text_decode(s + i, len - i, &cp);
        if (wa_text_is_space(cp)) {
            pending_space = ncp > 0;
            continue;
        }
        if (wa_text_is_control(cp))
            continue;
        size_t n = wa_text_encode(cp, enc);
        size_t sp = pending_space ? 1 : 0;
        /* keep room for the ellipsis and the NUL should a later one not fit */
        if (ncp + sp + 1 > max_cp || out + sp + n + ell + 1 > dstsize) {
            if (out + ell + 1 <= dstsize) {
                memcpy(dst + out, ellipsis, ell);
                out += ell;
            }
            break;
        }
        if (sp)
            dst[out++] = ' ';
        memcpy(dst + out, enc, n);
        out += n;
        ncp += sp + 1;
        pending_space = false;
    }
    dst[out] = '\0';
    return out;
}
