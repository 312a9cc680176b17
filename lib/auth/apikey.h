/*
 * lib/auth/apikey.h: Sentia API keys for programs (DESIGN.md §8).
 *
 * A key is "sentia_" + base64url of 32 random bytes (50 characters). Only
 * its SHA-256 (lower-case hex) is stored, in api_keys (migrations/
 * 0006_auth.sql), with name, role, creator, created, last used and revoked.
 *
 * Lookups go through a process-wide cache shared by every thread (a mutex
 * guards it): hits, and misses remembered as "no such key", live at most
 * ttl_ms (≤ 60 s), so a revocation takes effect within that time on every
 * instance without any signalling. A cache miss is resolved with one
 * statement on the caller's pgpool (the caller's loop), which also moves
 * last_used_at forward when it is a minute old or more — so last_used_at is
 * written at most once a minute per key. A Postgres failure answers
 * database_unavailable (503) and is not cached; an unknown, revoked or
 * malformed key answers api_key_invalid (401).
 *
 * Secrets: the key text is hashed at once and never stored or logged; the
 * cache compares hashes with crypto_equal.
 */
#ifndef SENTIA_LIB_AUTH_APIKEY_H
#define SENTIA_LIB_AUTH_APIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/auth/caller.h"
#include "lib/pgpool.h"

enum {
    AUTH_APIKEY_RANDOM_BYTES = 32,
    AUTH_APIKEY_LEN = 7 + 43, /* "sentia_" + 43 base64url characters */
    AUTH_APIKEY_HASH_HEX = 64,
    AUTH_APIKEY_TTL_MAX_MS = 60000, /* revocation is effective within this */
};

/* A new key (NUL-terminated) and the hex SHA-256 to store. */
void auth_apikey_generate(char key[AUTH_APIKEY_LEN + 1], char hash[AUTH_APIKEY_HASH_HEX + 1]);
/* True when s[0..len) has the shape of a key (prefix, length, alphabet). */
bool auth_apikey_well_formed(const char *s, size_t len);
/* The hex SHA-256 of key[0..len). */
void auth_apikey_hash(const char *key, size_t len, char hash[AUTH_APIKEY_HASH_HEX + 1]);

struct auth_apikeys_options {
    int ttl_ms;              /* 0 = AUTH_APIKEY_TTL_MAX_MS; larger values are capped */
    int capacity;            /* cached keys; 0 = 1024 */
    int query_timeout_ms;    /* 0 = 3000 */
    int64_t (*now_ms)(void); /* monotonic ms for the TTL; NULL = clock_mono_ms */
};

struct auth_apikeys;

struct auth_apikeys *auth_apikeys_create(const struct auth_apikeys_options *o);
void auth_apikeys_free(struct auth_apikeys *c);

/*
 * Looks up key[0..len) (copied). The callback runs once, on the caller's
 * thread: before this returns on a cache hit, a malformed key or a pool that
 * is down; otherwise later on the pool's loop. The caller is kind api_key,
 * subject = the key's name, id = the key's id (decimal).
 */
void auth_apikeys_lookup(struct auth_apikeys *c, struct pgpool *pool, const char *key,
                         size_t len, auth_cb cb, void *arg);
/* Drops every cached entry of key id `id` (after a revocation in this
 * process, so it takes effect at once here). */
void auth_apikeys_forget(struct auth_apikeys *c, const char *id);

#endif
