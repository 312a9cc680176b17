/*
 * lib/crypto.h: the few cryptographic primitives Sentia needs, over OpenSSL:
 * HMAC-SHA1/SHA256 (webhook signatures), SHA-256, base64 and hex, a
 * constant-time comparison for secrets and signatures, random ids.
 *
 * All functions are thread-safe and write into caller-provided buffers.
 */
#ifndef SENTIA_LIB_CRYPTO_H
#define SENTIA_LIB_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    CRYPTO_SHA1_LEN = 20,
    CRYPTO_SHA256_LEN = 32,
    CRYPTO_ID_HEX_LEN = 32, /* 128-bit ids as lower-case hex */
};

void crypto_hmac_sha1(const void *key, size_t keylen, const void *msg,
                      size_t msglen, uint8_t out[CRYPTO_SHA1_LEN]);
void crypto_hmac_sha256(const void *key, size_t keylen, const void *msg,
                        size_t msglen, uint8_t out[CRYPTO_SHA256_LEN]);
void crypto_sha256(const void *msg, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

/* Size of the base64 text for n bytes, plus the NUL. */
#define CRYPTO_BASE64_SIZE(n) ((((n) + 2) / 3) * 4 + 1)
/* Writes padded standard base64 and a NUL; returns the text length. */
size_t crypto_base64_encode(const void *in, size_t len, char *out);
/*
 * Decodes standard base64 (padding optional, no whitespace) into out, which
 * must hold len * 3 / 4 bytes. Returns the byte count, or -1 if malformed.
 */
long crypto_base64_decode(const char *in, size_t len, uint8_t *out);
/* Lower-case hex of n bytes into out (2n + 1 bytes with the NUL). */
void crypto_hex_encode(const void *in, size_t n, char *out);

/* Constant-time equality: the time depends only on the lengths. */
bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Fills buf with n cryptographically random bytes (aborts if impossible). */
void crypto_random(void *buf, size_t n);
/* A fresh 128-bit random id as 32 hex chars + NUL. */
void crypto_random_id(char out[CRYPTO_ID_HEX_LEN + 1]);

#endif
