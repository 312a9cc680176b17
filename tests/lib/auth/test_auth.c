/*
 * tests/lib/auth/test_auth.c: the entry of lib/auth/auth.c — configuration
 * from the environment, the cookie suffix vectors of external-apis.md §9.8,
 * and where the credential is taken from: Bearer (exact scheme) first, then
 * __session_<suffix>, then __session; API keys only from the header; no
 * credentials; a Postgres failure for an API key; Clerk not configured.
 * Clerk tokens are checked with a PEM key (no network).
 */
#include <stdlib.h>
#include <string.h>

#include "lib/auth/auth.h"
#include "lib/clock.h"
#include "lib/mem.h"
#include "tests/lib/auth/tokens.h"
#include "tests/lib/auth/answer.h"
#include "tests/test.h"

/* ---- configuration -------------------------------------------------------------- */

static const char *const *env_table;

static const char *env_get(const char *name)
{
    for (const char *const *p = env_table; p && *p; p += 2)
        if (strcmp(p[0], name) == 0)
            return p[1];
    return NULL;
}

TEST(cookie_suffix_vectors)
{
    static const char *const v[][2] = {
        {"pk_live_ZmFrZS1jbGVyay10ZXN0LmNsZXJrLmFjY291bnRzLmRldiQ=", "qReyu04C"},
        {"pk_test_Y2xlcmsuY2xlcmsuZGV2JA", "QvfNY2dr"},
        {"pk_test_ZW5vdWdoLWFscGFjYS04Mi5jbGVyay5hY2NvdW50cy5sY2xjbGVyay5jb20k", "jtYvyt_H"},
        {"pk_test_eHh4eHh4LXhhYWFhYS1hYS5jbGVyay5hY2NvdW50cy5sY2xjbGVyay5jb20k", "tZJdb-5s"},
    };
    char out[AUTH_COOKIE_SUFFIX_LEN + 1];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        CHECK_INT(auth_cookie_suffix(v[i][0], out), 0);
        CHECK_STR(out, v[i][1]);
    }
    CHECK_INT(auth_cookie_suffix("", out), -1);
}

TEST(options_from_env)
{
    static const char *const env[] = {
        "CLERK_JWKS_URL", "https://clerk.example.com/.well-known/jwks.json",
        "CLERK_ISSUER", TOK_ISSUER,
        "CLERK_AUTHORIZED_PARTIES", " https://a.example.com, ,https://b.example.com ",
        "CLERK_PUBLISHABLE_KEY", "pk_test_Y2xlcmsuY2xlcmsuZGV2JA",
        NULL};
    env_table = env;
    struct auth_options o;
    char *err = NULL;
    CHECK_INT(auth_options_from_env(&o, env_get, &err), 0);
    CHECK(o.clerk);
    CHECK_STR(o.parties[0], "https://a.example.com");
    CHECK_STR(o.parties[1], "https://b.example.com");
    CHECK(o.parties[2] == NULL);
    CHECK_STR(o.cookie_suffix, "QvfNY2dr");
    CHECK_STR(o.clerk_opts.policy.issuer, TOK_ISSUER);
    auth_options_dispose(&o);
}

TEST(options_problems_reported_together)
{
    static const char *const env[] = {"CLERK_JWT_KEY", "x", "CLERK_ROLE_CLAIM", "o..rol", NULL};
    env_table = env;
    struct auth_options o;
    char *err = NULL;
    CHECK_INT(auth_options_from_env(&o, env_get, &err), -1);
    bool both = strstr(err, "CLERK_ISSUER") && strstr(err, "CLERK_ROLE_CLAIM");
    free(err);
    auth_options_dispose(&o);
    CHECK(both);
}

TEST(no_clerk_configured_is_api_keys_only)
{
    static const char *const env[] = {NULL};
    env_table = env;
    struct auth_options o;
    char *err = NULL;
    CHECK_INT(auth_options_from_env(&o, env_get, &err), 0);
    CHECK(!o.clerk);
    auth_options_dispose(&o);
}

/* ---- credentials ------------------------------------------------------------------ */


static struct auth *open_auth(bool clerk, const char *suffix_key)
{
    char *pem = tok_pem(tok_key());
    const char *env[] = {"CLERK_JWT_KEY", clerk ? pem : "", "CLERK_ISSUER", TOK_ISSUER,
                         "CLERK_AUTHORIZED_PARTIES", TOK_PARTY, "CLERK_PUBLISHABLE_KEY",
                         suffix_key ? suffix_key : "", NULL};
    env_table = env;
    struct auth_options o;
    struct auth *a = NULL;
    char *err = NULL;
    if (auth_options_from_env(&o, env_get, &err) != 0 || auth_create(&o, &a, &err) != 0) {
        fprintf(stderr, "auth: %s\n", err);
        free(err);
    }
    auth_options_dispose(&o);
    free(pem);
    return a;
}

static struct answer run(struct auth *a, const char *authz, const char *cookie,
                         struct pgpool *pool, uv_loop_t *loop)
{
    struct answer r = {0};
    auth_authenticate(a, authz, authz ? strlen(authz) : 0, cookie, cookie ? strlen(cookie) : 0,
                      loop, pool, on_answer, &r);
    while (!r.done)
        uv_run(loop, UV_RUN_ONCE);
    return r;
}

/* A token of the test key valid now, with azp or without. */
static char *token(bool azp, const char *role)
{
    json_t *h = tok_header(TOK_KID), *c = tok_claims(clock_wall_ms() / 1000);
    if (!azp)
        json_object_del(c, "azp");
    json_object_set_new(c, "o", json_pack("{s:s}", "rol", role));
    char *t = tok_sign(tok_key(), h, c);
    json_decref(h);
    json_decref(c);
    return t;
}

TEST(bearer_token_accepted)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth *a = open_auth(true, NULL);
    CHECK(a != NULL);
    char *t = token(true, "manager"), *h = mem_printf("Bearer %s", t);
    struct answer r = run(a, h, NULL, NULL, &loop);
    free(t), free(h);
    auth_free(a);
    uv_loop_close(&loop);
    CHECK(r.error == NULL);
    CHECK_INT(r.caller.kind, AUTH_KIND_CLERK);
    CHECK_INT(r.caller.role, AUTH_ROLE_MANAGER);
    CHECK_STR(r.caller.subject, "user_test1");
    CHECK_STR(r.caller.id, "sess_test1");
}

TEST(no_token_and_other_schemes_are_no_credentials)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth *a = open_auth(true, NULL);
    char *t = token(true, "admin"), *lower = mem_printf("bearer %s", t);
    struct answer none = run(a, NULL, NULL, NULL, &loop);
    struct answer basic = run(a, "Basic dXNlcjpwYXNz", NULL, NULL, &loop);
    struct answer low = run(a, lower, NULL, NULL, &loop);
    struct answer empty = run(a, "Bearer ", NULL, NULL, &loop);
    struct answer other_cookie = run(a, NULL, "theme=dark; __sessionx=abc", NULL, &loop);
    free(t), free(lower);
    auth_free(a);
    uv_loop_close(&loop);
    CHECK(none.error == &AUTH_ERR_NO_CREDENTIALS);
    CHECK_INT(none.error->status, 401);
    CHECK(basic.error == &AUTH_ERR_NO_CREDENTIALS);
    CHECK(low.error == &AUTH_ERR_NO_CREDENTIALS);
    CHECK(empty.error == &AUTH_ERR_NO_CREDENTIALS);
    CHECK(other_cookie.error == &AUTH_ERR_NO_CREDENTIALS);
}

TEST(session_cookie_needs_azp)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth *a = open_auth(true, NULL);
    char *good = token(true, "viewer"), *bare = token(false, "viewer");
    char *c1 = mem_printf("theme=dark; __session=%s; x=y", good);
    char *c2 = mem_printf("__session=%s", bare);
    struct answer ok = run(a, NULL, c1, NULL, &loop);
    struct answer no_azp = run(a, NULL, c2, NULL, &loop);
    free(good), free(bare), free(c1), free(c2);
    auth_free(a);
    uv_loop_close(&loop);
    CHECK(ok.error == NULL);
    CHECK_INT(ok.caller.role, AUTH_ROLE_VIEWER);
    CHECK(no_azp.error == &AUTH_ERR_TOKEN_AZP);
}

TEST(header_wins_over_cookie)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth *a = open_auth(true, NULL);
    char *good = token(true, "viewer"), *cookie = mem_printf("__session=%s", good);
    struct answer r = run(a, "Bearer not.a.token", cookie, NULL, &loop);
    free(good), free(cookie);
    auth_free(a);
    uv_loop_close(&loop);
    CHECK(r.error == &AUTH_ERR_TOKEN_INVALID);
}

TEST(suffixed_cookie_preferred)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth *a = open_auth(true, "pk_test_Y2xlcmsuY2xlcmsuZGV2JA");
    char *good = token(true, "operator");
    char *cookie = mem_printf("__session=garbage; __session_QvfNY2dr=%s", good);
    struct answer r = run(a, NULL, cookie, NULL, &loop);
    free(good), free(cookie);
    auth_free(a);
    uv_loop_close(&loop);
    CHECK(r.error == NULL);
    CHECK_INT(r.caller.role, AUTH_ROLE_OPERATOR);
}

TEST(oversized_bearer_refused)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth *a = open_auth(true, NULL);
    char *h = mem_alloc(9 * 1024 + 8);
    strcpy(h, "Bearer ");
    memset(h + 7, 'A', 9 * 1024);
    h[7 + 9 * 1024] = '\0';
    struct answer r = run(a, h, NULL, NULL, &loop);
    free(h);
    auth_free(a);
    uv_loop_close(&loop);
    CHECK(r.error == &AUTH_ERR_TOKEN_TOO_LARGE);
}

static void pool_closed(void *data)
{
    (void)data;
}

TEST(api_key_with_database_down_is_503)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth *a = open_auth(false, NULL);
    struct pgpool *pool = NULL;
    char *err = NULL;
    struct pgpool_options po = {.url = "postgresql://sentia:sentia@127.0.0.1:9/sentia",
                                .size = 1, .connect_timeout_ms = 1000};
    CHECK_INT(pgpool_create(&loop, &po, &pool, &err), 0);
    char key[AUTH_APIKEY_LEN + 1], hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(key, hash);
    char *h = mem_printf("Bearer %s", key);
    struct answer r = run(a, h, NULL, pool, &loop);
    struct answer no_pool = run(a, h, NULL, NULL, &loop);
    /* An API key is never taken from a cookie. */
    char *cookie = mem_printf("__session=%s", key);
    struct answer from_cookie = run(a, NULL, cookie, pool, &loop);
    pgpool_close(pool, pool_closed, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    free(h), free(cookie);
    auth_free(a);
    uv_loop_close(&loop);
    CHECK(r.error == &AUTH_ERR_DATABASE);
    CHECK_INT(r.error->status, 503);
    CHECK(no_pool.error == &AUTH_ERR_DATABASE);
    CHECK(from_cookie.error == &AUTH_ERR_TOKEN_INVALID); /* Clerk not configured */
}

TEST(session_token_without_clerk_refused)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct auth *a = open_auth(false, NULL);
    CHECK(auth_clerk_of(a) == NULL);
    char *t = token(true, "admin"), *h = mem_printf("Bearer %s", t);
    struct answer r = run(a, h, NULL, NULL, &loop);
    free(t), free(h);
    auth_free(a);
    uv_loop_close(&loop);
    CHECK(r.error == &AUTH_ERR_TOKEN_INVALID);
}
