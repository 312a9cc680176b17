/*
 * api/gate.h: the gates every request passes, applied in one place from
 * its route row (api/router.h), in this order:
 *
 *   1. limits       more than MAX_HEADERS headers or MAX_HEADER_BYTES → 431;
 *                   a body over MAX_BODY_BYTES → 413
 *   2. maintenance  MAINTENANCE_MODE → 503 (Retry-After: 60) except probes,
 *                   webhooks, metrics and MAINTENANCE_ALLOWED_IPS
 *   3. rate limit   per client address → 429; probes exempt; webhook and
 *                   metrics rows only check (a token is spent when their
 *                   verification or authentication fails)
 *   -  routing      unknown path → 404; OPTIONS → CORS preflight
 *                   (api/cors.h); a method the path lacks → 405 with Allow
 *   4. authentication (classes metrics and viewer…admin) — asynchronous
 *   5. role         the class's role (metrics: the metrics token or operator)
 *                   → 403 forbidden
 *   then the route's handler.
 *
 * Authentication. The credential is `Authorization: Bearer <token>`, else
 * the `__session` cookie (Clerk's). On metrics rows a bearer equal to
 * METRICS_TOKEN (constant-time) is the caller "metrics" of kind
 * metrics_token. Everything else goes to the server's authenticator, if one
 * is installed (api_server_set_authenticator): it may answer at once or
 * later — after a JWKS fetch or a Postgres look-up — by calling
 * api_auth_complete() exactly once, on the request's thread. Meanwhile the
 * request is suspended in a struct api_auth_wait that the gate allocates
 * and frees (in api_auth_complete): it points at the request only through
 * an api_pending guard, so an HTTP/2 reset while it waits is harmless, and
 * it carries a deadline (API_AUTH_TIMEOUT_MS) after which the request is
 * answered 503 auth_unavailable; a completion arriving after that only
 * frees the wait.
 *
 * Refusals: no credential, a refused one, or no authenticator installed →
 * 401 with `WWW-Authenticate: Bearer error="invalid_token"` (`Bearer` alone
 * when the request carried no credential, RFC 6750 §3.1) and the JSON
 * error code "unauthenticated" (or the authenticator's code, such as
 * token_expired); the reason goes to the log, never the token. An
 * authenticated caller below the route's role → 403 forbidden.
 */
#ifndef SENTIA_API_GATE_H
#define SENTIA_API_GATE_H

#include <h2o.h>
#include <stddef.h>

#include "api/caller.h"

enum {
    /* A JWKS fetch or a key look-up slower than this answers 503: a browser
     * waiting longer would rather retry. */
    API_AUTH_TIMEOUT_MS = 5000,
};

struct api_call;

enum api_credential_source {
    API_CREDENTIAL_NONE,
    API_CREDENTIAL_BEARER, /* Authorization: Bearer … */
    API_CREDENTIAL_COOKIE, /* Cookie: __session=… */
};

/* The credential a request carries; token points into the request's headers. */
struct api_credential {
    enum api_credential_source source;
    const char *token; /* not NUL-terminated */
    size_t len;
};

enum api_auth_outcome {
    API_AUTH_OK,          /* *caller is who calls */
    API_AUTH_REFUSED,     /* 401 */
    API_AUTH_UNAVAILABLE, /* the authenticator cannot tell now (JWKS or database down): 503 */
};

/* A request suspended in authentication (opaque; see above). */
struct api_auth_wait;

struct api_authenticator {
    const char *name; /* for the log */
    /*
     * Starts checking `cred` (never API_CREDENTIAL_NONE) for req. req and
     * cred are valid during this call only: copy what you keep. Call
     * api_auth_complete(w, …) exactly once, now or later, on the same thread
     * (hop back with uv_async from another thread), before the thread's loop
     * ends — on shutdown, complete pending waits with API_AUTH_UNAVAILABLE.
     */
    void (*authenticate)(void *state, h2o_req_t *req, const struct api_credential *cred,
                         struct api_auth_wait *w);
    void *state; /* the authenticator's, shared by every thread */
};

/*
 * Ends authentication of w and frees it: API_AUTH_OK with caller (copied) →
 * the role gate, then the handler; API_AUTH_REFUSED → 401 with `code` (NULL:
 * "unauthenticated"); API_AUTH_UNAVAILABLE → 503 with `code` (NULL:
 * "auth_unavailable") and Retry-After: 1. `reason` (may be NULL) is logged, never sent. Does nothing
 * but free w when the request is gone or its deadline already answered it.
 */
void api_auth_complete(struct api_auth_wait *w, enum api_auth_outcome outcome,
                       const struct api_caller *caller, const char *code, const char *reason);

/* The request's credential (source NONE when it carries none). */
void api_credential_find(h2o_req_t *req, struct api_credential *out);

/* Runs the gates for a matched request (m->route may be NULL) and answers it. */
struct api_match;
void api_gate_run(h2o_req_t *req, const struct api_match *m);

#endif
