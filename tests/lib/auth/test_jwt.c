/*
 * tests/lib/auth/test_jwt.c: the Clerk token checks of lib/auth/jwt.c and
 * lib/auth/keyset.c without any network — the vectors of external-apis.md
 * §9.8 (V2 accepted with its time boundaries, A1 alg none, A2 HS256 key
 * confusion) and every refusal of issue 10 §6 and §9.7 on tokens signed
 * here with OpenSSL: structure and size, base64url, header, key, signature,
 * times with the 5 s skew, iss, azp (header and cookie), sub/sid and the
 * role claim chain.
 */
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth/b64url.h"
#include "lib/auth/jwt.h"
#include "lib/auth/keyset.h"
#include "lib/crypto.h"
#include "lib/mem.h"
#include "tests/lib/auth/tokens.h"
#include "tests/lib/auth/vectors.h"
#include "tests/test.h"

static const int64_t NOW = 1767225620; /* V2's "now" */
static const char *const parties[] = {TOK_PARTY, NULL};
static struct auth_jwt_policy policy = {.issuer = TOK_ISSUER, .parties = parties};
static struct auth_caller caller;
static char reason[AUTH_REASON_MAX];

/* The whole synchronous path: parse, key by kid, verify. */
static const struct auth_error *check_with(const char *token, const struct auth_keyset *set,
                                           const struct auth_jwt_policy *p, int64_t now_s,
                                           bool cookie)
{
    struct auth_jwt *t = NULL;
    memset(&caller, 0, sizeof caller);
    const struct auth_error *e = auth_jwt_parse(token, strlen(token), &t, reason);
    if (e != NULL)
        return e;
    EVP_PKEY *key = NULL;
    enum auth_key_state st = auth_keyset_find(set, auth_jwt_kid(t), &key);
    if (st != AUTH_KEY_RSA)
        e = st == AUTH_KEY_UNKNOWN ? &AUTH_ERR_TOKEN_UNKNOWN_KEY : &AUTH_ERR_TOKEN_KEY_TYPE;
    else
        e = auth_jwt_verify(t, key, p, now_s * 1000, cookie, &caller, reason);
    auth_jwt_free(t);
    return e;
}

static struct auth_keyset *vec_set(void)
{
    struct auth_keyset *s = NULL;
    auth_keyset_parse_jwks(VEC_JWKS, strlen(VEC_JWKS), &s, reason);
    return s;
}

/* Our key under TOK_KID, plus an EC key under "ins_ec". */
static struct auth_keyset *our_set(void)
{
    char *jwk = tok_jwk(tok_key(), TOK_KID);
    char *doc = mem_printf("{\"keys\":[%s,{\"kty\":\"EC\",\"kid\":\"ins_ec\",\"crv\":\"P-256\","
                           "\"x\":\"AAAA\",\"y\":\"AAAA\"}]}",
                           jwk);
    struct auth_keyset *s = NULL;
    auth_keyset_parse_jwks(doc, strlen(doc), &s, reason);
    free(jwk);
    free(doc);
    return s;
}

/* A token of our key with one claim replaced (value NULL: removed). */
static const struct auth_error *claim_case(const char *name, json_t *value, int64_t now_s,
                                           bool cookie, const struct auth_jwt_policy *p)
{
    json_t *h = tok_header(TOK_KID), *c = tok_claims(NOW);
    if (value != NULL)
        json_object_set_new(c, name, value);
    else
        json_object_del(c, name);
    char *t = tok_sign(tok_key(), h, c);
    struct auth_keyset *s = our_set();
    const struct auth_error *e = check_with(t, s, p ? p : &policy, now_s, cookie);
    auth_keyset_unref(s);
    free(t);
    json_decref(h);
    json_decref(c);
    return e;
}

/* A token of our key with one header member replaced (NULL: removed). */
static const struct auth_error *header_case(const char *name, json_t *value)
{
    json_t *h = tok_header(TOK_KID), *c = tok_claims(NOW);
    if (value != NULL)
        json_object_set_new(h, name, value);
    else
        json_object_del(h, name);
    char *t = tok_sign(tok_key(), h, c);
    struct auth_keyset *s = our_set();
    const struct auth_error *e = check_with(t, s, &policy, NOW, false);
    auth_keyset_unref(s);
    free(t);
    json_decref(h);
    json_decref(c);
    return e;
}

/* ---- §9.8 vectors ----------------------------------------------------------- */

TEST(v2_vector_is_the_documented_text)
{
    uint8_t d[32];
    char hex[65];
    SHA256((const unsigned char *)VEC_V2, strlen(VEC_V2), d);
    crypto_hex_encode(d, sizeof d, hex);
    CHECK_STR(hex, VEC_V2_SHA256);
}

TEST(v2_accepted_with_role_admin)
{
    struct auth_keyset *s = vec_set();
    CHECK(s != NULL);
    const struct auth_error *e = check_with(VEC_V2, s, &policy, NOW, false);
    auth_keyset_unref(s);
    CHECK(e == NULL);
    CHECK_INT(caller.kind, AUTH_KIND_CLERK);
    CHECK_INT(caller.role, AUTH_ROLE_ADMIN);
    CHECK_STR(caller.subject, "user_2abcDEFghiJKLmnoPQRstuVWXyz");
    CHECK_STR(caller.id, "sess_2abcDEFghiJKLmnoPQRstuVWXyz");
}

TEST(v2_from_cookie_with_allowed_azp)
{
    struct auth_keyset *s = vec_set();
    const struct auth_error *e = check_with(VEC_V2, s, &policy, NOW, true);
    auth_keyset_unref(s);
    CHECK(e == NULL);
}

TEST(v2_time_boundaries)
{
    struct auth_keyset *s = vec_set();
    const struct auth_error *a = check_with(VEC_V2, s, &policy, 1767225664, false);
    const struct auth_error *b = check_with(VEC_V2, s, &policy, 1767225665, false);
    const struct auth_error *c = check_with(VEC_V2, s, &policy, 1767225595, false);
    const struct auth_error *d = check_with(VEC_V2, s, &policy, 1767225594, false);
    auth_keyset_unref(s);
    CHECK(a == NULL);
    CHECK(b == &AUTH_ERR_TOKEN_EXPIRED);
    CHECK(c == NULL);
    CHECK(d == &AUTH_ERR_TOKEN_IAT_FUTURE);
}

TEST(v2_role_claim_path_configurable)
{
    struct auth_keyset *s = vec_set();
    struct auth_jwt_policy p = policy;
    p.role_claim = "metadata.role"; /* "planner": not one of ours */
    const struct auth_error *e = check_with(VEC_V2, s, &p, NOW, false);
    auth_keyset_unref(s);
    CHECK(e == NULL);
    CHECK_INT(caller.role, AUTH_ROLE_NONE);
}

TEST(v2_tampered_payload_fails_signature)
{
    char *t = mem_strdup(VEC_V2);
    char *dot = strchr(t, '.') + 5;
    *dot = *dot == 'A' ? 'B' : 'A';
    struct auth_keyset *s = vec_set();
    const struct auth_error *e = check_with(t, s, &policy, NOW, false);
    auth_keyset_unref(s);
    free(t);
    CHECK(e == &AUTH_ERR_TOKEN_SIGNATURE || e == &AUTH_ERR_TOKEN_INVALID);
}

TEST(a2_hs256_key_confusion_vector)
{
    struct auth_keyset *s = vec_set();
    const struct auth_error *e = check_with(VEC_A2, s, &policy, NOW, false);
    auth_keyset_unref(s);
    CHECK(e == &AUTH_ERR_TOKEN_ALGORITHM);
}

TEST(a1_alg_none_vector)
{
    const char *v2_payload = strchr(VEC_V2, '.') + 1;
    size_t plen = (size_t)(strchr(v2_payload, '.') - v2_payload);
    char *t = mem_printf("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.%.*s.", (int)plen, v2_payload);
    struct auth_keyset *s = vec_set();
    const struct auth_error *e = check_with(t, s, &policy, NOW, false);
    auth_keyset_unref(s);
    free(t);
    CHECK(e == &AUTH_ERR_TOKEN_ALGORITHM); /* the header is judged before the empty signature */
}

/* ---- algorithms --------------------------------------------------------------- */

TEST(alg_none_with_a_signature_refused)
{
    CHECK(header_case("alg", json_string("none")) == &AUTH_ERR_TOKEN_ALGORITHM);
}

TEST(hs256_with_our_public_key_as_secret_refused)
{
    char *pem = tok_pem(tok_key());
    json_t *c = tok_claims(NOW);
    char *payload = json_dumps(c, JSON_COMPACT);
    char *t = tok_hs256(pem, strlen(pem),
                        "{\"alg\":\"HS256\",\"kid\":\"" TOK_KID "\",\"typ\":\"JWT\"}", payload);
    struct auth_keyset *s = our_set();
    const struct auth_error *e = check_with(t, s, &policy, NOW, false);
    auth_keyset_unref(s);
    free(t);
    free(payload);
    free(pem);
    json_decref(c);
    CHECK(e == &AUTH_ERR_TOKEN_ALGORITHM);
}

TEST(other_algorithms_refused)
{
    CHECK(header_case("alg", json_string("RS384")) == &AUTH_ERR_TOKEN_ALGORITHM);
    CHECK(header_case("alg", json_string("PS256")) == &AUTH_ERR_TOKEN_ALGORITHM);
    CHECK(header_case("alg", json_string("ES256")) == &AUTH_ERR_TOKEN_ALGORITHM);
    CHECK(header_case("alg", json_string("rs256")) == &AUTH_ERR_TOKEN_ALGORITHM);
    CHECK(header_case("alg", NULL) == &AUTH_ERR_TOKEN_ALGORITHM);
}

/* ---- header and key ------------------------------------------------------------- */

TEST(header_members_refused)
{
    CHECK(header_case("typ", json_string("at+jwt")) == &AUTH_ERR_TOKEN_HEADER);
    CHECK(header_case("cat", json_string("cl_B7d4PD333AAA")) == &AUTH_ERR_TOKEN_HEADER);
    CHECK(header_case("cat", json_string("cl_B7d4PD222AAA")) == &AUTH_ERR_TOKEN_HEADER);
    CHECK(header_case("jku", json_string("https://evil.example/jwks")) == &AUTH_ERR_TOKEN_HEADER);
    CHECK(header_case("x5u", json_string("https://evil.example/c")) == &AUTH_ERR_TOKEN_HEADER);
    CHECK(header_case("jwk", json_object()) == &AUTH_ERR_TOKEN_HEADER);
    CHECK(header_case("crit", json_pack("[s]", "exp")) == &AUTH_ERR_TOKEN_HEADER);
    CHECK(header_case("kid", NULL) == &AUTH_ERR_TOKEN_HEADER);
    CHECK(header_case("kid", json_integer(1)) == &AUTH_ERR_TOKEN_HEADER);
}

TEST(header_session_category_and_no_typ_accepted)
{
    CHECK(header_case("cat", json_string("cl_B7d4PD111AAA")) == NULL);
    CHECK(header_case("typ", NULL) == NULL);
}

TEST(unknown_kid_and_non_rsa_kid)
{
    CHECK(header_case("kid", json_string("ins_unknown")) == &AUTH_ERR_TOKEN_UNKNOWN_KEY);
    CHECK(header_case("kid", json_string("ins_ec")) == &AUTH_ERR_TOKEN_KEY_TYPE);
}

TEST(signed_by_another_key_refused)
{
    EVP_PKEY *other = tok_new_key();
    json_t *h = tok_header(TOK_KID), *c = tok_claims(NOW);
    char *t = tok_sign(other, h, c);
    struct auth_keyset *s = our_set();
    const struct auth_error *e = check_with(t, s, &policy, NOW, false);
    auth_keyset_unref(s);
    EVP_PKEY_free(other);
    free(t);
    json_decref(h);
    json_decref(c);
    CHECK(e == &AUTH_ERR_TOKEN_SIGNATURE);
}

TEST(pem_keyset_ignores_kid)
{
    char *pem = tok_pem(tok_key());
    struct auth_keyset *s = NULL;
    CHECK_INT(auth_keyset_from_pem(pem, &s, reason), 0);
    json_t *h = tok_header("ins_anything"), *c = tok_claims(NOW);
    char *t = tok_sign(tok_key(), h, c);
    const struct auth_error *e = check_with(t, s, &policy, NOW, false);
    auth_keyset_unref(s);
    free(t);
    free(pem);
    json_decref(h);
    json_decref(c);
    CHECK(e == NULL);
}

TEST(pem_flattened_by_the_environment_still_parses)
{
    char *pem = tok_pem(tok_key());
    /* One line with literal \n, as a dashboard copy into an env var gives. */
    char *flat = mem_alloc(strlen(pem) * 2 + 1), *o = flat;
    for (const char *p = pem; *p; p++) {
        if (*p == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    struct auth_keyset *s = NULL;
    int rc = auth_keyset_from_pem(flat, &s, reason);
    auth_keyset_unref(s);
    free(pem);
    free(flat);
    CHECK_INT(rc, 0);
}

TEST(pem_short_or_garbage_refused)
{
    EVP_PKEY *small = EVP_RSA_gen(1024);
    char *pem = tok_pem(small);
    struct auth_keyset *s = NULL;
    CHECK_INT(auth_keyset_from_pem(pem, &s, reason), -1);
    CHECK_INT(auth_keyset_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
                                   &s, reason),
              -1);
    CHECK_INT(auth_keyset_from_pem("not a pem", &s, reason), -1);
    EVP_PKEY_free(small);
    free(pem);
}

TEST(jwks_parsing)
{
    struct auth_keyset *s = NULL;
    CHECK_INT(auth_keyset_parse_jwks("{}", 2, &s, reason), -1);
    CHECK_INT(auth_keyset_parse_jwks("[1]", 3, &s, reason), -1);
    CHECK_INT(auth_keyset_parse_jwks("{\"keys\":[]}", 11, &s, reason), -1);
    /* An RSA entry with a foreign alg or use is remembered but unusable. */
    const char *doc = "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"a\",\"alg\":\"RS384\",\"n\":\"" VEC_N
                      "\",\"e\":\"AQAB\"},{\"kty\":\"RSA\",\"kid\":\"b\",\"use\":\"enc\",\"n\":\"" VEC_N
                      "\",\"e\":\"AQAB\"},{\"kty\":\"oct\",\"kid\":\"c\",\"k\":\"c2VjcmV0\"},"
                      "{\"kty\":\"RSA\",\"kid\":\"d\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}";
    CHECK_INT(auth_keyset_parse_jwks(doc, strlen(doc), &s, reason), 0);
    EVP_PKEY *k;
    CHECK_INT(auth_keyset_find(s, "a", &k), AUTH_KEY_UNUSABLE);
    CHECK_INT(auth_keyset_find(s, "b", &k), AUTH_KEY_UNUSABLE);
    CHECK_INT(auth_keyset_find(s, "c", &k), AUTH_KEY_UNUSABLE);
    CHECK_INT(auth_keyset_find(s, "d", &k), AUTH_KEY_UNUSABLE); /* a 17-bit modulus */
    CHECK_INT(auth_keyset_find(s, "e", &k), AUTH_KEY_UNKNOWN);
    CHECK_INT(auth_keyset_usable(s), 0);
    auth_keyset_unref(s);
}

/* ---- structure and size ------------------------------------------------------------ */

static const struct auth_error *raw_case(const char *token)
{
    struct auth_keyset *s = our_set();
    const struct auth_error *e = check_with(token, s, &policy, NOW, false);
    auth_keyset_unref(s);
    return e;
}

TEST(token_of_9_kib_refused_before_decoding)
{
    char *t = mem_alloc(9 * 1024 + 1);
    memset(t, 'A', 9 * 1024);
    t[100] = t[200] = '.';
    t[9 * 1024] = '\0';
    CHECK(raw_case(t) == &AUTH_ERR_TOKEN_TOO_LARGE);
    free(t);
}

TEST(segments_counted)
{
    char *good = tok_default(NOW);
    CHECK(raw_case(good) == NULL);
    char *four = mem_printf("%s.AAAA", good);
    CHECK(raw_case(four) == &AUTH_ERR_TOKEN_INVALID);
    *strrchr(good, '.') = '\0'; /* two segments */
    CHECK(raw_case(good) == &AUTH_ERR_TOKEN_INVALID);
    CHECK(raw_case("") == &AUTH_ERR_TOKEN_INVALID);
    CHECK(raw_case("..") == &AUTH_ERR_TOKEN_INVALID);
    char *no_sig = tok_default(NOW);
    strrchr(no_sig, '.')[1] = '\0'; /* "header.payload." */
    CHECK(raw_case(no_sig) == &AUTH_ERR_TOKEN_INVALID);
    free(no_sig);
    free(four);
    free(good);
}

TEST(truncated_segments_refused)
{
    char *good = tok_default(NOW);
    size_t len = strlen(good);
    for (size_t cut = 1; cut <= 6; cut++) { /* a shorter signature */
        good[len - cut] = '\0';
        CHECK(raw_case(good) != NULL);
    }
    free(good);
    good = tok_default(NOW);
    char *dot = strchr(good, '.');
    memmove(dot - 3, dot, strlen(dot) + 1); /* a shorter header */
    CHECK(raw_case(good) == &AUTH_ERR_TOKEN_INVALID);
    free(good);
}

TEST(bad_base64url_refused)
{
    char *good = tok_default(NOW);
    char *star = mem_strdup(good), *space = mem_strdup(good), *plus = mem_strdup(good);
    star[5] = '*';
    space[strlen(space) - 3] = ' ';
    *(strchr(plus, '.') + 3) = '+';
    CHECK(raw_case(star) == &AUTH_ERR_TOKEN_INVALID);
    CHECK(raw_case(space) == &AUTH_ERR_TOKEN_INVALID);
    CHECK(raw_case(plus) == &AUTH_ERR_TOKEN_INVALID);
    char *padded = mem_printf("%s=", good);
    CHECK(raw_case(padded) == &AUTH_ERR_TOKEN_INVALID);
    free(good), free(star), free(space), free(plus), free(padded);
}

TEST(base64url_is_canonical)
{
    uint8_t out[8];
    CHECK_INT(auth_b64url_decode("QQ", 2, out), 1);
    CHECK_INT(auth_b64url_decode("QR", 2, out), -1); /* low bits set */
    CHECK_INT(auth_b64url_decode("QUI", 3, out), 2);
    CHECK_INT(auth_b64url_decode("QUJ", 3, out), -1);
    CHECK_INT(auth_b64url_decode("Q", 1, out), -1);
    CHECK_INT(auth_b64url_decode("QQ==", 4, out), -1);
    char enc[16];
    CHECK_INT(auth_b64url_encode("\xfb\xff", 2, enc), 3);
    CHECK_STR(enc, "-_8");
}

TEST(non_object_or_duplicate_json_refused)
{
    char *dup = tok_sign_text(tok_key(), "{\"alg\":\"RS256\",\"kid\":\"" TOK_KID "\"}",
                              "{\"sub\":\"user_a\",\"sub\":\"user_b\"}");
    char *dup_h = tok_sign_text(tok_key(),
                                "{\"alg\":\"RS256\",\"alg\":\"RS256\",\"kid\":\"" TOK_KID "\"}",
                                "{}");
    char *arr = tok_sign_text(tok_key(), "{\"alg\":\"RS256\",\"kid\":\"" TOK_KID "\"}", "[1,2]");
    char *nul = tok_sign_text(tok_key(), "{\"alg\":\"RS256\",\"kid\":\"" TOK_KID "\"}", "null");
    CHECK(raw_case(dup) == &AUTH_ERR_TOKEN_INVALID);
    CHECK(raw_case(dup_h) == &AUTH_ERR_TOKEN_INVALID);
    CHECK(raw_case(arr) == &AUTH_ERR_TOKEN_INVALID);
    CHECK(raw_case(nul) == &AUTH_ERR_TOKEN_INVALID);
    free(dup), free(dup_h), free(arr), free(nul);
}

/* ---- times ------------------------------------------------------------------------- */

TEST(expired_refused_with_5s_skew)
{
    CHECK(claim_case("exp", json_integer(NOW - 5), NOW, false, NULL) == &AUTH_ERR_TOKEN_EXPIRED);
    CHECK(claim_case("exp", json_integer(NOW - 4), NOW, false, NULL) == NULL);
    CHECK(claim_case("exp", json_integer(NOW - 3600), NOW, false, NULL) ==
          &AUTH_ERR_TOKEN_EXPIRED);
}

TEST(nbf_in_the_future_refused)
{
    CHECK(claim_case("nbf", json_integer(NOW + 6), NOW, false, NULL) == &AUTH_ERR_TOKEN_NOT_YET);
    CHECK(claim_case("nbf", json_integer(NOW + 5), NOW, false, NULL) == NULL);
    CHECK(claim_case("nbf", NULL, NOW, false, NULL) == NULL); /* optional */
}

TEST(iat_in_the_future_beyond_skew_refused)
{
    CHECK(claim_case("iat", json_integer(NOW + 6), NOW, false, NULL) ==
          &AUTH_ERR_TOKEN_IAT_FUTURE);
    CHECK(claim_case("iat", json_integer(NOW + 4), NOW, false, NULL) == NULL);
}

TEST(time_claims_must_be_integers)
{
    CHECK(claim_case("exp", NULL, NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("exp", json_string("1767225680"), NOW, false, NULL) ==
          &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("exp", json_real(1767225680.5), NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("iat", NULL, NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("nbf", json_string("0"), NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("exp", json_integer(-1), NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("exp", json_integer(INT64_MAX), NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
}

/* ---- iss, azp ------------------------------------------------------------------------ */

TEST(wrong_issuer_refused)
{
    CHECK(claim_case("iss", json_string("https://clerk.other.com"), NOW, false, NULL) ==
          &AUTH_ERR_TOKEN_ISSUER);
    CHECK(claim_case("iss", json_string("https://clerk.example.com/"), NOW, false, NULL) ==
          &AUTH_ERR_TOKEN_ISSUER);
    CHECK(claim_case("iss", NULL, NOW, false, NULL) == &AUTH_ERR_TOKEN_ISSUER);
    struct auth_jwt_policy no_issuer = policy;
    no_issuer.issuer = NULL;
    CHECK(claim_case("sts", json_string("active"), NOW, false, &no_issuer) ==
          &AUTH_ERR_TOKEN_ISSUER);
}

TEST(azp_not_allowed_refused)
{
    CHECK(claim_case("azp", json_string("https://evil.example.com"), NOW, false, NULL) ==
          &AUTH_ERR_TOKEN_AZP);
    CHECK(claim_case("azp", json_string(TOK_PARTY "/"), NOW, false, NULL) == &AUTH_ERR_TOKEN_AZP);
    CHECK(claim_case("azp", NULL, NOW, false, NULL) == &AUTH_ERR_TOKEN_AZP);
}

TEST(cookie_without_azp_refused)
{
    struct auth_jwt_policy open = policy;
    open.parties = NULL;
    /* Header tokens need no azp when no list is configured… */
    CHECK(claim_case("azp", NULL, NOW, false, &open) == NULL);
    /* …cookie tokens always do, and need a configured list to match. */
    CHECK(claim_case("azp", NULL, NOW, true, &open) == &AUTH_ERR_TOKEN_AZP);
    CHECK(claim_case("azp", NULL, NOW, true, NULL) == &AUTH_ERR_TOKEN_AZP);
    CHECK(claim_case("azp", json_string(TOK_PARTY), NOW, true, &open) == &AUTH_ERR_TOKEN_AZP);
    CHECK(claim_case("azp", json_string(TOK_PARTY), NOW, true, NULL) == NULL);
}

/* ---- session claims ------------------------------------------------------------------ */

TEST(sub_and_sid_required)
{
    CHECK(claim_case("sub", NULL, NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("sub", json_string("mch_machine"), NOW, false, NULL) ==
          &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("sid", NULL, NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("sid", json_integer(5), NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
}

TEST(pending_session_and_unknown_version_refused)
{
    CHECK(claim_case("sts", json_string("pending"), NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("v", json_integer(3), NOW, false, NULL) == &AUTH_ERR_TOKEN_CLAIMS);
    CHECK(claim_case("v", NULL, NOW, false, NULL) == NULL); /* v1 tokens */
}

/* ---- roles ---------------------------------------------------------------------------- */

static enum auth_role role_of(json_t *o, json_t *org_role, json_t *metadata, const char *path)
{
    json_t *h = tok_header(TOK_KID), *c = tok_claims(NOW);
    json_object_del(c, "o");
    if (o)
        json_object_set_new(c, "o", o);
    if (org_role)
        json_object_set_new(c, "org_role", org_role);
    if (metadata)
        json_object_set_new(c, "metadata", metadata);
    char *t = tok_sign(tok_key(), h, c);
    struct auth_keyset *s = our_set();
    struct auth_jwt_policy p = policy;
    p.role_claim = path;
    const struct auth_error *e = check_with(t, s, &p, NOW, false);
    auth_keyset_unref(s);
    free(t);
    json_decref(h);
    json_decref(c);
    return e == NULL ? caller.role : (enum auth_role)-1;
}

TEST(role_claim_chain)
{
    CHECK_INT(role_of(json_pack("{s:s}", "rol", "viewer"), NULL, NULL, NULL), AUTH_ROLE_VIEWER);
    CHECK_INT(role_of(NULL, json_string("org:manager"), NULL, NULL), AUTH_ROLE_MANAGER);
    CHECK_INT(role_of(NULL, NULL, json_pack("{s:s}", "role", "operator"), NULL),
              AUTH_ROLE_OPERATOR);
    CHECK_INT(role_of(json_pack("{s:s}", "rol", "admin"), json_string("org:viewer"), NULL, NULL),
              AUTH_ROLE_ADMIN);
    CHECK_INT(role_of(json_pack("{s:s}", "rol", "member"), NULL, NULL, NULL), AUTH_ROLE_NONE);
    CHECK_INT(role_of(NULL, NULL, NULL, NULL), AUTH_ROLE_NONE);
    CHECK_INT(role_of(json_pack("{s:i}", "rol", 1), NULL, NULL, NULL), AUTH_ROLE_NONE);
    CHECK_INT(role_of(NULL, NULL, json_pack("{s:{s:s}}", "app", "role", "manager"), "metadata.app.role"),
              AUTH_ROLE_MANAGER);
}

TEST(role_names_round_trip)
{
    for (int r = AUTH_ROLE_NONE; r <= AUTH_ROLE_ADMIN; r++)
        if (r != AUTH_ROLE_NONE)
            CHECK_INT(auth_role_parse(auth_role_name((enum auth_role)r)), r);
    CHECK_INT(auth_role_parse("Admin"), AUTH_ROLE_NONE);
    CHECK_INT(auth_role_parse(NULL), AUTH_ROLE_NONE);
    CHECK_STR(auth_kind_name(AUTH_KIND_API_KEY), "api_key");
}
