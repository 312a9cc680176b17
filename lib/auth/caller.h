/*
 * lib/auth/caller.h: what authentication produces (DESIGN.md §8) — the
 * caller (how authenticated, role, subject, session or key id) or a refusal —
 * and the callback type every asynchronous part of lib/auth/ answers with.
 *
 * Refusals are static constants compared by address (STYLE.md 9). Each has a
 * stable short `code` that may go into a response body, an HTTP `status`
 * (401 for a refused credential, 503 when the credential could not be checked
 * because a dependency is down) and a fixed human `message`. The detailed
 * reason (which claim, which kid) travels separately in auth_result.reason,
 * for the log only; neither ever contains the token or the key.
 */
#ifndef SENTIA_LIB_AUTH_CALLER_H
#define SENTIA_LIB_AUTH_CALLER_H

#include <stdbool.h>

enum auth_role {
    AUTH_ROLE_NONE,     /* authenticated, no rights (a token without a role) */
    AUTH_ROLE_VIEWER,
    AUTH_ROLE_OPERATOR,
    AUTH_ROLE_MANAGER,
    AUTH_ROLE_ADMIN,
};

enum auth_kind {
    AUTH_KIND_CLERK,   /* a Clerk session token */
    AUTH_KIND_API_KEY, /* a sentia_… API key */
};

/* Longest subject / id a caller may carry; longer claims are refused. */
enum { AUTH_SUBJECT_MAX = 255, AUTH_ID_MAX = 127 };

struct auth_caller {
    enum auth_kind kind;
    enum auth_role role;
    char subject[AUTH_SUBJECT_MAX + 1]; /* Clerk `sub` (user_…) or the key's name */
    char id[AUTH_ID_MAX + 1];           /* Clerk `sid` (sess_…) or the key's id */
    long long expires_at;               /* Clerk `exp` (Unix seconds); 0 for a key */
    bool from_cookie;                   /* Clerk: the token came from the session cookie */
};

struct auth_error {
    const char *code;    /* stable, e.g. "token_expired" */
    int status;          /* 401, or 503 when a dependency is down */
    const char *message; /* fixed text for the response body */
};

extern const struct auth_error AUTH_ERR_NO_CREDENTIALS;   /* no_credentials */
extern const struct auth_error AUTH_ERR_TOKEN_TOO_LARGE;  /* token_too_large */
extern const struct auth_error AUTH_ERR_TOKEN_INVALID;    /* token_invalid: structure, base64url, JSON */
extern const struct auth_error AUTH_ERR_TOKEN_ALGORITHM;  /* token_invalid_algorithm */
extern const struct auth_error AUTH_ERR_TOKEN_HEADER;     /* token_invalid_header: typ, crit, jku, cat… */
extern const struct auth_error AUTH_ERR_TOKEN_UNKNOWN_KEY;/* token_unknown_key */
extern const struct auth_error AUTH_ERR_TOKEN_KEY_TYPE;   /* token_invalid_key: kid of a non-RSA key */
extern const struct auth_error AUTH_ERR_TOKEN_SIGNATURE;  /* token_invalid_signature */
extern const struct auth_error AUTH_ERR_TOKEN_EXPIRED;    /* token_expired */
extern const struct auth_error AUTH_ERR_TOKEN_NOT_YET;    /* token_not_active_yet (nbf) */
extern const struct auth_error AUTH_ERR_TOKEN_IAT_FUTURE; /* token_iat_in_the_future */
extern const struct auth_error AUTH_ERR_TOKEN_ISSUER;     /* token_invalid_issuer */
extern const struct auth_error AUTH_ERR_TOKEN_AZP;        /* token_invalid_authorized_party */
extern const struct auth_error AUTH_ERR_TOKEN_CLAIMS;     /* token_invalid_claims: sub, sid, sts, v, types */
extern const struct auth_error AUTH_ERR_KEYS_UNAVAILABLE; /* keys_unavailable (503): no JWKS yet */
extern const struct auth_error AUTH_ERR_API_KEY_INVALID;  /* api_key_invalid: malformed, unknown, revoked */
extern const struct auth_error AUTH_ERR_DATABASE;         /* database_unavailable (503) */

/*
 * One answer. Borrowed by the callback for the duration of the call: copy
 * what you keep. error == NULL: caller is valid; else reason says why (for
 * the log; never contains a secret).
 */
struct auth_result {
    const struct auth_error *error;
    const char *reason;
    struct auth_caller caller;
};

typedef void (*auth_cb)(void *arg, const struct auth_result *r);

/* "none", "viewer", "operator", "manager", "admin". */
const char *auth_role_name(enum auth_role role);
/* The role of a name ("viewer"…"admin"); anything else, NULL included, is
 * AUTH_ROLE_NONE. Exact, case-sensitive. */
enum auth_role auth_role_parse(const char *name);
/* "clerk" or "api_key". */
const char *auth_kind_name(enum auth_kind kind);

#endif
