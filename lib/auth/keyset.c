/*
 * lib/auth/keyset.c: JWKS and PEM key sets (see keyset.h). RSA keys are
 * imported with OpenSSL 3's EVP_PKEY_fromdata from the JWK's n and e; the
 * PEM with PEM_read_bio_PUBKEY, then checked to be RSA of ≥ 2048 bits.
 */
#include "lib/auth/keyset.h"

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth/b64url.h"
#include "lib/mem.h"

struct keyset_entry {
    char *kid;
    EVP_PKEY *key; /* NULL: unusable */
};

struct auth_keyset {
    atomic_int refs;
    bool any_kid; /* a PEM set: one key for every kid */
    int n;
    struct keyset_entry entries[AUTH_JWKS_MAX_KEYS];
};

#define KEYSET_FAIL(...)                                                                      \
    do {                                                                                      \
        snprintf(reason, AUTH_REASON_MAX, __VA_ARGS__);                                       \
        goto fail;                                                                            \
    } while (0)

/* ---- RSA keys ------------------------------------------------------------- */

/* A big-endian base64url integer as a BIGNUM, or NULL. */
static BIGNUM *keyset_bn(const char *b64)
{
    if (b64 == NULL)
        return NULL;
    size_t len = strlen(b64);
    if (len == 0 || len > 2048)
        return NULL;
    uint8_t *raw = mem_alloc(AUTH_B64URL_DECODED_MAX(len));
    long n = auth_b64url_decode(b64, len, raw);
    BIGNUM *bn = n > 0 ? BN_bin2bn(raw, (int)n, NULL) : NULL;
    free(raw);
    return bn;
}

static EVP_PKEY *keyset_rsa_from_ne(BIGNUM *n, BIGNUM *e)
{
    EVP_PKEY *key = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (bld == NULL || ctx == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
        goto done;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
        key = NULL;
done:
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* True when a string member is absent or equals want. */
static bool keyset_absent_or(const json_t *jwk, const char *name, const char *want)
{
    json_t *v = json_object_get(jwk, name);
    return v == NULL || (json_is_string(v) && strcmp(json_string_value(v), want) == 0);
}

/* The usable RSA key of one JWK, or NULL. */
static EVP_PKEY *keyset_jwk_key(const json_t *jwk)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    if (kty == NULL || strcmp(kty, "RSA") != 0 || !keyset_absent_or(jwk, "alg", "RS256") ||
        !keyset_absent_or(jwk, "use", "sig"))
        return NULL;
    BIGNUM *n = keyset_bn(json_string_value(json_object_get(jwk, "n")));
    BIGNUM *e = keyset_bn(json_string_value(json_object_get(jwk, "e")));
    EVP_PKEY *key = NULL;
    if (n != NULL && e != NULL && BN_num_bits(n) >= AUTH_RSA_MIN_BITS)
        key = keyset_rsa_from_ne(n, e);
    BN_free(n);
    BN_free(e);
    return key;
}

/* ---- sets ----------------------------------------------------------------- */

static struct auth_keyset *keyset_new(void)
{
    struct auth_keyset *s = mem_calloc(1, sizeof *s);
    atomic_init(&s->refs, 1);
    return s;
}

static void keyset_free(struct auth_keyset *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->entries[i].kid);
        EVP_PKEY_free(s->entries[i].key);
    }
    free(s);
}

int auth_keyset_parse_jwks(const char *json, size_t len, struct auth_keyset **out,
                           char reason[AUTH_REASON_MAX])
{
    struct auth_keyset *s = NULL;
    json_t *doc = NULL;
    *out = NULL;
    if (len > AUTH_JWKS_MAX_BYTES)
        KEYSET_FAIL("JWKS of %zu bytes exceeds %d", len, AUTH_JWKS_MAX_BYTES);
    doc = json_loadb(json, len, 0, NULL);
    json_t *keys = json_object_get(doc, "keys");
    if (!json_is_array(keys))
        KEYSET_FAIL("not a JWKS document (no keys array)");
    s = keyset_new();
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk) {
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        if (kid == NULL || kid[0] == '\0' || strlen(kid) > AUTH_KID_MAX ||
            s->n == AUTH_JWKS_MAX_KEYS)
            continue;
        s->entries[s->n].kid = mem_strdup(kid);
        s->entries[s->n++].key = keyset_jwk_key(jwk);
    }
    if (s->n == 0)
        KEYSET_FAIL("JWKS holds no key with a kid");
    json_decref(doc);
    *out = s;
    return 0;
fail:
    json_decref(doc);
    if (s != NULL)
        keyset_free(s);
    return -1;
}

/* The base64 body of a PEM, re-wrapped at 64 columns between the markers. */
static char *keyset_pem_normalise(const char *pem)
{
    static const char begin[] = "-----BEGIN PUBLIC KEY-----", end[] = "-----END PUBLIC KEY-----";
    const char *b = strstr(pem, begin);
    const char *e = b ? strstr(b, end) : NULL;
    if (b == NULL || e == NULL)
        return NULL;
    b += sizeof begin - 1;
    size_t cap = (size_t)(e - b) * 2 + sizeof begin + sizeof end + 4, o = 0, col = 0;
    char *out = mem_alloc(cap);
    o += (size_t)sprintf(out, "%s\n", begin);
    for (const char *p = b; p < e; p++) {
        if (p[0] == '\\' && p[1] == 'n') {
            p++;
            continue;
        }
        if (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')
            continue;
        out[o++] = *p;
        if (++col == 64) {
            out[o++] = '\n';
            col = 0;
        }
    }
    sprintf(out + o, "%s%s\n", col ? "\n" : "", end);
    return out;
}

int auth_keyset_from_pem(const char *pem, struct auth_keyset **out,
                         char reason[AUTH_REASON_MAX])
{
    EVP_PKEY *key = NULL;
    BIO *bio = NULL;
    *out = NULL;
    char *text = keyset_pem_normalise(pem);
    if (text == NULL)
        KEYSET_FAIL("not a PEM public key (BEGIN/END PUBLIC KEY markers)");
    bio = BIO_new_mem_buf(text, -1);
    key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    if (key == NULL)
        KEYSET_FAIL("the PEM public key does not parse");
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key) < AUTH_RSA_MIN_BITS)
        KEYSET_FAIL("the PEM key is not an RSA key of at least %d bits", AUTH_RSA_MIN_BITS);
    struct auth_keyset *s = keyset_new();
    s->any_kid = true;
    s->n = 1;
    s->entries[0].kid = mem_strdup("(pem)");
    s->entries[0].key = key;
    BIO_free(bio);
    free(text);
    *out = s;
    return 0;
fail:
    EVP_PKEY_free(key);
    BIO_free(bio);
    free(text);
    return -1;
}

enum auth_key_state auth_keyset_find(const struct auth_keyset *s, const char *kid,
                                     EVP_PKEY **key)
{
    *key = NULL;
    if (s == NULL)
        return AUTH_KEY_UNKNOWN;
    if (s->any_kid) {
        *key = s->entries[0].key;
        return AUTH_KEY_RSA;
    }
    for (int i = 0; i < s->n; i++) {
        if (strcmp(s->entries[i].kid, kid) != 0)
            continue;
        *key = s->entries[i].key;
        return *key ? AUTH_KEY_RSA : AUTH_KEY_UNUSABLE;
    }
    return AUTH_KEY_UNKNOWN;
}

int auth_keyset_usable(const struct auth_keyset *s)
{
    int n = 0;
    for (int i = 0; s != NULL && i < s->n; i++)
        n += s->entries[i].key != NULL;
    return n;
}

struct auth_keyset *auth_keyset_ref(struct auth_keyset *s)
{
    if (s != NULL)
        atomic_fetch_add(&s->refs, 1);
    return s;
}

void auth_keyset_unref(struct auth_keyset *s)
{
    if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
        keyset_free(s);
}
