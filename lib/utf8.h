/*
 * lib/utf8.h: UTF-8 checks shared by the encoders that must never emit or
 * pass on a broken sequence (log lines, CLI tables, job envelopes).
 *
 * Valid means RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF. Pure functions; nothing is allocated.
 */
#ifndef SENTIA_LIB_UTF8_H
#define SENTIA_LIB_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1–4) of the valid character at s within avail bytes, or 0. */
size_t utf8_char_len(const unsigned char *s, size_t avail);

/* True when s[0..len) is valid UTF-8 throughout (NUL bytes included as ASCII). */
bool utf8_valid(const char *s, size_t len);

#endif
