/*
 * lib/auth/auth.h: the one entry the API's gate calls (DESIGN.md §8):
 * credentials from the Authorization and Cookie headers → a caller (kind
 * clerk or api_key, role, subject, session or key id) or a refusal.
 *
 * Where the credential is taken from (external-apis.md §9.1, our policy):
 *   1. `Authorization: Bearer <x>` (scheme exactly "Bearer"): x starting
 *      "sentia_" is an API key, anything else a Clerk session token.
 *      Another scheme counts as no header.
 *   2. else the cookie `__session_<suffix>` (suffix from
 *      CLERK_PUBLISHABLE_KEY, when set), then `__session`: a Clerk token
 *      whose azp must be in CLERK_AUTHORIZED_PARTIES.
 *   3. else no_credentials.
 *
 * Configuration (environment, read by auth_options_from_env):
 *   CLERK_JWKS_URL or CLERK_JWT_KEY (PEM; wins when both are set),
 *   CLERK_ISSUER (required with either), CLERK_AUTHORIZED_PARTIES (comma
 *   separated origins), CLERK_ROLE_CLAIM (dotted path, default o.rol),
 *   CLERK_SECRET_KEY (Bearer for the Backend API JWKS URL, optional),
 *   CLERK_PUBLISHABLE_KEY (cookie suffix, optional). Without a Clerk key
 *   source only API keys are accepted.
 *
 * Callback contract: auth_authenticate calls cb exactly once, on the thread
 * that called it (the thread running `loop` and owning `pool`): before it
 * returns when the answer is known at once (no credentials, a malformed
 * token, a cached key or API key), otherwise later from that loop. The
 * auth_result is borrowed for the call. The caller must keep `arg` valid
 * until then; there is no cancel — an h2o request that goes away must be
 * detached from arg by the caller (LIBRARIES.md, HTTP/2 resets).
 *
 * Thread-safety and ownership: one struct auth per process, created on the
 * main thread before the API threads start, freed after they stopped;
 * auth_authenticate may be called from every API thread at once, each with
 * its own loop and pgpool. Header values are read during the call only.
 */
#ifndef SENTIA_LIB_AUTH_AUTH_H
#define SENTIA_LIB_AUTH_AUTH_H

#include <stddef.h>
#include <uv.h>

#include "lib/auth/apikey.h"
#include "lib/auth/caller.h"
#include "lib/auth/clerk.h"
#include "lib/pgpool.h"

enum { AUTH_PARTIES_MAX = 16, AUTH_COOKIE_SUFFIX_LEN = 8 };

struct auth_options {
    bool clerk;                       /* a Clerk key source is configured */
    struct auth_clerk_options clerk_opts;
    const char *parties[AUTH_PARTIES_MAX + 1]; /* NULL-terminated; clerk_opts.policy.parties points here */
    char cookie_suffix[AUTH_COOKIE_SUFFIX_LEN + 1]; /* "" = no suffixed cookie */
    struct auth_apikeys_options apikeys;
    char *parties_text;               /* owned copy the parties point into */
};

/*
 * Fills o from the environment through getenv_fn (NULL = getenv). Returns
 * 0, or -1 and *err (caller frees) naming every problem. Dispose with
 * auth_options_dispose; the strings are borrowed from the environment.
 */
int auth_options_from_env(struct auth_options *o, const char *(*getenv_fn)(const char *),
                          char **err);
void auth_options_dispose(struct auth_options *o);

/* The cookie suffix of a publishable key (first 8 characters of base64url
 * SHA-1 of it); returns 0, or -1 for an empty key. */
int auth_cookie_suffix(const char *publishable_key, char out[AUTH_COOKIE_SUFFIX_LEN + 1]);

struct auth;

/* Returns 0 and *out, or -1 and *err (caller frees). Copies what it keeps. */
int auth_create(const struct auth_options *o, struct auth **out, char **err);
void auth_free(struct auth *a);

/*
 * Authenticates one request. authorization / cookie: the header values
 * (NULL or length 0 when absent; not NUL-terminated). See the contract above.
 */
void auth_authenticate(struct auth *a, const char *authorization, size_t authorization_len,
                       const char *cookie, size_t cookie_len, uv_loop_t *loop,
                       struct pgpool *pool, auth_cb cb, void *arg);

/* The parts, borrowed (the admin routes forget revoked keys; tests). */
struct auth_apikeys *auth_apikeys_of(struct auth *a);
struct auth_clerk *auth_clerk_of(struct auth *a); /* NULL without Clerk */

#endif
