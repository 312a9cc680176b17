/*
 * tests/lib/auth/test_apikey.c: API keys (lib/auth/apikey.c) — format,
 * generation and hashing without servers; then lookups against the test
 * Postgres of ./dev test (SENTIA_TEST_PG_PORT; skipped without it), in a
 * database of its own with migrations/0006_auth.sql applied: a known key
 * gives its caller, an unknown or revoked key api_key_invalid, the cache
 * answers before the call returns, a revocation takes effect when the
 * (injected) TTL ends and not before, last_used_at is written at most once
 * a minute, and an unreachable Postgres is database_unavailable, not
 * "unknown key".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth/apikey.h"
#include "lib/crypto.h"
#include "lib/mem.h"
#include "lib/pg.h"
#include "tests/lib/auth/answer.h"
#include "tests/test.h"

/* ---- without servers ------------------------------------------------------------ */

TEST(generated_keys_have_the_documented_shape)
{
    char key[AUTH_APIKEY_LEN + 1], hash[AUTH_APIKEY_HASH_HEX + 1], again[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(key, hash);
    CHECK_INT(strlen(key), 50);
    CHECK(strncmp(key, "sentia_", 7) == 0);
    CHECK(auth_apikey_well_formed(key, strlen(key)));
    auth_apikey_hash(key, strlen(key), again);
    CHECK_STR(hash, again);
    CHECK_INT(strlen(hash), 64);
    char other[AUTH_APIKEY_LEN + 1], other_hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(other, other_hash);
    CHECK(strcmp(key, other) != 0);
}

TEST(malformed_keys_recognised)
{
    char key[AUTH_APIKEY_LEN + 1], hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(key, hash);
    CHECK(!auth_apikey_well_formed(key, strlen(key) - 1));
    CHECK(!auth_apikey_well_formed("sentia_", 7));
    key[10] = '*';
    CHECK(!auth_apikey_well_formed(key, strlen(key)));
    key[10] = 'A';
    key[0] = 'S';
    CHECK(!auth_apikey_well_formed(key, strlen(key)));
}

TEST(hash_is_sha256_hex)
{
    char hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_hash("abc", 3, hash);
    CHECK_STR(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* ---- against Postgres ------------------------------------------------------------- */

static char admin_url[256], db_url[256], db_name[64];
static int64_t fake_now;

static int64_t test_now(void)
{
    return fake_now;
}

static PGconn *connect_to(const char *url)
{
    PGconn *c = NULL;
    char *err = NULL;
    if (pg_connect(url, 1, &c, &err) != 0) {
        fprintf(stderr, "connect: %s\n", err);
        free(err);
        return NULL;
    }
    return c;
}

static bool exec_ok(PGconn *c, const char *sql, int n, const char *const *params)
{
    PGresult *r = pg_exec_params(c, sql, n, params);
    bool ok = r != NULL && pg_result_ok(r);
    if (!ok) {
        char *m = pg_error_text(c, r);
        fprintf(stderr, "%s\n", m);
        free(m);
    }
    PQclear(r);
    return ok;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = mem_alloc((size_t)n + 1);
    s[fread(s, 1, (size_t)n, f)] = '\0';
    fclose(f);
    return s;
}

/* A fresh database with the auth migration; its URL in db_url. */
static bool make_database(void)
{
    if (getenv("SENTIA_TEST_PG_PORT") == NULL)
        return false;
    char id[CRYPTO_ID_HEX_LEN + 1];
    crypto_random_id(id);
    snprintf(db_name, sizeof db_name, "auth_%.12s", id);
    snprintf(admin_url, sizeof admin_url, "%s", test_pg_url("127.0.0.1", "sentia"));
    snprintf(db_url, sizeof db_url, "%s", test_pg_url("127.0.0.1", db_name));
    PGconn *a = connect_to(admin_url);
    char *sql = mem_printf("CREATE DATABASE %s", db_name);
    bool ok = a != NULL && exec_ok(a, sql, 0, NULL);
    free(sql);
    PQfinish(a);
    char *script = read_file(SENTIA_SOURCE_ROOT "/migrations/0006_auth.sql");
    PGconn *d = ok ? connect_to(db_url) : NULL;
    PGresult *r = d && script ? pg_exec_script(d, script) : NULL;
    ok = r != NULL && pg_result_ok(r);
    PQclear(r);
    PQfinish(d);
    free(script);
    return ok;
}

static void drop_database(void)
{
    PGconn *a = connect_to(admin_url);
    char *sql = mem_printf("DROP DATABASE IF EXISTS %s WITH (FORCE)", db_name);
    if (a != NULL)
        exec_ok(a, sql, 0, NULL);
    free(sql);
    PQfinish(a);
}

/* Inserts a key; its id into id_out. */
static bool insert_key(const char *name, const char *role, char key[AUTH_APIKEY_LEN + 1],
                       char id_out[32])
{
    char hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(key, hash);
    PGconn *d = connect_to(db_url);
    const char *p[] = {name, role, hash};
    PGresult *r = pg_exec_params(d, "INSERT INTO api_keys (name, role, key_hash, created_by)"
                                    " VALUES ($1, $2, $3, 'test') RETURNING id::text", 3, p);
    bool ok = r != NULL && pg_result_ok(r) && PQntuples(r) == 1;
    if (ok)
        snprintf(id_out, 32, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    PQfinish(d);
    return ok;
}

static bool sql_ok(const char *sql, const char *param)
{
    PGconn *d = connect_to(db_url);
    const char *p[] = {param};
    bool ok = d != NULL && exec_ok(d, sql, param ? 1 : 0, p);
    PQfinish(d);
    return ok;
}

/* One text value of a one-row query. */
static char *sql_value(const char *sql, const char *param)
{
    PGconn *d = connect_to(db_url);
    const char *p[] = {param};
    PGresult *r = pg_exec_params(d, sql, 1, p);
    char *v = r && pg_result_ok(r) && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)
                  ? mem_strdup(PQgetvalue(r, 0, 0))
                  : NULL;
    PQclear(r);
    PQfinish(d);
    return v;
}


struct env {
    uv_loop_t loop;
    struct pgpool *pool;
    struct auth_apikeys *cache;
};

static bool env_open(struct env *e, const char *url)
{
    char *err = NULL;
    uv_loop_init(&e->loop);
    struct pgpool_options o = {.url = url, .size = 1, .connect_timeout_ms = 2000};
    if (pgpool_create(&e->loop, &o, &e->pool, &err) != 0) {
        free(err);
        return false;
    }
    fake_now = 1000000;
    struct auth_apikeys_options co = {.ttl_ms = 10000, .now_ms = test_now};
    e->cache = auth_apikeys_create(&co);
    return true;
}

static void env_closed(void *data)
{
    (void)data;
}

static void env_close(struct env *e)
{
    pgpool_close(e->pool, env_closed, NULL);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    uv_loop_close(&e->loop);
    auth_apikeys_free(e->cache);
}

/* Looks key up; *sync tells whether it completed before returning. */
static struct answer lookup(struct env *e, const char *key, bool *sync)
{
    struct answer a = {0};
    auth_apikeys_lookup(e->cache, e->pool, key, strlen(key), on_answer, &a);
    if (sync)
        *sync = a.done;
    uint64_t deadline = uv_now(&e->loop) + 10000;
    while (!a.done && uv_now(&e->loop) < deadline)
        uv_run(&e->loop, UV_RUN_ONCE);
    return a;
}

#define NEED_PG()                                                                              \
    do {                                                                                       \
        if (getenv("SENTIA_TEST_PG_PORT") == NULL) {                                           \
            printf("  skipped: SENTIA_TEST_PG_PORT not set\n");                                \
            return;                                                                            \
        }                                                                                      \
        CHECK(make_database());                                                                \
    } while (0)

TEST(known_key_gives_its_caller_then_comes_from_the_cache)
{
    NEED_PG();
    char key[AUTH_APIKEY_LEN + 1], id[32];
    struct env e;
    bool ok = insert_key("prometheus", "operator", key, id) && env_open(&e, db_url);
    if (!ok) {
        drop_database();
        CHECK(ok);
    }
    bool sync1 = true, sync2 = false;
    struct answer a = lookup(&e, key, &sync1);
    struct answer b = lookup(&e, key, &sync2);
    env_close(&e);
    drop_database();
    CHECK(a.done && a.error == NULL);
    CHECK(!sync1);
    CHECK_INT(a.caller.kind, AUTH_KIND_API_KEY);
    CHECK_INT(a.caller.role, AUTH_ROLE_OPERATOR);
    CHECK_STR(a.caller.subject, "prometheus");
    CHECK_STR(a.caller.id, id);
    CHECK(sync2 && b.error == NULL);
    CHECK_STR(b.caller.id, id);
}

TEST(unknown_and_malformed_keys_refused)
{
    NEED_PG();
    struct env e;
    CHECK(env_open(&e, db_url));
    char key[AUTH_APIKEY_LEN + 1], hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(key, hash); /* never stored */
    bool sync = true;
    struct answer a = lookup(&e, key, NULL);
    struct answer again = lookup(&e, key, &sync); /* remembered as unknown */
    struct answer m = lookup(&e, "sentia_short", NULL);
    env_close(&e);
    drop_database();
    CHECK(a.error == &AUTH_ERR_API_KEY_INVALID);
    CHECK_INT(a.error->status, 401);
    CHECK(sync && again.error == &AUTH_ERR_API_KEY_INVALID);
    CHECK(m.error == &AUTH_ERR_API_KEY_INVALID);
}

TEST(revocation_effective_when_the_ttl_ends)
{
    NEED_PG();
    char key[AUTH_APIKEY_LEN + 1], id[32];
    struct env e;
    CHECK(insert_key("script", "viewer", key, id) && env_open(&e, db_url));
    struct answer a = lookup(&e, key, NULL);
    bool revoked = sql_ok("UPDATE api_keys SET revoked_at = now() WHERE id = $1::bigint", id);
    fake_now += 9000; /* inside the 10 s TTL: still the cached answer */
    struct answer b = lookup(&e, key, NULL);
    fake_now += 1001; /* past it: asked again, refused */
    struct answer c = lookup(&e, key, NULL);
    env_close(&e);
    drop_database();
    CHECK(revoked);
    CHECK(a.error == NULL);
    CHECK(b.error == NULL);
    CHECK(c.error == &AUTH_ERR_API_KEY_INVALID);
}

TEST(forget_drops_a_revoked_key_at_once)
{
    NEED_PG();
    char key[AUTH_APIKEY_LEN + 1], id[32];
    struct env e;
    CHECK(insert_key("console", "admin", key, id) && env_open(&e, db_url));
    struct answer a = lookup(&e, key, NULL);
    sql_ok("UPDATE api_keys SET revoked_at = now() WHERE id = $1::bigint", id);
    auth_apikeys_forget(e.cache, id);
    struct answer b = lookup(&e, key, NULL);
    env_close(&e);
    drop_database();
    CHECK(a.error == NULL && a.caller.role == AUTH_ROLE_ADMIN);
    CHECK(b.error == &AUTH_ERR_API_KEY_INVALID);
}

TEST(last_used_written_at_most_once_a_minute)
{
    NEED_PG();
    char key[AUTH_APIKEY_LEN + 1], id[32];
    struct env e;
    CHECK(insert_key("scraper", "viewer", key, id) && env_open(&e, db_url));
    struct answer a = lookup(&e, key, NULL);
    char *first = sql_value("SELECT last_used_at::text FROM api_keys WHERE id = $1::bigint", id);
    fake_now += 20000; /* the cache expired: a second lookup within the minute */
    struct answer b = lookup(&e, key, NULL);
    char *second = sql_value("SELECT last_used_at::text FROM api_keys WHERE id = $1::bigint", id);
    sql_ok("UPDATE api_keys SET last_used_at = now() - interval '61 seconds'"
           " WHERE id = $1::bigint", id);
    fake_now += 20000;
    struct answer c = lookup(&e, key, NULL);
    char *moved = sql_value("SELECT (last_used_at > now() - interval '5 seconds')::text"
                            " FROM api_keys WHERE id = $1::bigint", id);
    env_close(&e);
    drop_database();
    bool ok = a.error == NULL && b.error == NULL && c.error == NULL && first && second &&
              strcmp(first, second) == 0 && moved && strcmp(moved, "true") == 0;
    free(first);
    free(second);
    free(moved);
    CHECK(ok);
}

TEST(postgres_unreachable_is_database_unavailable)
{
    struct env e;
    /* A port nothing listens on (the discard port on loopback). */
    CHECK(env_open(&e, "postgresql://sentia:sentia@127.0.0.1:9/sentia"));
    char key[AUTH_APIKEY_LEN + 1], hash[AUTH_APIKEY_HASH_HEX + 1];
    auth_apikey_generate(key, hash);
    struct answer a = lookup(&e, key, NULL);
    struct answer b = lookup(&e, key, NULL); /* not cached as unknown */
    env_close(&e);
    CHECK(a.done && a.error == &AUTH_ERR_DATABASE);
    CHECK_INT(a.error->status, 503);
    CHECK(b.error == &AUTH_ERR_DATABASE);
}
