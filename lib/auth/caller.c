/*
 * lib/auth/caller.c: the refusal constants and the role and kind names of
 * lib/auth/caller.h.
 */
#include "lib/auth/caller.h"

#include <string.h>

#define AUTH_401(name, c, m) const struct auth_error name = {.code = c, .status = 401, .message = m}
#define AUTH_503(name, c, m) const struct auth_error name = {.code = c, .status = 503, .message = m}

AUTH_401(AUTH_ERR_NO_CREDENTIALS, "no_credentials", "no bearer token, API key or session cookie");
AUTH_401(AUTH_ERR_TOKEN_TOO_LARGE, "token_too_large", "the token is too large");
AUTH_401(AUTH_ERR_TOKEN_INVALID, "token_invalid", "the token is malformed");
AUTH_401(AUTH_ERR_TOKEN_ALGORITHM, "token_invalid_algorithm", "the token's algorithm is not accepted");
AUTH_401(AUTH_ERR_TOKEN_HEADER, "token_invalid_header", "the token's header is not accepted");
AUTH_401(AUTH_ERR_TOKEN_UNKNOWN_KEY, "token_unknown_key", "the token was signed by an unknown key");
AUTH_401(AUTH_ERR_TOKEN_KEY_TYPE, "token_invalid_key", "the token names a key that cannot verify it");
AUTH_401(AUTH_ERR_TOKEN_SIGNATURE, "token_invalid_signature", "the token's signature is invalid");
AUTH_401(AUTH_ERR_TOKEN_EXPIRED, "token_expired", "the token has expired");
AUTH_401(AUTH_ERR_TOKEN_NOT_YET, "token_not_active_yet", "the token is not valid yet");
AUTH_401(AUTH_ERR_TOKEN_IAT_FUTURE, "token_iat_in_the_future", "the token was issued in the future");
AUTH_401(AUTH_ERR_TOKEN_ISSUER, "token_invalid_issuer", "the token was issued by another instance");
AUTH_401(AUTH_ERR_TOKEN_AZP, "token_invalid_authorized_party", "the token's origin is not allowed");
AUTH_401(AUTH_ERR_TOKEN_CLAIMS, "token_invalid_claims", "the token is not a session token");
AUTH_503(AUTH_ERR_KEYS_UNAVAILABLE, "keys_unavailable", "the signing keys could not be fetched");
AUTH_401(AUTH_ERR_API_KEY_INVALID, "api_key_invalid", "the API key is invalid or revoked");
AUTH_503(AUTH_ERR_DATABASE, "database_unavailable", "the database is unavailable");

static const char *const auth_role_names[] = {
    [AUTH_ROLE_NONE] = "none",         [AUTH_ROLE_VIEWER] = "viewer",
    [AUTH_ROLE_OPERATOR] = "operator", [AUTH_ROLE_MANAGER] = "manager",
    [AUTH_ROLE_ADMIN] = "admin",
};

const char *auth_role_name(enum auth_role role)
{
    if ((unsigned)role > AUTH_ROLE_ADMIN)
        return "none";
    return auth_role_names[role];
}

enum auth_role auth_role_parse(const char *name)
{
    if (name == NULL)
        return AUTH_ROLE_NONE;
    for (int r = AUTH_ROLE_VIEWER; r <= AUTH_ROLE_ADMIN; r++)
        if (strcmp(name, auth_role_names[r]) == 0)
            return (enum auth_role)r;
    return AUTH_ROLE_NONE;
}

const char *auth_kind_name(enum auth_kind kind)
{
    return kind == AUTH_KIND_API_KEY ? "api_key" : "clerk";
}
