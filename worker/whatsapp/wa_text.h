/*
 * worker/whatsapp/wa_text.h: text as WhatsApp sees it — UTF-8 decoding that never
 * fails, lengths in UTF-16 code units (how Twilio and WhatsApp count a
 * message's 1600 characters: an emoji outside the Basic Multilingual Plane
 * counts 2), and safe copies of customer text for echoing in replies.
 *
 * Everything here is pure (no I/O, no allocation) and works on byte ranges,
 * so malformed input (invalid UTF-8, NUL bytes, control characters) is
 * handled the same way everywhere: an invalid byte decodes as U+FFFD and
 * takes one byte.
 */
#ifndef SENTIA_WORKER_WA_TEXT_H
#define SENTIA_WORKER_WA_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum {
    WA_TEXT_REPLACEMENT = 0xFFFD, /* what an invalid byte decodes to */
};

/*
 * Decodes the code point at s (len > 0 bytes available) into *cp and
 * returns how many bytes it took (1–4). Overlong forms, surrogates, values
 * above U+10FFFF and truncated sequences give U+FFFD and 1.
 */
size_t wa_text_decode(const char *s, size_t len, uint32_t *cp);

/* Appends cp as UTF-8 to out (4 bytes room needed); returns the bytes written. */
size_t wa_text_encode(uint32_t cp, char *out);

/* UTF-16 code units of a code point: 2 above U+FFFF, else 1. */
size_t wa_text_cp_units(uint32_t cp);

/* Length of len bytes of text in UTF-16 code units. */
size_t wa_text_units(const char *s, size_t len);

/*
 * Copies at most max_cp code points of s into dst (dstsize bytes) for
 * echoing in a reply: valid UTF-8 only (invalid bytes become U+FFFD),
 * control characters dropped, runs of white space collapsed to one space,
 * leading and trailing space trimmed, and "…" appended when cut. dst is
 * always NUL-terminated; returns its length in bytes.
 */
size_t wa_text_echo(char *dst, size_t dstsize, const char *s, size_t len, size_t max_cp);

/* Bytes dst needs for wa_text_echo(…, max_cp): 4 per code point, "…", NUL. */
#define WA_TEXT_ECHO_SIZE(max_cp) ((max_cp) * 4 + 4)

/* Unicode white space (incl. no-break and zero-width spaces, BOM). */
int wa_text_is_space(uint32_t cp);

#endif
