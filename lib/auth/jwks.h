/*
 * lib/auth/jwks.h: the process's Clerk verification keys, shared by every
 * API thread (each running its own libuv loop), never blocking a loop.
 *
 * Two sources (DESIGN.md §8, external-apis.md §9.3):
 * - CLERK_JWT_KEY (a PEM): loaded once at creation; no thread, no network.
 * - CLERK_JWKS_URL: fetched by one dedicated fetcher thread with blocking
 *   libcurl and hard timeouts. The first fetch starts at creation. A set
 *   older than ttl_ms is refreshed in the background on its next use. A
 *   token with an unknown kid asks for a refetch (auth_jwks_refetch), which
 *   is granted at most once per refetch_interval_ms (random kids from an
 *   attacker must not become one fetch per request); requests arriving while
 *   a fetch runs join it. A failed fetch keeps the last good set.
 *   Waiters are answered on their own loop through a uv_async_t each.
 *
 * Thread-safety: every function may be called from any thread, except
 * create and free (main thread, before/after the loops run). libcurl's
 * global init must have run (auth_jwks_create calls curl_global_init, so
 * create before starting threads).
 */
#ifndef SENTIA_LIB_AUTH_JWKS_H
#define SENTIA_LIB_AUTH_JWKS_H

#include <stdbool.h>
#include <uv.h>

#include "lib/auth/keyset.h"

struct auth_jwks_options {
    const char *url;         /* CLERK_JWKS_URL (http or https), or NULL */
    const char *pem;         /* CLERK_JWT_KEY; takes precedence over url */
    const char *bearer;      /* CLERK_SECRET_KEY for the Backend API's /v1/jwks, or NULL */
    int refetch_interval_ms; /* 0 = 30000: at most one fetch per interval */
    int ttl_ms;              /* 0 = 300000: a set older than this is refreshed */
    int timeout_ms;          /* 0 = 5000: a whole fetch, connect included */
};

struct auth_jwks;

/* Returns 0 and *out, or -1 and *err (caller frees): no source, bad PEM. */
int auth_jwks_create(const struct auth_jwks_options *o, struct auth_jwks **out, char **err);
/*
 * Stops the fetcher (waiting for a fetch in progress, ≤ timeout_ms), answers
 * any waiter left and frees. Waiters' callbacks still run on their loops
 * afterwards; they do not touch the jwks.
 */
void auth_jwks_free(struct auth_jwks *j);

/* The current set with one reference (unref it), or NULL before any fetch
 * succeeded. Kicks a background refresh when the set is older than ttl_ms. */
struct auth_keyset *auth_jwks_current(struct auth_jwks *j);

/*
 * The answer to a refetch, on the requester's loop: the set after the fetch
 * (the new one, or the old one if the fetch failed; NULL if there never was
 * one), borrowed for the call.
 */
typedef void (*auth_jwks_cb)(void *arg, struct auth_keyset *set);

/*
 * Asks for a fresh set because a kid was unknown. Returns 0 when the request
 * joined a fetch (cb runs later on `loop`, called from that loop's thread),
 * or -1 when a fetch was made less than refetch_interval_ms ago or the set
 * is a PEM (cb is never called).
 */
int auth_jwks_refetch(struct auth_jwks *j, uv_loop_t *loop, auth_jwks_cb cb, void *arg);

/* Fetches attempted since creation (for tests and metrics). */
int auth_jwks_fetches(struct auth_jwks *j);

#endif
