/*
 * lib/auth/tokencache.h: Clerk session tokens already verified, kept until
 * their `exp`, so a dashboard polling with the same token costs one RS256
 * verification per token instead of one per request (docs/PERFORMANCE.md,
 * dashboard reads).
 *
 * An entry is keyed by the SHA-256 of the token text (the text itself is
 * never kept) and compared in constant time (crypto_equal). It records the
 * caller the full verification produced, whether the token came from the
 * session cookie (a token accepted as a Bearer header is not thereby
 * accepted from the cookie, whose azp rule is stricter), and the key set it
 * was verified with, holding a reference to it: a hit needs that very set
 * to be the current one, so a JWKS swap (rotation, a removed key, the
 * periodic refresh) sends every token through the full checks again.
 * Entries expire at the token's exp (no skew is granted to cached answers);
 * only successes are kept, so refused tokens can never fill the table.
 *
 * The table is fixed (capacity slots, chosen at creation): a digest goes to
 * the slot its first bytes name or one of the next few; a new entry takes a
 * free, expired or stale-set slot there, else the one expiring first.
 *
 * Thread-safety: one cache per process, shared by every API thread; a mutex
 * guards it. Ownership: get copies the caller out; put copies it in.
 */
#ifndef SENTIA_LIB_AUTH_TOKENCACHE_H
#define SENTIA_LIB_AUTH_TOKENCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/auth/caller.h"
#include "lib/auth/keyset.h"
#include "lib/crypto.h"

enum { AUTH_TOKENCACHE_DEFAULT = 1024 };

struct auth_tokencache;

/* A cache of `capacity` entries (0 = AUTH_TOKENCACHE_DEFAULT). */
struct auth_tokencache *auth_tokencache_create(int capacity);
/* Drops every entry (and its key set reference) and frees. NULL is ignored. */
void auth_tokencache_free(struct auth_tokencache *c);

/* The SHA-256 a token is cached under. */
void auth_tokencache_digest(const char *token, size_t len, uint8_t out[CRYPTO_SHA256_LEN]);

/*
 * True and *caller when the token of `digest`, from the same source
 * (from_cookie), was verified with `set` and its exp is after now_ms (wall
 * clock, ms since the epoch).
 */
bool auth_tokencache_get(struct auth_tokencache *c, const uint8_t digest[CRYPTO_SHA256_LEN],
                         bool from_cookie, const struct auth_keyset *set, int64_t now_ms,
                         struct auth_caller *caller);
/* Remembers a verified token (caller->expires_at is its exp, Unix s) verified
 * with `set` (a reference is taken); nothing when it expires before now_ms. */
void auth_tokencache_put(struct auth_tokencache *c, const uint8_t digest[CRYPTO_SHA256_LEN],
                         bool from_cookie, struct auth_keyset *set, const struct auth_caller *caller,
                         int64_t now_ms);
/* Entries in use (tests). */
int auth_tokencache_count(struct auth_tokencache *c, int64_t now_ms);

#endif
