/*
 * api/authn.h: the gate's authenticator (api/gate.h) on top of lib/auth —
 * Clerk session tokens and API keys (DESIGN.md §8, docs/AUTH.md).
 *
 * For each request the gate suspends, it calls auth_authenticate() with the
 * request's credential, the thread's loop and the thread's Postgres pool
 * (NULL without DATABASE_URL: API keys then answer 503), and completes the
 * wait exactly once from lib/auth's callback — which lib/auth runs once, on
 * the same thread, now or later. The wait itself is the callback's argument:
 * the gate frees it in api_auth_complete(), and its pending guard makes an
 * HTTP/2 reset or a deadline while lib/auth works harmless.
 *
 * Answers: a caller (role mapped one to one; an API key's subject is
 * "api_key:<id>"); a refusal → 401 "unauthenticated" ("token_expired" for
 * an expired token, the one check the contract names in the body; the
 * others go to the log with lib/auth's code and reason); a dependency down →
 * 503 with lib/auth's code (database_unavailable, keys_unavailable).
 *
 * Ownership: the struct api_authn borrows `auth`, which must outlive the
 * server; one api_authn serves every thread.
 */
#ifndef SENTIA_API_AUTHN_H
#define SENTIA_API_AUTHN_H

#include "api/gate.h"

struct auth;

struct api_authn {
    struct api_authenticator base; /* what api_server_set_authenticator takes */
    struct auth *auth;
};

/* Fills *a to authenticate with `auth` (borrowed). */
void api_authn_init(struct api_authn *a, struct auth *auth);

#endif
