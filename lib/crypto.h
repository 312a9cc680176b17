/*
 * lib/crypto.h: the few cryptographic primitives Sentia needs, over OpenSSL:
 * HMAC-SHA1/SHA256 (webhook signatures), SHA-256, base64 and hex, a
 * constant-time comparison for secrets and signatures, random ids, and
 * AES-256-GCM sealing of stored secrets (rotating OAuth tokens).
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
/* The value of one hex digit (either case), or -1 if c is not one. */
int crypto_hex_value(int c);
/* Decodes len hex digits (either case) into out (len / 2 bytes). Returns
 * the byte count, or -1 for an odd length or a non-hex digit. */
long crypto_hex_decode(const char *in, size_t len, uint8_t *out);

/* Constant-time equality: the time depends only on the lengths. */
bool crypto_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Fills buf with n cryptographically random bytes (aborts if impossible). */
void crypto_random(void *buf, size_t n);
/*
 * A fresh 128-bit random id as 32 hex chars + NUL: unique and unguessable,
 * from the calling thread's ChaCha20 keystream (keyed from RAND_bytes,
 * re-keyed every 64 Ki ids and in a forked child), not one RAND_bytes each.
 */
void crypto_random_id(char out[CRYPTO_ID_HEX_LEN + 1]);

/* ---- AES-256-GCM ----------------------------------------------------------
 * A sealed box is nonce (12 random bytes) || ciphertext || tag (16 bytes).
 * The associated data (e.g. "xero/<tenant>/tokens") is authenticated but not
 * stored: a box opened under other associated data fails, so a ciphertext
 * cannot be moved from one row to another. A fresh random nonce per seal is
 * safe for far more than the 2^32 seals one key will ever see here.
 */
enum {
    CRYPTO_AEAD_KEY_LEN = 32,
    CRYPTO_AEAD_NONCE_LEN = 12,
    CRYPTO_AEAD_TAG_LEN = 16,
    CRYPTO_AEAD_OVERHEAD = CRYPTO_AEAD_NONCE_LEN + CRYPTO_AEAD_TAG_LEN,
    CRYPTO_AEAD_MAX = 1024 * 1024, /* plaintexts are tokens, a few KiB at most */
};

/*
 * Parses a key given as 64 hex digits or as base64 of 32 bytes. Returns 0,
 * or -1 when the text is neither.
 */
int crypto_aead_key_parse(const char *text, uint8_t key[CRYPTO_AEAD_KEY_LEN]);
/*
 * Seals len bytes (len <= CRYPTO_AEAD_MAX) into out, which must hold
 * len + CRYPTO_AEAD_OVERHEAD bytes. Returns the box length, or -1 if the
 * input is too large.
 */
long crypto_aead_seal(const uint8_t key[CRYPTO_AEAD_KEY_LEN], const void *ad, size_t adlen,
                      const void *plain, size_t len, uint8_t *out);
/*
 * Opens a box into out (box_len - CRYPTO_AEAD_OVERHEAD bytes). Returns the
 * plaintext length, or -1 when the box is malformed, was tampered with, or
 * was sealed under another key or associated data.
 */
long crypto_aead_open(const uint8_t key[CRYPTO_AEAD_KEY_LEN], const void *ad, size_t adlen,
                      const uint8_t *box, size_t box_len, uint8_t *out);

#endif
