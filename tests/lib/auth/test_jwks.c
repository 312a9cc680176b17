/*
 * tests/lib/auth/test_jwks.c: the shared key cache (lib/auth/jwks.c) and the
 * asynchronous verifier (lib/auth/clerk.c) against the fake JWKS server
 * tests/fakes/jwks.py: a cached kid completes before verify returns; an
 * unknown kid costs one refetch and is then refused, and further unknown
 * kids within the interval cost none; a rotated key is accepted after one
 * refetch without a restart; with the server down cached keys keep working
 * and new kids are refused; a non-RSA kid is refused without a refetch;
 * waiters on two threads' loops join one fetch; no JWKS at all answers
 * keys_unavailable (503); the PEM source never fetches; a token answered
 * from the cache of verified tokens is checked in full again once the key
 * set changed, and refused when its key left the JWKS.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/auth/clerk.h"
#include "lib/clock.h"
#include "lib/mem.h"
#include "tests/lib/auth/fake_jwks.h"
#include "tests/lib/auth/tokens.h"
#include "tests/test.h"

/* Long enough that a slow first fetch under load still falls inside it. */
enum { INTERVAL_MS = 1500 };

static const char *const parties[] = {TOK_PARTY, NULL};

struct answer {
    bool done;
    const struct auth_error *error;
    struct auth_caller caller;
    char reason[AUTH_REASON_MAX];
};

static void on_answer(void *arg, const struct auth_result *r)
{
    struct answer *a = arg;
    a->done = true;
    a->error = r->error;
    a->caller = r->caller;
    snprintf(a->reason, sizeof a->reason, "%s", r->reason ? r->reason : "");
}

/* Serves a JWKS of the given keys (kid i = kids[i]) plus an EC entry. */
static void serve(EVP_PKEY *const *keys, const char *const *kids, int n)
{
    char *doc = mem_strdup("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"ins_ec\",\"crv\":\"P-256\","
                           "\"x\":\"AAAA\",\"y\":\"AAAA\"}");
    for (int i = 0; i < n; i++) {
        char *jwk = tok_jwk(keys[i], kids[i]);
        char *next = mem_printf("%s,%s", doc, jwk);
        free(doc);
        free(jwk);
        doc = next;
    }
    char *full = mem_printf("%s]}", doc);
    fake_jwks_post("up", NULL);
    fake_jwks_post("set", full);
    free(doc);
    free(full);
}

static struct auth_clerk *clerk_open(const char *url, const char *pem)
{
    struct auth_clerk_options o = {
        .policy = {.issuer = TOK_ISSUER, .parties = parties},
        .keys = {.url = url, .pem = pem, .refetch_interval_ms = INTERVAL_MS, .timeout_ms = 2000},
    };
    struct auth_clerk *c = NULL;
    char *err = NULL;
    if (auth_clerk_create(&o, &c, &err) != 0) {
        fprintf(stderr, "auth_clerk_create: %s\n", err);
        free(err);
        return NULL;
    }
    return c;
}

/* Token of key under kid, valid now. */
static char *token_of(EVP_PKEY *key, const char *kid)
{
    json_t *h = tok_header(kid), *c = tok_claims(clock_wall_ms() / 1000);
    char *t = tok_sign(key, h, c);
    json_decref(h);
    json_decref(c);
    return t;
}

/* Verifies on loop; *sync tells whether it completed before returning. */
static struct answer verify(struct auth_clerk *c, uv_loop_t *loop, const char *token, bool *sync)
{
    struct answer a = {0};
    auth_clerk_verify(c, token, strlen(token), false, loop, on_answer, &a);
    if (sync)
        *sync = a.done;
    while (!a.done)
        uv_run(loop, UV_RUN_ONCE);
    uv_run(loop, UV_RUN_NOWAIT); /* the waiter's close callback */
    return a;
}

/* Waits until the first fetch is done (the set is there or failed). */
static void wait_first_fetch(struct auth_clerk *c)
{
    for (int i = 0; i < 500; i++) {
        struct auth_keyset *s = auth_jwks_current(auth_clerk_keys(c));
        auth_keyset_unref(s);
        if (s != NULL)
            return;
        usleep(10000);
    }
}

static void wait_interval(void)
{
    usleep((INTERVAL_MS + 50) * 1000);
}

#define SETUP()                                                                                \
    uv_loop_t loop;                                                                            \
    uv_loop_init(&loop);                                                                       \
    if (fake_jwks_start() < 0) {                                                               \
        CHECK(!"the fake JWKS server did not start");                                          \
    }

TEST(cached_kid_completes_at_once)
{
    SETUP();
    EVP_PKEY *k = tok_key();
    const char *kid = TOK_KID;
    serve(&k, &kid, 1);
    struct auth_clerk *c = clerk_open(fake_jwks_url(), NULL);
    CHECK(c != NULL);
    wait_first_fetch(c);
    char *t = token_of(k, TOK_KID);
    bool sync = false;
    struct answer a = verify(c, &loop, t, &sync);
    free(t);
    auth_clerk_free(c);
    uv_loop_close(&loop);
    CHECK(sync);
    CHECK(a.error == NULL);
    CHECK_INT(a.caller.role, AUTH_ROLE_ADMIN);
}

TEST(unknown_kid_one_refetch_then_refused)
{
    SETUP();
    EVP_PKEY *k = tok_key();
    const char *kid = TOK_KID;
    serve(&k, &kid, 1);
    struct auth_clerk *c = clerk_open(fake_jwks_url(), NULL);
    wait_first_fetch(c);
    wait_interval();
    int before = auth_jwks_fetches(auth_clerk_keys(c));
    char *t1 = token_of(k, "ins_unknown_1"), *t2 = token_of(k, "ins_unknown_2");
    bool sync1 = true, sync2 = false;
    struct answer a1 = verify(c, &loop, t1, &sync1);
    int after_first = auth_jwks_fetches(auth_clerk_keys(c));
    struct answer a2 = verify(c, &loop, t2, &sync2); /* within the interval: no fetch */
    int after_second = auth_jwks_fetches(auth_clerk_keys(c));
    free(t1);
    free(t2);
    auth_clerk_free(c);
    uv_loop_close(&loop);
    CHECK(!sync1);
    CHECK(a1.error == &AUTH_ERR_TOKEN_UNKNOWN_KEY);
    CHECK_INT(after_first, before + 1);
    CHECK(sync2);
    CHECK(a2.error == &AUTH_ERR_TOKEN_UNKNOWN_KEY);
    CHECK_INT(after_second, after_first);
}

TEST(non_rsa_kid_refused_without_refetch)
{
    SETUP();
    EVP_PKEY *k = tok_key();
    const char *kid = TOK_KID;
    serve(&k, &kid, 1);
    struct auth_clerk *c = clerk_open(fake_jwks_url(), NULL);
    wait_first_fetch(c);
    wait_interval();
    int before = auth_jwks_fetches(auth_clerk_keys(c));
    char *t = token_of(k, "ins_ec");
    bool sync = false;
    struct answer a = verify(c, &loop, t, &sync);
    int after = auth_jwks_fetches(auth_clerk_keys(c));
    free(t);
    auth_clerk_free(c);
    uv_loop_close(&loop);
    CHECK(sync);
    CHECK(a.error == &AUTH_ERR_TOKEN_KEY_TYPE);
    CHECK_INT(after, before);
}

TEST(rotated_key_accepted_after_one_refetch)
{
    SETUP();
    EVP_PKEY *old = tok_key(), *fresh = tok_new_key();
    const char *kid_old = TOK_KID, *kid_new = "ins_rotated";
    serve(&old, &kid_old, 1);
    struct auth_clerk *c = clerk_open(fake_jwks_url(), NULL);
    wait_first_fetch(c);
    char *t_old = token_of(old, kid_old), *t = token_of(fresh, kid_new);
    struct answer o = verify(c, &loop, t_old, NULL), cached = verify(c, &loop, t_old, NULL);
    wait_interval();
    serve(&fresh, &kid_new, 1); /* the old key is gone from the JWKS */
    bool sync = true;
    struct answer a = verify(c, &loop, t, &sync);
    bool sync_again = false;
    struct answer b = verify(c, &loop, t, &sync_again);
    struct answer gone = verify(c, &loop, t_old, NULL); /* cached, but its key set was replaced */
    free(t);
    free(t_old);
    auth_clerk_free(c);
    EVP_PKEY_free(fresh);
    uv_loop_close(&loop);
    CHECK(o.error == NULL && strstr(o.reason, "cached") == NULL);
    CHECK(cached.error == NULL && strstr(cached.reason, "cached") != NULL);
    CHECK(!sync);
    CHECK(a.error == NULL);
    CHECK(sync_again);
    CHECK(b.error == NULL);
    CHECK(gone.error == &AUTH_ERR_TOKEN_UNKNOWN_KEY);
}

TEST(server_down_keeps_cached_keys_and_refuses_new_kids)
{
    SETUP();
    EVP_PKEY *k = tok_key();
    const char *kid = TOK_KID;
    serve(&k, &kid, 1);
    struct auth_clerk *c = clerk_open(fake_jwks_url(), NULL);
    wait_first_fetch(c);
    CHECK_INT(fake_jwks_post("down", NULL), 200);
    wait_interval();
    char *good = token_of(k, TOK_KID), *fresh = token_of(k, "ins_new_while_down");
    struct answer a = verify(c, &loop, fresh, NULL); /* refetch fails: old set kept */
    struct answer b = verify(c, &loop, good, NULL);
    free(good);
    free(fresh);
    fake_jwks_post("up", NULL);
    auth_clerk_free(c);
    uv_loop_close(&loop);
    CHECK(a.error == &AUTH_ERR_TOKEN_UNKNOWN_KEY);
    CHECK(b.error == NULL);
}

TEST(no_jwks_ever_is_keys_unavailable)
{
    SETUP();
    fake_jwks_post("down", NULL);
    struct auth_clerk *c = clerk_open(fake_jwks_url(), NULL);
    for (int i = 0; i < 300 && auth_jwks_fetches(auth_clerk_keys(c)) == 0; i++)
        usleep(10000);
    char *t = token_of(tok_key(), TOK_KID);
    struct answer a = verify(c, &loop, t, NULL);
    free(t);
    fake_jwks_post("up", NULL);
    auth_clerk_free(c);
    uv_loop_close(&loop);
    CHECK(a.error == &AUTH_ERR_KEYS_UNAVAILABLE);
    CHECK_INT(a.error->status, 503);
}

/* ---- several threads ------------------------------------------------------------ */

struct thread_case {
    struct auth_clerk *clerk;
    const char *token;
    struct answer answer;
};

static void *thread_verify(void *arg)
{
    struct thread_case *tc = arg;
    uv_loop_t loop;
    uv_loop_init(&loop);
    tc->answer = verify(tc->clerk, &loop, tc->token, NULL);
    uv_loop_close(&loop);
    return NULL;
}

TEST(waiters_on_two_loops_join_one_fetch)
{
    SETUP();
    EVP_PKEY *k = tok_key(), *fresh = tok_new_key();
    const char *kid = TOK_KID;
    serve(&k, &kid, 1);
    struct auth_clerk *c = clerk_open(fake_jwks_url(), NULL);
    wait_first_fetch(c);
    wait_interval();
    EVP_PKEY *both[] = {k, fresh};
    const char *kids[] = {TOK_KID, "ins_second"};
    serve(both, kids, 2);
    char *t = token_of(fresh, "ins_second");
    int before = auth_jwks_fetches(auth_clerk_keys(c));
    struct thread_case cases[2] = {{c, t, {0}}, {c, t, {0}}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, thread_verify, &cases[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    int after = auth_jwks_fetches(auth_clerk_keys(c));
    free(t);
    EVP_PKEY_free(fresh);
    auth_clerk_free(c);
    uv_loop_close(&loop);
    CHECK(cases[0].answer.error == NULL);
    CHECK(cases[1].answer.error == NULL);
    CHECK(after - before >= 1 && after - before <= 2);
}

TEST(pem_source_never_fetches)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    char *pem = tok_pem(tok_key());
    struct auth_clerk *c = clerk_open(NULL, pem);
    CHECK(c != NULL);
    char *t = token_of(tok_key(), "ins_whatever");
    bool sync = false;
    struct answer a = verify(c, &loop, t, &sync);
    int fetches = auth_jwks_fetches(auth_clerk_keys(c));
    free(t);
    free(pem);
    auth_clerk_free(c);
    uv_loop_close(&loop);
    CHECK(sync);
    CHECK(a.error == NULL);
    CHECK_INT(fetches, 0);
}

TEST(bad_configuration_refused)
{
    struct auth_clerk *c = clerk_open(NULL, NULL);
    CHECK(c == NULL);
    c = clerk_open("ftp://example.com/jwks", NULL);
    CHECK(c == NULL);
    c = clerk_open(NULL, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    CHECK(c == NULL);
    struct auth_clerk_options o = {.keys = {.pem = "x"}};
    char *err = NULL;
    CHECK_INT(auth_clerk_create(&o, &c, &err), -1); /* no issuer */
    free(err);
}
