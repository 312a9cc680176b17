/*
 * tests/lib/auth/tokens.c: test tokens and keys (see tokens.h).
 */
#include "tests/lib/auth/tokens.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth/b64url.h"
#include "lib/crypto.h"
#include "lib/mem.h"

static EVP_PKEY *tok_the_key;

EVP_PKEY *tok_new_key(void)
{
    return EVP_RSA_gen(2048);
}

EVP_PKEY *tok_key(void)
{
    if (tok_the_key == NULL)
        tok_the_key = tok_new_key();
    return tok_the_key;
}

__attribute__((destructor)) static void tok_cleanup(void)
{
    EVP_PKEY_free(tok_the_key);
}

json_t *tok_header(const char *kid)
{
    return json_pack("{s:s, s:s, s:s}", "alg", "RS256", "kid", kid, "typ", "JWT");
}

json_t *tok_claims(int64_t now_s)
{
    return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:{s:s, s:s}}", "azp",
                     TOK_PARTY, "exp", (json_int_t)(now_s + 60), "iat", (json_int_t)now_s,
                     "nbf", (json_int_t)(now_s - 10), "iss", TOK_ISSUER, "sid", "sess_test1",
                     "sub", "user_test1", "sts", "active", "v", 2, "o", "id", "org_1", "rol",
                     "admin");
}

/* b64url(header) + "." + b64url(payload). */
static char *tok_signing_input(const char *header, const char *payload)
{
    size_t hl = strlen(header), pl = strlen(payload);
    char *out = mem_alloc(AUTH_B64URL_ENCODED_SIZE(hl) + AUTH_B64URL_ENCODED_SIZE(pl) + 2);
    size_t n = auth_b64url_encode(header, hl, out);
    out[n++] = '.';
    auth_b64url_encode(payload, pl, out + n);
    return out;
}

static char *tok_join(char *input, const uint8_t *sig, size_t siglen)
{
    size_t n = strlen(input);
    char *out = mem_alloc(n + AUTH_B64URL_ENCODED_SIZE(siglen) + 2);
    memcpy(out, input, n);
    out[n++] = '.';
    auth_b64url_encode(sig, siglen, out + n);
    free(input);
    return out;
}

char *tok_sign_text(EVP_PKEY *key, const char *header, const char *payload)
{
    char *input = tok_signing_input(header, payload);
    uint8_t sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, sig, &siglen, (const uint8_t *)input, strlen(input)) != 1)
        abort();
    EVP_MD_CTX_free(ctx);
    return tok_join(input, sig, siglen);
}

char *tok_sign(EVP_PKEY *key, const json_t *header, const json_t *payload)
{
    char *h = json_dumps(header, JSON_COMPACT), *p = json_dumps(payload, JSON_COMPACT);
    char *t = tok_sign_text(key, h, p);
    free(h);
    free(p);
    return t;
}

char *tok_hs256(const void *secret, size_t len, const char *header, const char *payload)
{
    char *input = tok_signing_input(header, payload);
    uint8_t mac[CRYPTO_SHA256_LEN];
    crypto_hmac_sha256(secret, len, input, strlen(input), mac);
    return tok_join(input, mac, sizeof mac);
}

static char *tok_bn_b64(EVP_PKEY *key, const char *name)
{
    BIGNUM *bn = NULL;
    if (!EVP_PKEY_get_bn_param(key, name, &bn))
        abort();
    int n = BN_num_bytes(bn);
    uint8_t *raw = mem_alloc((size_t)n);
    BN_bn2bin(bn, raw);
    char *out = mem_alloc(AUTH_B64URL_ENCODED_SIZE((size_t)n));
    auth_b64url_encode(raw, (size_t)n, out);
    free(raw);
    BN_free(bn);
    return out;
}

char *tok_jwk(EVP_PKEY *key, const char *kid)
{
    char *n = tok_bn_b64(key, OSSL_PKEY_PARAM_RSA_N), *e = tok_bn_b64(key, OSSL_PKEY_PARAM_RSA_E);
    char *out = mem_printf("{\"use\":\"sig\",\"kty\":\"RSA\",\"kid\":\"%s\",\"alg\":\"RS256\","
                           "\"n\":\"%s\",\"e\":\"%s\"}",
                           kid, n, e);
    free(n);
    free(e);
    return out;
}

char *tok_pem(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *out = mem_strndup(data, (size_t)len);
    BIO_free(bio);
    return out;
}

char *tok_default(int64_t now_s)
{
    json_t *h = tok_header(TOK_KID), *c = tok_claims(now_s);
    char *t = tok_sign(tok_key(), h, c);
    json_decref(h);
    json_decref(c);
    return t;
}
