/*
 * lib/auth/clerk.c: a Clerk session token from its text to a caller (see
 * clerk.h): parse and header checks, key by kid (with one refetch when the
 * kid is unknown), signature and claims.
 */
#include "lib/auth/clerk.h"

#include <stdlib.h>
#include <string.h>

#include "lib/auth/tokencache.h"
#include "lib/clock.h"
#include "lib/mem.h"

struct auth_clerk {
    struct auth_jwt_policy policy;
    char *issuer, *role_claim;
    char **parties;
    struct auth_jwks *keys;
    struct auth_tokencache *verified; /* NULL: every token verified in full */
    int64_t (*now_ms)(void);
};

/* A verify waiting for a refetch. */
struct clerk_pending {
    struct auth_clerk *clerk;
    struct auth_jwt *jwt;
    uint8_t digest[CRYPTO_SHA256_LEN];
    bool from_cookie;
    auth_cb cb;
    void *arg;
};

static void clerk_refuse(auth_cb cb, void *arg, const struct auth_error *e, const char *reason)
{
    struct auth_result r = {.error = e, .reason = reason};
    cb(arg, &r);
}

/* Key lookup, signature and claims with `set`; answers cb, remembering a
 * success under `digest`. */
static void clerk_finish(struct auth_clerk *c, const struct auth_jwt *t, bool from_cookie,
                         const uint8_t *digest, struct auth_keyset *set, auth_cb cb, void *arg)
{
    struct auth_result r = {0};
    char reason[AUTH_REASON_MAX] = "";
    EVP_PKEY *key = NULL;
    enum auth_key_state st = auth_keyset_find(set, auth_jwt_kid(t), &key);
    if (st == AUTH_KEY_UNKNOWN) {
        clerk_refuse(cb, arg, set ? &AUTH_ERR_TOKEN_UNKNOWN_KEY : &AUTH_ERR_KEYS_UNAVAILABLE,
                     set ? "kid not in the JWKS after a refetch" : "no JWKS could be fetched");
        return;
    }
    if (st == AUTH_KEY_UNUSABLE) {
        clerk_refuse(cb, arg, &AUTH_ERR_TOKEN_KEY_TYPE, "kid names a key that is not usable RSA");
        return;
    }
    int64_t now = c->now_ms();
    r.error = auth_jwt_verify(t, key, &c->policy, now, from_cookie, &r.caller, reason);
    r.reason = reason;
    if (r.error == NULL && c->verified != NULL)
        auth_tokencache_put(c->verified, digest, from_cookie, set, &r.caller, now);
    cb(arg, &r);
}

static void clerk_refetched(void *arg, struct auth_keyset *set)
{
    struct clerk_pending *p = arg;
    clerk_finish(p->clerk, p->jwt, p->from_cookie, p->digest, set, p->cb, p->arg);
    auth_jwt_free(p->jwt);
    free(p);
}

/* With a cache: the token's digest and the current set (*set, one
 * reference); true after answering cb from the cache of verified tokens. */
static bool clerk_cached(struct auth_clerk *c, const char *token, size_t len, bool from_cookie,
                         uint8_t digest[CRYPTO_SHA256_LEN], struct auth_keyset **set,
                         auth_cb cb, void *arg)
{
    struct auth_result r = {.reason = "verified token (cached until exp)"};
    if (c->verified == NULL || len > AUTH_JWT_MAX_LEN)
        return false;
    auth_tokencache_digest(token, len, digest);
    *set = auth_jwks_current(c->keys);
    if (!auth_tokencache_get(c->verified, digest, from_cookie, *set, c->now_ms(), &r.caller))
        return false;
    cb(arg, &r);
    return true;
}

void auth_clerk_verify(struct auth_clerk *c, const char *token, size_t len, bool from_cookie,
                       uv_loop_t *loop, auth_cb cb, void *arg)
{
    char reason[AUTH_REASON_MAX] = "";
    uint8_t digest[CRYPTO_SHA256_LEN] = {0};
    struct auth_jwt *t = NULL;
    struct auth_keyset *set = NULL;
    if (clerk_cached(c, token, len, from_cookie, digest, &set, cb, arg))
        goto done;
    const struct auth_error *e = auth_jwt_parse(token, len, &t, reason);
    if (e != NULL) {
        clerk_refuse(cb, arg, e, reason);
        goto done;
    }
    EVP_PKEY *key = NULL;
    if (set == NULL)
        set = auth_jwks_current(c->keys);
    if (auth_keyset_find(set, auth_jwt_kid(t), &key) != AUTH_KEY_UNKNOWN) {
        clerk_finish(c, t, from_cookie, digest, set, cb, arg);
        goto done;
    }
    struct clerk_pending *p = mem_calloc(1, sizeof *p);
    *p = (struct clerk_pending){.clerk = c, .jwt = t, .from_cookie = from_cookie, .cb = cb,
                                .arg = arg};
    memcpy(p->digest, digest, sizeof p->digest);
    if (auth_jwks_refetch(c->keys, loop, clerk_refetched, p) == 0) {
        auth_keyset_unref(set);
        return; /* p owns t now */
    }
    free(p);
    clerk_refuse(cb, arg, set ? &AUTH_ERR_TOKEN_UNKNOWN_KEY : &AUTH_ERR_KEYS_UNAVAILABLE,
                 set ? "kid not in the JWKS; refetch rate-limited" : "no JWKS fetched yet; refetch rate-limited");
done:
    auth_keyset_unref(set);
    auth_jwt_free(t);
}

/* ---- lifetime -------------------------------------------------------------- */

static char **clerk_copy_list(const char *const *list)
{
    size_t n = 0;
    while (list != NULL && list[n] != NULL)
        n++;
    char **out = mem_calloc(n + 1, sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[i] = mem_strdup(list[i]);
    return out;
}

int auth_clerk_create(const struct auth_clerk_options *o, struct auth_clerk **out, char **err)
{
    *out = NULL;
    if (o->policy.issuer == NULL || o->policy.issuer[0] == '\0') {
        *err = mem_strdup("CLERK_ISSUER is required to verify Clerk tokens");
        return -1;
    }
    struct auth_clerk *c = mem_calloc(1, sizeof *c);
    if (auth_jwks_create(&o->keys, &c->keys, err) != 0) {
        free(c);
        return -1;
    }
    c->issuer = mem_strdup(o->policy.issuer);
    c->role_claim = o->policy.role_claim ? mem_strdup(o->policy.role_claim) : NULL;
    c->parties = clerk_copy_list(o->policy.parties);
    c->policy = (struct auth_jwt_policy){.issuer = c->issuer, .role_claim = c->role_claim,
                                         .parties = (const char *const *)c->parties,
                                         .skew_ms = o->policy.skew_ms};
    c->now_ms = o->now_ms ? o->now_ms : clock_wall_ms;
    if (o->cache_tokens >= 0)
        c->verified = auth_tokencache_create(o->cache_tokens);
    *out = c;
    return 0;
}

void auth_clerk_free(struct auth_clerk *c)
{
    if (c == NULL)
        return;
    auth_jwks_free(c->keys);
    auth_tokencache_free(c->verified);
    for (char **p = c->parties; *p != NULL; p++)
        free(*p);
    free(c->parties);
    free(c->issuer);
    free(c->role_claim);
    free(c);
}

struct auth_jwks *auth_clerk_keys(struct auth_clerk *c)
{
    return c->keys;
}
