/*
 * tests/lib/auth/test_tokencache.c: the cache of verified Clerk tokens
 * (lib/auth/tokencache.c): a hit returns the caller verified; nothing hits
 * after exp, from the other source (cookie vs header), with another key set
 * (rotation) or for another token; a token already expired is not kept;
 * the table never holds more than its capacity; and through
 * auth_clerk_verify, a cached token is answered again only while the key
 * set it was verified with is current.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/auth/clerk.h"
#include "lib/auth/tokencache.h"
#include "lib/clock.h"
#include "tests/lib/auth/tokens.h"
#include "tests/test.h"

static const int64_t NOW_MS = 1800000000000LL;

static struct auth_keyset *pem_set(EVP_PKEY *key)
{
    char reason[AUTH_REASON_MAX];
    char *pem = tok_pem(key);
    struct auth_keyset *s = NULL;
    auth_keyset_from_pem(pem, &s, reason);
    free(pem);
    return s;
}

static struct auth_caller caller_until(long long exp_s)
{
    struct auth_caller c = {.kind = AUTH_KIND_CLERK, .role = AUTH_ROLE_VIEWER, .expires_at = exp_s};
    snprintf(c.subject, sizeof c.subject, "user_1");
    snprintf(c.id, sizeof c.id, "sess_1");
    return c;
}

static void digest_of(const char *token, uint8_t d[CRYPTO_SHA256_LEN])
{
    auth_tokencache_digest(token, strlen(token), d);
}

TEST(hit_until_exp_only)
{
    struct auth_tokencache *c = auth_tokencache_create(16);
    struct auth_keyset *set = pem_set(tok_key());
    uint8_t d[CRYPTO_SHA256_LEN];
    digest_of("a.b.c", d);
    struct auth_caller in = caller_until(NOW_MS / 1000 + 60), out = {0};
    auth_tokencache_put(c, d, false, set, &in, NOW_MS);
    bool hit = auth_tokencache_get(c, d, false, set, NOW_MS + 59000, &out);
    bool after = auth_tokencache_get(c, d, false, set, NOW_MS + 60000, &out);
    auth_tokencache_free(c);
    auth_keyset_unref(set);
    CHECK(hit);
    CHECK(!after);
    CHECK_STR(out.subject, "user_1");
    CHECK_STR(out.id, "sess_1");
    CHECK_INT(out.role, AUTH_ROLE_VIEWER);
}

TEST(source_set_and_token_must_match)
{
    struct auth_tokencache *c = auth_tokencache_create(16);
    struct auth_keyset *set = pem_set(tok_key()), *rotated = pem_set(tok_key());
    uint8_t d[CRYPTO_SHA256_LEN], other[CRYPTO_SHA256_LEN];
    digest_of("a.b.c", d);
    digest_of("a.b.d", other);
    struct auth_caller in = caller_until(NOW_MS / 1000 + 60), out;
    auth_tokencache_put(c, d, false, set, &in, NOW_MS);
    bool cookie = auth_tokencache_get(c, d, true, set, NOW_MS, &out);
    bool new_set = auth_tokencache_get(c, d, false, rotated, NOW_MS, &out);
    bool no_set = auth_tokencache_get(c, d, false, NULL, NOW_MS, &out);
    bool token = auth_tokencache_get(c, other, false, set, NOW_MS, &out);
    bool same = auth_tokencache_get(c, d, false, set, NOW_MS, &out);
    auth_tokencache_free(c);
    auth_keyset_unref(set);
    auth_keyset_unref(rotated);
    CHECK(!cookie);
    CHECK(!new_set);
    CHECK(!no_set);
    CHECK(!token);
    CHECK(same);
}

TEST(expired_token_not_kept_and_capacity_bounded)
{
    struct auth_tokencache *c = auth_tokencache_create(8);
    struct auth_keyset *set = pem_set(tok_key());
    uint8_t d[CRYPTO_SHA256_LEN];
    struct auth_caller gone = caller_until(NOW_MS / 1000 - 1), live = caller_until(NOW_MS / 1000 + 60);
    digest_of("expired", d);
    auth_tokencache_put(c, d, false, set, &gone, NOW_MS);
    int after_expired = auth_tokencache_count(c, NOW_MS);
    for (int i = 0; i < 100; i++) {
        char t[32];
        snprintf(t, sizeof t, "token-%d", i);
        digest_of(t, d);
        auth_tokencache_put(c, d, false, set, &live, NOW_MS);
    }
    int full = auth_tokencache_count(c, NOW_MS);
    digest_of("token-99", d); /* the last one put is always there */
    struct auth_caller out;
    bool last = auth_tokencache_get(c, d, false, set, NOW_MS, &out);
    auth_tokencache_free(c);
    auth_keyset_unref(set);
    CHECK_INT(after_expired, 0);
    CHECK(full <= 8);
    CHECK(last);
}

/* ---- through the verifier --------------------------------------------------- */

struct answer {
    int calls;
    const struct auth_error *error;
    struct auth_caller caller;
    char reason[AUTH_REASON_MAX];
};

static void on_answer(void *arg, const struct auth_result *r)
{
    struct answer *a = arg;
    a->calls++;
    a->error = r->error;
    a->caller = r->caller;
    snprintf(a->reason, sizeof a->reason, "%s", r->reason ? r->reason : "");
}

static const char *const test_parties[] = {TOK_PARTY, NULL};

static struct auth_clerk *clerk_pem(EVP_PKEY *key, int cache, const char *const *parties)
{
    char *pem = tok_pem(key), *err = NULL;
    struct auth_clerk_options o = {.policy = {.issuer = TOK_ISSUER, .parties = parties},
                                   .keys = {.pem = pem}, .cache_tokens = cache};
    struct auth_clerk *c = NULL;
    if (auth_clerk_create(&o, &c, &err) != 0)
        free(err);
    free(pem);
    return c;
}

static struct answer verify(struct auth_clerk *c, uv_loop_t *loop, const char *t, bool cookie)
{
    struct answer a = {0};
    auth_clerk_verify(c, t, strlen(t), cookie, loop, on_answer, &a);
    return a;
}

TEST(verifier_answers_a_verified_token_from_the_cache)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth_clerk *c = clerk_pem(tok_key(), 0, test_parties), *off = clerk_pem(tok_key(), -1, test_parties);
    char *t = tok_default(clock_wall_ms() / 1000);
    struct answer first = verify(c, &loop, t, false), again = verify(c, &loop, t, false);
    struct answer uncached = verify(off, &loop, t, false), twice = verify(off, &loop, t, false);
    char *sig = t + strlen(t) - 10; /* another valid base64url signature: not the cached token */
    *sig = *sig == 'A' ? 'B' : 'A';
    struct answer forged = verify(c, &loop, t, false);
    free(t);
    auth_clerk_free(c);
    auth_clerk_free(off);
    uv_loop_close(&loop);
    CHECK(first.error == NULL && again.error == NULL);
    CHECK_INT(again.calls, 1);
    CHECK(strstr(first.reason, "cached") == NULL);
    CHECK(strstr(again.reason, "cached") != NULL);
    CHECK_STR(again.caller.subject, first.caller.subject);
    CHECK_INT(again.caller.role, first.caller.role);
    CHECK(uncached.error == NULL && twice.error == NULL);
    CHECK(strstr(twice.reason, "cached") == NULL);
    CHECK(forged.error == &AUTH_ERR_TOKEN_SIGNATURE);
}

TEST(cookie_after_header_is_verified_again)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth_clerk *c = clerk_pem(tok_key(), 0, NULL); /* no party list: azp optional… */
    json_t *h = tok_header(TOK_KID), *claims = tok_claims(clock_wall_ms() / 1000);
    json_object_del(claims, "azp");
    char *t = tok_sign(tok_key(), h, claims);
    struct answer header = verify(c, &loop, t, false), again = verify(c, &loop, t, false);
    struct answer cookie = verify(c, &loop, t, true); /* …but required from the cookie */
    json_decref(h);
    json_decref(claims);
    free(t);
    auth_clerk_free(c);
    uv_loop_close(&loop);
    CHECK(header.error == NULL);
    CHECK(again.error == NULL && strstr(again.reason, "cached") != NULL);
    CHECK(cookie.error == &AUTH_ERR_TOKEN_AZP);
}
