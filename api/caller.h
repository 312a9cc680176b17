/*
 * api/caller.h: who is calling — the identity the authentication gate
 * establishes (DESIGN.md §8) and the role order routes are checked against.
 *
 * Roles are ordered: none < viewer < operator < manager < admin; a route
 * needing role R admits every caller whose role is R or above. A caller
 * authenticated without any role (a token without the claim) has role
 * none: known, but with no rights. The metrics token is not a role: it opens
 * the "metrics" route class only (api/router.h).
 *
 * A caller is a small value: it is copied into the request's call record
 * (api/ctx.h), its strings bounded and NUL-terminated.
 */
#ifndef SENTIA_API_CALLER_H
#define SENTIA_API_CALLER_H

#include <stdbool.h>
#include <stddef.h>

enum {
    API_SUBJECT_MAX = 128, /* Clerk user ids are ~32 characters; key ids 32 hex */
    API_SESSION_MAX = 128, /* Clerk session ids are ~32 characters */
};

enum api_role {
    API_ROLE_NONE,
    API_ROLE_VIEWER,
    API_ROLE_OPERATOR,
    API_ROLE_MANAGER,
    API_ROLE_ADMIN,
};

enum api_caller_kind {
    API_CALLER_ANONYMOUS,     /* no credential checked (probes, webhooks) */
    API_CALLER_CLERK,         /* a Clerk session token */
    API_CALLER_API_KEY,       /* a Sentia API key */
    API_CALLER_METRICS_TOKEN, /* METRICS_TOKEN: the metrics class only */
};

struct api_caller {
    enum api_caller_kind kind;
    enum api_role role;
    char subject[API_SUBJECT_MAX + 1]; /* Clerk `sub`, "api_key:<id>", "metrics" */
    char session[API_SESSION_MAX + 1]; /* Clerk `sid`; "" otherwise */
    long long expires_at;              /* Clerk `exp` (Unix seconds); 0 otherwise */
    long long api_key_id;              /* API key: its id; 0 otherwise */
};

/* True when `have` is `need` or above in the role order. */
bool api_role_allows(enum api_role have, enum api_role need);

/* "none", "viewer", …; "kind" names: "anonymous", "clerk", "api_key", "metrics_token". */
const char *api_role_name(enum api_role r);
const char *api_caller_kind_name(enum api_caller_kind k);
/*
 * How the caller authenticated, as the contract's AuthKind names it (docs/
 * openapi.yaml; audit_log.auth_kind and /api/v1/me's "auth"): the two
 * methods of DESIGN.md §8, "clerk" (a session token, whether it came as a
 * Bearer header or the __session cookie: one method, two carriers) and
 * "api_key"; "metrics_token" and "anonymous" for the other kinds, which
 * reach neither. (AuthKind's third value, "cli", is sentia-admin's own
 * audit rows, written without HTTP.)
 */
const char *api_caller_auth_name(const struct api_caller *c);

/*
 * The role named by s[0..len) ("viewer" … "admin", case-sensitive);
 * returns 0, or -1 when s names no role (*out untouched).
 */
int api_role_parse(const char *s, size_t len, enum api_role *out);

/* Fills *c (subject and session truncated to their bounds; NULL = ""; the
 * other fields zero). */
void api_caller_set(struct api_caller *c, enum api_caller_kind kind, enum api_role role,
                    const char *subject, const char *session);

#endif
