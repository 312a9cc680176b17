/*
 * lib/auth/auth.c: the authentication entry (see auth.h): configuration
 * from the environment, taking the credential out of the headers, and
 * dispatching it to the Clerk verifier or the API key cache.
 */
#include "lib/auth/auth.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth/b64url.h"
#include "lib/buf.h"
#include "lib/mem.h"
#include "lib/url.h"

struct auth {
    struct auth_clerk *clerk; /* NULL: Clerk not configured */
    struct auth_apikeys *apikeys;
    char cookie_suffixed[AUTH_COOKIE_SUFFIX_LEN + 16]; /* "__session_<suffix>" or "" */
};

static const char auth_session_cookie[] = "__session";

/* ---- configuration ------------------------------------------------------------ */

int auth_cookie_suffix(const char *publishable_key, char out[AUTH_COOKIE_SUFFIX_LEN + 1])
{
    uint8_t d[SHA_DIGEST_LENGTH];
    char b64[AUTH_B64URL_ENCODED_SIZE(SHA_DIGEST_LENGTH)];
    if (publishable_key == NULL || publishable_key[0] == '\0')
        return -1;
    SHA1((const unsigned char *)publishable_key, strlen(publishable_key), d);
    auth_b64url_encode(d, sizeof d, b64);
    memcpy(out, b64, AUTH_COOKIE_SUFFIX_LEN);
    out[AUTH_COOKIE_SUFFIX_LEN] = '\0';
    return 0;
}

/* A dotted path of [A-Za-z0-9_] names. */
static bool auth_claim_path_ok(const char *p)
{
    size_t seg = 0;
    for (; *p; p++) {
        if (*p == '.') {
            if (seg == 0)
                return false;
            seg = 0;
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '_') {
            if (++seg > 63)
                return false;
        } else {
            return false;
        }
    }
    return seg > 0;
}

/* Splits CLERK_AUTHORIZED_PARTIES on commas (spaces trimmed). */
static int auth_split_parties(struct auth_options *o, const char *text, struct buf *problems)
{
    o->parties_text = mem_strdup(text ? text : "");
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(o->parties_text, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        for (char *end = tok + strlen(tok); end > tok && end[-1] == ' ';)
            *--end = '\0';
        if (*tok == '\0')
            continue;
        if (n == AUTH_PARTIES_MAX) {
            buf_printf(problems, "CLERK_AUTHORIZED_PARTIES lists more than %d origins; ",
                       AUTH_PARTIES_MAX);
            return -1;
        }
        o->parties[n++] = tok;
    }
    o->parties[n] = NULL;
    return 0;
}

static const char *auth_env(const char *(*get)(const char *), const char *name)
{
    const char *v = get(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static const char *auth_getenv(const char *name)
{
    return getenv(name);
}

int auth_options_from_env(struct auth_options *o, const char *(*get)(const char *), char **err)
{
    struct buf problems;
    buf_init(&problems, 4096);
    memset(o, 0, sizeof *o);
    get = get ? get : auth_getenv;
    struct auth_jwks_options *k = &o->clerk_opts.keys;
    struct auth_jwt_policy *p = &o->clerk_opts.policy;
    k->pem = auth_env(get, "CLERK_JWT_KEY");
    k->url = auth_env(get, "CLERK_JWKS_URL");
    k->bearer = auth_env(get, "CLERK_SECRET_KEY");
    o->clerk = k->pem != NULL || k->url != NULL;
    p->issuer = auth_env(get, "CLERK_ISSUER");
    p->role_claim = auth_env(get, "CLERK_ROLE_CLAIM");
    p->parties = o->parties;
    const char *env = auth_env(get, "APP_ENV");
    if (k->url != NULL && env != NULL && strcmp(env, "production") == 0 &&
        !url_is_private_transport(k->url))
        buf_printf(&problems, "CLERK_JWKS_URL must be an https:// URL in production; ");
    if (o->clerk && p->issuer == NULL)
        buf_printf(&problems, "CLERK_ISSUER is required with CLERK_JWKS_URL or CLERK_JWT_KEY; ");
    if (p->role_claim != NULL && !auth_claim_path_ok(p->role_claim))
        buf_printf(&problems, "CLERK_ROLE_CLAIM must be a dotted path like o.rol; ");
    auth_split_parties(o, auth_env(get, "CLERK_AUTHORIZED_PARTIES"), &problems);
    auth_cookie_suffix(auth_env(get, "CLERK_PUBLISHABLE_KEY"), o->cookie_suffix);
    if (problems.len == 0) {
        buf_dispose(&problems);
        return 0;
    }
    problems.len -= 2; /* the last "; " */
    *err = mem_strndup(problems.data, problems.len);
    buf_dispose(&problems);
    return -1;
}

void auth_options_dispose(struct auth_options *o)
{
    free(o->parties_text);
    o->parties_text = NULL;
}

/* ---- credentials ---------------------------------------------------------------- */

/* The Bearer token of an Authorization value, or NULL. */
static const char *auth_bearer(const char *h, size_t len, size_t *tlen)
{
    static const char scheme[] = "Bearer ";
    size_t n = sizeof scheme - 1;
    if (h == NULL || len <= n || memcmp(h, scheme, n) != 0)
        return NULL;
    h += n;
    len -= n;
    while (len > 0 && *h == ' ')
        h++, len--;
    while (len > 0 && (h[len - 1] == ' ' || h[len - 1] == '\t'))
        len--;
    *tlen = len;
    return len > 0 ? h : NULL;
}

/* The value of cookie `name` in a Cookie header, or NULL. */
static const char *auth_cookie(const char *h, size_t len, const char *name, size_t *vlen)
{
    size_t nlen = strlen(name), i = 0;
    while (h != NULL && i < len) {
        while (i < len && (h[i] == ' ' || h[i] == ';'))
            i++;
        size_t start = i;
        while (i < len && h[i] != ';')
            i++;
        const char *pair = h + start;
        size_t plen = i - start;
        if (plen > nlen && memcmp(pair, name, nlen) == 0 && pair[nlen] == '=') {
            *vlen = plen - nlen - 1;
            while (*vlen > 0 && pair[nlen + *vlen] == ' ')
                (*vlen)--;
            return *vlen > 0 ? pair + nlen + 1 : NULL;
        }
    }
    return NULL;
}

static void auth_refuse(auth_cb cb, void *arg, const struct auth_error *e, const char *reason)
{
    struct auth_result r = {.error = e, .reason = reason};
    cb(arg, &r);
}

static void auth_clerk_token(struct auth *a, const char *t, size_t len, bool from_cookie,
                             uv_loop_t *loop, auth_cb cb, void *arg)
{
    if (a->clerk == NULL) {
        auth_refuse(cb, arg, &AUTH_ERR_TOKEN_INVALID,
                    "a session token, but Clerk is not configured");
        return;
    }
    auth_clerk_verify(a->clerk, t, len, from_cookie, loop, cb, arg);
}

void auth_authenticate(struct auth *a, const char *authorization, size_t authorization_len,
                       const char *cookie, size_t cookie_len, uv_loop_t *loop,
                       struct pgpool *pool, auth_cb cb, void *arg)
{
    size_t len = 0;
    const char *t = auth_bearer(authorization, authorization_len, &len);
    if (t != NULL && len >= 7 && memcmp(t, "sentia_", 7) == 0) {
        if (pool == NULL)
            auth_refuse(cb, arg, &AUTH_ERR_DATABASE, "no database pool for API keys");
        else
            auth_apikeys_lookup(a->apikeys, pool, t, len, cb, arg);
        return;
    }
    if (t != NULL) {
        auth_clerk_token(a, t, len, false, loop, cb, arg);
        return;
    }
    if (a->cookie_suffixed[0] != '\0')
        t = auth_cookie(cookie, cookie_len, a->cookie_suffixed, &len);
    if (t == NULL)
        t = auth_cookie(cookie, cookie_len, auth_session_cookie, &len);
    if (t != NULL)
        auth_clerk_token(a, t, len, true, loop, cb, arg);
    else
        auth_refuse(cb, arg, &AUTH_ERR_NO_CREDENTIALS, "no credentials");
}

/* ---- lifetime ---------------------------------------------------------------------- */

int auth_create(const struct auth_options *o, struct auth **out, char **err)
{
    struct auth *a = mem_calloc(1, sizeof *a);
    *out = NULL;
    if (o->clerk) {
        struct auth_clerk_options co = o->clerk_opts;
        co.policy.parties = o->parties;
        if (auth_clerk_create(&co, &a->clerk, err) != 0) {
            free(a);
            return -1;
        }
    }
    if (o->cookie_suffix[0] != '\0')
        snprintf(a->cookie_suffixed, sizeof a->cookie_suffixed, "%s_%s", auth_session_cookie,
                 o->cookie_suffix);
    a->apikeys = auth_apikeys_create(&o->apikeys);
    *out = a;
    return 0;
}

void auth_free(struct auth *a)
{
    if (a == NULL)
        return;
    auth_clerk_free(a->clerk);
    auth_apikeys_free(a->apikeys);
    free(a);
}

struct auth_apikeys *auth_apikeys_of(struct auth *a)
{
    return a->apikeys;
}

struct auth_clerk *auth_clerk_of(struct auth *a)
{
    return a->clerk;
}
