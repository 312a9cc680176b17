/*
 * lib/auth/b64url.h: strict base64url (RFC 4648 §5) as JOSE uses it — no
 * padding, no whitespace, canonical (the unused low bits of the last
 * character are zero), so every byte string has exactly one accepted text
 * and a re-encoded or padded token segment is refused at decode time
 * (external-apis.md §9.5 policy 2, §9.7 A20).
 */
#ifndef SENTIA_LIB_AUTH_B64URL_H
#define SENTIA_LIB_AUTH_B64URL_H

#include <stddef.h>
#include <stdint.h>

/* Bytes the decoding of len characters needs (an upper bound). */
#define AUTH_B64URL_DECODED_MAX(len) (((len) / 4) * 3 + 2)
/* Characters (plus the NUL) the encoding of n bytes needs. */
#define AUTH_B64URL_ENCODED_SIZE(n) (((n) / 3) * 4 + 4)

/* Writes the unpadded encoding of n bytes and a NUL; returns its length. */
size_t auth_b64url_encode(const void *in, size_t n, char *out);
/*
 * Decodes len characters into out (AUTH_B64URL_DECODED_MAX(len) bytes).
 * Returns the byte count, or -1 for a character outside the alphabet,
 * padding, an impossible length or a non-canonical last character.
 */
long auth_b64url_decode(const char *in, size_t len, uint8_t *out);

#endif
