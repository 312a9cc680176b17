/*
 * api/gate.c: the gate pipeline (see gate.h).
 *
 * Flow: api_gate_run → gate_admit (limits, maintenance, rate) → routing
 * (404 / preflight / 405) → gate_authenticate → [suspended in a struct
 * api_auth_wait until api_auth_complete] → gate_authorize → handler.
 * Every step either answers the request or hands it to the next one.
 */
#include "api/gate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/cors.h"
#include "api/ctx.h"
#include "api/limits.h"
#include "api/server.h"
#include "lib/clock.h"
#include "lib/crypto.h"
#include "lib/log.h"
#include "lib/mem.h"

#define GATE_WWW_AUTHENTICATE "Bearer error=\"invalid_token\""
#define GATE_SESSION_COOKIE "__session"

enum { GATE_METHODS_TEXT_MAX = 64 };

struct api_auth_wait {
    struct api_pending pending; /* first: the expiry callback casts */
    struct api_call *call;      /* in the request's pool: used only while pending returns req */
};

/* ---- limits, maintenance, rate ------------------------------------------ */

static bool gate_headers_ok(const h2o_req_t *req, const struct api_config *c)
{
    if (req->headers.size > c->max_headers)
        return false;
    size_t bytes = 0;
    for (size_t i = 0; i < req->headers.size; i++)
        bytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
    return bytes <= c->max_header_bytes;
}

static bool gate_ip_listed(char *const *ips, const char *ip)
{
    for (size_t i = 0; ips && ips[i]; i++)
        if (strcmp(ips[i], ip) == 0)
            return true;
    return false;
}

/* Gates 1-3 for a request of class cls; false after answering it. */
static bool gate_admit(h2o_req_t *req, struct api_thread *t, enum api_class cls)
{
    const struct api_config *c = &t->server->cfg;
    bool always_served = cls == API_CLASS_PROBE || cls == API_CLASS_WEBHOOK || cls == API_CLASS_METRICS;
    bool gated_maintenance = c->maintenance && !always_served;
    bool gated_rate = c->rate_per_min > 0 && cls != API_CLASS_PROBE;
    bool rate_peek = cls == API_CLASS_WEBHOOK || cls == API_CLASS_METRICS;
    char ip[API_IP_MAX] = "";
    int retry = 1;
    if (!gate_headers_ok(req, c)) {
        api_respond_error(req, 431, "headers_too_large",
                          "too many request headers, or too many header bytes");
        return false;
    }
    if (req->entity.len > c->max_body_bytes) {
        api_respond_error(req, 413, "body_too_large", "request body exceeds MAX_BODY_BYTES");
        return false;
    }
    if (gated_maintenance || gated_rate) /* the address costs a syscall: only when used */
        api_client_ip(req, c->trust_proxy_hops, ip, sizeof ip);
    if (gated_maintenance && !gate_ip_listed(c->maintenance_ips, ip)) {
        api_respond_retry(req, 503, "maintenance", c->maintenance_message, 60);
        return false;
    }
    if (gated_rate && !(rate_peek ? api_limiter_peek : api_limiter_take)(
                          t->server->limiter, ip, clock_mono_ms(), &retry)) {
        api_respond_retry(req, 429, "rate_limited", "too many requests from this address", retry);
        return false;
    }
    return true;
}

/* ---- credentials -------------------------------------------------------- */

/* The value of cookie `name` in one Cookie header, or {NULL, 0}. */
static h2o_iovec_t gate_cookie(h2o_iovec_t header, const char *name)
{
    size_t nlen = strlen(name);
    const char *p = header.base, *end = header.base + header.len;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == ';'))
            p++;
        const char *item = p;
        while (p < end && *p != ';')
            p++;
        if ((size_t)(p - item) > nlen && memcmp(item, name, nlen) == 0 && item[nlen] == '=')
            return h2o_iovec_init(item + nlen + 1, (size_t)(p - item) - nlen - 1);
    }
    return h2o_iovec_init(NULL, 0);
}

void api_credential_find(h2o_req_t *req, struct api_credential *out)
{
    memset(out, 0, sizeof *out);
    ssize_t i = h2o_find_header(&req->headers, H2O_TOKEN_AUTHORIZATION, -1);
    if (i >= 0) {
        h2o_iovec_t v = req->headers.entries[i].value;
        if (v.len > 7 && strncasecmp(v.base, "bearer ", 7) == 0) {
            size_t a = 7;
            while (a < v.len && v.base[a] == ' ')
                a++;
            if (a < v.len)
                *out = (struct api_credential){API_CREDENTIAL_BEARER, v.base + a, v.len - a};
        }
        return; /* another scheme: no credential we know */
    }
    while ((i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) >= 0) {
        h2o_iovec_t v = gate_cookie(req->headers.entries[i].value, GATE_SESSION_COOKIE);
        if (v.base != NULL && v.len > 0) {
            *out = (struct api_credential){API_CREDENTIAL_COOKIE, v.base, v.len};
            return;
        }
    }
}

/* ---- authentication and role -------------------------------------------- */

static enum api_role gate_class_role(enum api_class cls)
{
    switch (cls) {
    case API_CLASS_VIEWER: return API_ROLE_VIEWER;
    case API_CLASS_MANAGER: return API_ROLE_MANAGER;
    case API_CLASS_ADMIN: return API_ROLE_ADMIN;
    default: return API_ROLE_OPERATOR; /* operator, and metrics without the token */
    }
}

static void gate_refuse_log(struct api_call *call, const char *what, const char *reason)
{
    log_info(LOG_FIELDS(LF_STR("request_id", api_request_id(call->req)),
                        LF_STR("route", call->route->pattern), LF_STR("reason", reason),
                        LF_STR("caller_kind", api_caller_kind_name(call->caller.kind)),
                        LF_STR("role", api_role_name(call->caller.role))),
             "%s", what);
}

/*
 * 401: no valid credential (RFC 6750 §3.1: `Bearer` alone when none was
 * sent). Metrics rows spend the rate token they only checked.
 */
static void gate_unauthenticated(struct api_call *call, bool sent, const char *code,
                                 const char *reason)
{
    if (call->route->cls == API_CLASS_METRICS)
        api_ctx_rate_penalize(call->req);
    gate_refuse_log(call, "authentication refused", reason ? reason : "refused");
    api_add_header(call->req, "www-authenticate", sent ? GATE_WWW_AUTHENTICATE : "Bearer");
    api_respond_error(call->req, 401, code ? code : "unauthenticated",
                      "a valid bearer token or API key is required");
}

/* Gate 5, then the handler. */
static void gate_authorize(struct api_call *call)
{
    const struct api_caller *c = &call->caller;
    enum api_class cls = call->route->cls;
    bool ok = api_role_allows(c->role, gate_class_role(cls)) ||
              (cls == API_CLASS_METRICS && c->kind == API_CALLER_METRICS_TOKEN);
    if (!ok) {
        gate_refuse_log(call, "role refused", "role below the route's");
        api_respond_error(call->req, 403, "forbidden", "your role does not allow this");
        return;
    }
    call->route->handler(call);
}

static void gate_auth_expired(struct api_pending *p)
{
    struct api_auth_wait *w = (struct api_auth_wait *)p;
    h2o_req_t *req = api_pending_end(p);
    if (req == NULL)
        return;
    gate_refuse_log(w->call, "authentication timed out", "no answer within API_AUTH_TIMEOUT_MS");
    api_respond_retry(req, 503, "auth_unavailable", "authentication is unavailable; retry shortly", 1);
}

void api_auth_complete(struct api_auth_wait *w, enum api_auth_outcome outcome,
                       const struct api_caller *caller, const char *code, const char *reason)
{
    h2o_req_t *req = api_pending_end(&w->pending);
    struct api_call *call = w->call;
    free(w);
    if (req == NULL)
        return; /* reset by the client, or answered by the deadline */
    if (outcome == API_AUTH_OK && caller != NULL) {
        call->caller = *caller;
        gate_authorize(call);
    } else if (outcome == API_AUTH_UNAVAILABLE) {
        gate_refuse_log(call, "authentication unavailable", reason ? reason : "unavailable");
        api_respond_retry(req, 503, code ? code : "auth_unavailable",
                          "authentication is unavailable; retry shortly", 1);
    } else {
        gate_unauthenticated(call, true, code, reason);
    }
}

/* True when cred is the METRICS_TOKEN bearer (constant-time). */
static bool gate_metrics_token(const struct api_config *c, const struct api_credential *cred)
{
    return c->metrics_token != NULL && cred->source == API_CREDENTIAL_BEARER &&
           crypto_equal(c->metrics_token, strlen(c->metrics_token), cred->token, cred->len);
}

/* Gate 4: open classes go straight on; others need a credential. */
static void gate_authenticate(struct api_call *call, struct api_thread *t)
{
    enum api_class cls = call->route->cls;
    struct api_credential cred;
    if (cls == API_CLASS_PROBE || cls == API_CLASS_PUBLIC || cls == API_CLASS_WEBHOOK) {
        call->route->handler(call);
        return;
    }
    api_credential_find(call->req, &cred);
    if (cls == API_CLASS_METRICS && gate_metrics_token(&t->server->cfg, &cred)) {
        api_caller_set(&call->caller, API_CALLER_METRICS_TOKEN, API_ROLE_NONE, "metrics", NULL);
        gate_authorize(call);
        return;
    }
    const struct api_authenticator *a = t->server->authenticator;
    if (cred.source == API_CREDENTIAL_NONE || a == NULL) {
        gate_unauthenticated(call, cred.source != API_CREDENTIAL_NONE, NULL,
                             cred.source == API_CREDENTIAL_NONE
                                             ? "no credential"
                                             : "credential not accepted here");
        return;
    }
    struct api_auth_wait *w = mem_calloc(1, sizeof *w);
    w->call = call;
    api_pending_begin(&w->pending, &t->auth_pending, call->req, gate_auth_expired);
    a->authenticate(a->state, call->req, &cred, w); /* w may be gone on return */
}

/* ---- the pipeline ------------------------------------------------------- */

void api_gate_run(h2o_req_t *req, const struct api_match *m)
{
    struct api_thread *t = api_thread_of(req);
    const struct api_route *row = m->route ? m->route : m->first;
    char allow[GATE_METHODS_TEXT_MAX];
    if (!gate_admit(req, t, row ? row->cls : API_CLASS_PUBLIC))
        return;
    if (row == NULL) {
        api_respond_error(req, 404, "not_found", "no such route");
        return;
    }
    if (h2o_memis(req->method.base, req->method.len, H2O_STRLIT("OPTIONS"))) {
        api_cors_preflight(req, t->server->cfg.cors_origins, m->allowed);
        return;
    }
    if (m->route == NULL) {
        api_methods_text(m->allowed, allow, sizeof allow);
        api_add_header(req, "allow", allow);
        api_respond_error(req, 405, "method_not_allowed", "method not allowed on this route");
        return;
    }
    gate_authenticate(api_call_create(req, m), t);
}
