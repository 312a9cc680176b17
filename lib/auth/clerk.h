/*
 * lib/auth/clerk.h: verification of a Clerk session token on a libuv loop:
 * the checks of lib/auth/jwt.h with the keys of lib/auth/jwks.h.
 *
 * A token verified in full is remembered until its exp (lib/auth/
 * tokencache.h): the same token from the same source, while the key set it
 * was verified with is still the current one, is answered from there
 * without parsing or RS256.
 *
 * auth_clerk_verify completes before it returns (the callback has run) when
 * the token is cached, is refused before the key lookup or when its kid is in the
 * current key set (or a PEM is configured). When the kid is unknown it asks
 * for one refetch (rate-limited, see jwks.h) and completes on `loop` after
 * that fetch; when no refetch is allowed it is refused at once
 * (token_unknown_key, or keys_unavailable when no key set was ever fetched).
 *
 * Thread-safety: one auth_clerk serves every thread; verify is called from
 * the thread running `loop`, and its callback runs on that thread.
 * Lifetime: free it only after every loop that called verify has stopped
 * (a pending verify holds a uv_async_t on its loop until answered, within the
 * fetch timeout).
 */
#ifndef SENTIA_LIB_AUTH_CLERK_H
#define SENTIA_LIB_AUTH_CLERK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/auth/caller.h"
#include "lib/auth/jwks.h"
#include "lib/auth/jwt.h"

struct auth_clerk_options {
    struct auth_jwt_policy policy; /* strings are copied */
    struct auth_jwks_options keys;
    int64_t (*now_ms)(void); /* wall clock; NULL = clock_wall_ms (tests inject) */
    int cache_tokens;        /* verified tokens kept until exp (lib/auth/tokencache.h):
                              * 0 = AUTH_TOKENCACHE_DEFAULT entries, < 0 = none */
};

struct auth_clerk;

/* Returns 0 and *out, or -1 and *err (caller frees). */
int auth_clerk_create(const struct auth_clerk_options *o, struct auth_clerk **out, char **err);
void auth_clerk_free(struct auth_clerk *c);

/* Verifies token[0..len); the token is copied. See the contract above. */
void auth_clerk_verify(struct auth_clerk *c, const char *token, size_t len, bool from_cookie,
                       uv_loop_t *loop, auth_cb cb, void *arg);

/* The key cache behind it (borrowed; for metrics and tests). */
struct auth_jwks *auth_clerk_keys(struct auth_clerk *c);

#endif
