/*
 * lib/auth/apikey.c: API key format, hashing, and the shared lookup cache
 * (see apikey.h).
 *
 * The cache is a fixed table of `capacity` slots. A hash goes to the slot
 * its first bytes name and may sit in the next APIKEY_PROBE slots; a new
 * entry takes a free or expired slot of that window, else the one expiring
 * first. Entries never outlive ttl_ms.
 */
#include "lib/auth/apikey.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth/b64url.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"

enum { APIKEY_PROBE = 8, APIKEY_DEFAULT_CAPACITY = 1024, APIKEY_DEFAULT_TIMEOUT_MS = 3000 };

static const char apikey_prefix[] = "sentia_";

/* One statement: the key if not revoked, and last_used_at moved forward
 * when it is at least a minute old (so at most one write a minute). */
static const char apikey_sql[] =
    "WITH k AS (SELECT id, name, role FROM api_keys"
    "            WHERE key_hash = $1 AND revoked_at IS NULL),"
    " u AS (UPDATE api_keys SET last_used_at = now()"
    "        WHERE id = (SELECT id FROM k)"
    "          AND (last_used_at IS NULL OR last_used_at <= now() - interval '1 minute'))"
    " SELECT id::text, name, role FROM k";

struct apikey_entry {
    bool used;
    bool found; /* false: remembered as unknown or revoked */
    int64_t expires_ms;
    uint8_t hash[CRYPTO_SHA256_LEN];
    enum auth_role role;
    char id[AUTH_ID_MAX + 1];
    char name[AUTH_SUBJECT_MAX + 1];
};

struct auth_apikeys {
    pthread_mutex_t mu;
    int ttl_ms, capacity, timeout_ms;
    int64_t (*now_ms)(void);
    struct apikey_entry *slots;
};

struct apikey_pending {
    struct auth_apikeys *cache;
    uint8_t hash[CRYPTO_SHA256_LEN];
    auth_cb cb;
    void *arg;
};

/* ---- keys ------------------------------------------------------------------ */

void auth_apikey_generate(char key[AUTH_APIKEY_LEN + 1], char hash[AUTH_APIKEY_HASH_HEX + 1])
{
    uint8_t raw[AUTH_APIKEY_RANDOM_BYTES];
    crypto_random(raw, sizeof raw);
    memcpy(key, apikey_prefix, sizeof apikey_prefix - 1);
    auth_b64url_encode(raw, sizeof raw, key + sizeof apikey_prefix - 1);
    auth_apikey_hash(key, AUTH_APIKEY_LEN, hash);
}

bool auth_apikey_well_formed(const char *s, size_t len)
{
    uint8_t raw[AUTH_B64URL_DECODED_MAX(AUTH_APIKEY_LEN)];
    size_t plen = sizeof apikey_prefix - 1;
    return len == AUTH_APIKEY_LEN && memcmp(s, apikey_prefix, plen) == 0 &&
           auth_b64url_decode(s + plen, len - plen, raw) == AUTH_APIKEY_RANDOM_BYTES;
}

void auth_apikey_hash(const char *key, size_t len, char hash[AUTH_APIKEY_HASH_HEX + 1])
{
    uint8_t d[CRYPTO_SHA256_LEN];
    crypto_sha256(key, len, d);
    crypto_hex_encode(d, sizeof d, hash);
}

/* ---- the cache (mu held) ---------------------------------------------------- */

static size_t apikey_home(const struct auth_apikeys *c, const uint8_t hash[CRYPTO_SHA256_LEN])
{
    uint32_t h = (uint32_t)hash[0] << 24 | (uint32_t)hash[1] << 16 | (uint32_t)hash[2] << 8 |
                 hash[3];
    return h % (uint32_t)c->capacity;
}

static struct apikey_entry *apikey_find(struct auth_apikeys *c,
                                        const uint8_t hash[CRYPTO_SHA256_LEN], int64_t now)
{
    size_t home = apikey_home(c, hash);
    for (int i = 0; i < APIKEY_PROBE; i++) {
        struct apikey_entry *e = &c->slots[(home + (size_t)i) % (size_t)c->capacity];
        if (e->used && e->expires_ms > now &&
            crypto_equal(e->hash, sizeof e->hash, hash, CRYPTO_SHA256_LEN))
            return e;
    }
    return NULL;
}

static struct apikey_entry *apikey_slot_for(struct auth_apikeys *c,
                                            const uint8_t hash[CRYPTO_SHA256_LEN], int64_t now)
{
    size_t home = apikey_home(c, hash);
    struct apikey_entry *best = NULL;
    for (int i = 0; i < APIKEY_PROBE; i++) {
        struct apikey_entry *e = &c->slots[(home + (size_t)i) % (size_t)c->capacity];
        if (!e->used || e->expires_ms <= now ||
            crypto_equal(e->hash, sizeof e->hash, hash, CRYPTO_SHA256_LEN))
            return e;
        if (best == NULL || e->expires_ms < best->expires_ms)
            best = e;
    }
    return best;
}

/* Remembers an answer (found: role, id, name valid). */
static void apikey_store(struct auth_apikeys *c, const uint8_t hash[CRYPTO_SHA256_LEN],
                         bool found, const struct auth_caller *caller)
{
    pthread_mutex_lock(&c->mu);
    int64_t now = c->now_ms();
    struct apikey_entry *e = apikey_slot_for(c, hash, now);
    memset(e, 0, sizeof *e);
    e->used = true;
    e->found = found;
    e->expires_ms = now + c->ttl_ms;
    memcpy(e->hash, hash, sizeof e->hash);
    if (found) {
        e->role = caller->role;
        snprintf(e->id, sizeof e->id, "%s", caller->id);
        snprintf(e->name, sizeof e->name, "%s", caller->subject);
    }
    pthread_mutex_unlock(&c->mu);
}

/* 1 hit (r filled), 0 miss. */
static int apikey_cached(struct auth_apikeys *c, const uint8_t hash[CRYPTO_SHA256_LEN],
                         struct auth_result *r)
{
    pthread_mutex_lock(&c->mu);
    struct apikey_entry *e = apikey_find(c, hash, c->now_ms());
    if (e != NULL) {
        r->error = e->found ? NULL : &AUTH_ERR_API_KEY_INVALID;
        r->reason = e->found ? "" : "unknown or revoked API key (cached)";
        r->caller.kind = AUTH_KIND_API_KEY;
        r->caller.role = e->role;
        snprintf(r->caller.id, sizeof r->caller.id, "%s", e->id);
        snprintf(r->caller.subject, sizeof r->caller.subject, "%s", e->name);
    }
    pthread_mutex_unlock(&c->mu);
    return e != NULL;
}

/* ---- lookups ---------------------------------------------------------------- */

static void apikey_answered(void *data, PGresult *res, const struct pgpool_error *err)
{
    struct apikey_pending *p = data;
    struct auth_result r = {.caller.kind = AUTH_KIND_API_KEY};
    if (err != NULL) {
        log_warn(LOG_FIELDS(LF_STR("reason", err->message)), "API key lookup failed");
        r.error = &AUTH_ERR_DATABASE;
        r.reason = "API key lookup failed: database unavailable or erroring";
    } else if (PQntuples(res) == 0) {
        r.error = &AUTH_ERR_API_KEY_INVALID;
        r.reason = "unknown or revoked API key";
        apikey_store(p->cache, p->hash, false, NULL);
    } else {
        snprintf(r.caller.id, sizeof r.caller.id, "%s", PQgetvalue(res, 0, 0));
        snprintf(r.caller.subject, sizeof r.caller.subject, "%s", PQgetvalue(res, 0, 1));
        r.caller.role = auth_role_parse(PQgetvalue(res, 0, 2));
        r.reason = "";
        apikey_store(p->cache, p->hash, true, &r.caller);
    }
    p->cb(p->arg, &r);
    free(p);
}

void auth_apikeys_lookup(struct auth_apikeys *c, struct pgpool *pool, const char *key,
                         size_t len, auth_cb cb, void *arg)
{
    struct auth_result r = {.caller.kind = AUTH_KIND_API_KEY};
    if (!auth_apikey_well_formed(key, len)) {
        r.error = &AUTH_ERR_API_KEY_INVALID;
        r.reason = "malformed API key";
        cb(arg, &r);
        return;
    }
    struct apikey_pending *p = mem_calloc(1, sizeof *p);
    crypto_sha256(key, len, p->hash);
    if (apikey_cached(c, p->hash, &r)) {
        free(p);
        cb(arg, &r);
        return;
    }
    char hex[AUTH_APIKEY_HASH_HEX + 1];
    crypto_hex_encode(p->hash, sizeof p->hash, hex);
    const char *params[] = {hex};
    p->cache = c;
    p->cb = cb;
    p->arg = arg;
    pgpool_query(pool, apikey_sql, 1, params, c->timeout_ms, apikey_answered, p);
}

void auth_apikeys_forget(struct auth_apikeys *c, const char *id)
{
    pthread_mutex_lock(&c->mu);
    for (int i = 0; i < c->capacity; i++)
        if (c->slots[i].used && c->slots[i].found && strcmp(c->slots[i].id, id) == 0)
            c->slots[i].used = false;
    pthread_mutex_unlock(&c->mu);
}

static int64_t apikey_mono_ms(void)
{
    return (int64_t)clock_mono_ms();
}

struct auth_apikeys *auth_apikeys_create(const struct auth_apikeys_options *o)
{
    struct auth_apikeys *c = mem_calloc(1, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    c->ttl_ms = o->ttl_ms > 0 && o->ttl_ms < AUTH_APIKEY_TTL_MAX_MS ? o->ttl_ms
                                                                    : AUTH_APIKEY_TTL_MAX_MS;
    c->capacity = o->capacity > 0 ? o->capacity : APIKEY_DEFAULT_CAPACITY;
    c->timeout_ms = o->query_timeout_ms > 0 ? o->query_timeout_ms : APIKEY_DEFAULT_TIMEOUT_MS;
    c->now_ms = o->now_ms ? o->now_ms : apikey_mono_ms;
    c->slots = mem_calloc((size_t)c->capacity, sizeof *c->slots);
    return c;
}

void auth_apikeys_free(struct auth_apikeys *c)
{
    if (c == NULL)
        return;
    pthread_mutex_destroy(&c->mu);
    free(c->slots);
    free(c);
}
