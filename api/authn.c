/*
 * api/authn.c: the authenticator adapter over lib/auth (see authn.h).
 */
#include "api/authn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ctx.h"
#include "lib/auth/auth.h"

enum { AUTHN_REASON_MAX = 256 };

static enum api_role authn_role(enum auth_role r)
{
    switch (r) {
    case AUTH_ROLE_VIEWER: return API_ROLE_VIEWER;
    case AUTH_ROLE_OPERATOR: return API_ROLE_OPERATOR;
    case AUTH_ROLE_MANAGER: return API_ROLE_MANAGER;
    case AUTH_ROLE_ADMIN: return API_ROLE_ADMIN;
    default: return API_ROLE_NONE;
    }
}

/* lib/auth's caller → the gate's. */
static void authn_caller(const struct auth_caller *in, struct api_caller *out)
{
    char subject[API_SUBJECT_MAX + 1];
    if (in->kind == AUTH_KIND_API_KEY) {
        snprintf(subject, sizeof subject, "api_key:%.100s", in->id);
        api_caller_set(out, API_CALLER_API_KEY, authn_role(in->role), subject, NULL);
        out->api_key_id = strtoll(in->id, NULL, 10);
        return;
    }
    api_caller_set(out, API_CALLER_CLERK, authn_role(in->role), in->subject, in->id);
    out->expires_at = in->expires_at;
}

/* lib/auth's answer → api_auth_complete (exactly once). */
static void authn_done(void *arg, const struct auth_result *r)
{
    struct api_auth_wait *w = arg;
    char reason[AUTHN_REASON_MAX];
    if (r->error == NULL) {
        struct api_caller c;
        authn_caller(&r->caller, &c);
        api_auth_complete(w, API_AUTH_OK, &c, NULL, NULL);
        return;
    }
    snprintf(reason, sizeof reason, "%s: %s", r->error->code, r->reason ? r->reason : "");
    if (r->error->status == 503)
        api_auth_complete(w, API_AUTH_UNAVAILABLE, NULL, r->error->code, reason);
    else
        api_auth_complete(w, API_AUTH_REFUSED, NULL,
                          r->error == &AUTH_ERR_TOKEN_EXPIRED ? "token_expired" : NULL, reason);
}

/* Every Cookie header of req joined with "; " (HTTP/2 sends one per cookie). */
static h2o_iovec_t authn_cookies(h2o_req_t *req)
{
    h2o_iovec_t out = {NULL, 0};
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) >= 0;) {
        h2o_iovec_t v = req->headers.entries[i].value;
        out = out.base == NULL ? v : h2o_concat(&req->pool, out, h2o_iovec_init(H2O_STRLIT("; ")), v);
    }
    return out;
}

static void authn_authenticate(void *state, h2o_req_t *req, const struct api_credential *cred,
                               struct api_auth_wait *w)
{
    struct api_authn *a = state;
    h2o_iovec_t bearer = {NULL, 0}, cookies = {NULL, 0};
    /* The gate found the scheme case-insensitively; lib/auth wants "Bearer ". */
    if (cred->source == API_CREDENTIAL_BEARER)
        bearer = h2o_concat(&req->pool, h2o_iovec_init(H2O_STRLIT("Bearer ")),
                            h2o_iovec_init(cred->token, cred->len));
    else
        cookies = authn_cookies(req);
    auth_authenticate(a->auth, bearer.base, bearer.len, cookies.base, cookies.len,
                      api_ctx_loop(req), api_ctx_pg(req), authn_done, w);
}

void api_authn_init(struct api_authn *a, struct auth *auth)
{
    memset(a, 0, sizeof *a);
    a->auth = auth;
    a->base.name = "lib/auth";
    a->base.authenticate = authn_authenticate;
    a->base.state = a;
}
