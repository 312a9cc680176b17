/*
 * tests/lib/auth/tokens.h: tokens and keys made in the tests with OpenSSL —
 * an RSA key per process, RS256 and HS256 signing of arbitrary header and
 * payload JSON, a default Clerk v2 session payload, JWK and PEM exports.
 * Every returned string is malloc'd (the caller frees); json_t results are
 * new references.
 */
#ifndef SENTIA_TESTS_AUTH_TOKENS_H
#define SENTIA_TESTS_AUTH_TOKENS_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdint.h>

#define TOK_ISSUER "https://clerk.example.com"
#define TOK_PARTY "https://app.example.com"
#define TOK_KID "ins_test_key_1"

/* The process's test key (2048-bit RSA, made once). */
EVP_PKEY *tok_key(void);
/* A fresh 2048-bit RSA key (free with EVP_PKEY_free). */
EVP_PKEY *tok_new_key(void);
/* {"alg":"RS256","kid":kid,"typ":"JWT"} */
json_t *tok_header(const char *kid);
/* A valid v2 session payload at now_s (exp +60, nbf -10, role admin). */
json_t *tok_claims(int64_t now_s);
/* header.payload signed RS256 with key (objects are dumped compactly). */
char *tok_sign(EVP_PKEY *key, const json_t *header, const json_t *payload);
/* The same from raw JSON texts (duplicate members, arrays…). */
char *tok_sign_text(EVP_PKEY *key, const char *header, const char *payload);
/* header.payload with an HMAC-SHA256 signature keyed by secret. */
char *tok_hs256(const void *secret, size_t len, const char *header, const char *payload);
/* The public JWK of key as JSON text. */
char *tok_jwk(EVP_PKEY *key, const char *kid);
/* The SPKI PEM of key's public half. */
char *tok_pem(EVP_PKEY *key);
/* A default valid token of tok_key() at now_s (claims edited by nothing). */
char *tok_default(int64_t now_s);

#endif
