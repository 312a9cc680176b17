/*
 * lib/auth/jwt.h: one Clerk session token (a compact JWS) checked against
 * the policy of DESIGN.md §8 and external-apis.md §9.5, in this order:
 *
 *   1. auth_jwt_parse: size (≤ AUTH_JWT_MAX_LEN), three strict base64url
 *      segments, header and payload JSON objects without duplicate members,
 *      then the header: alg == RS256 (before anything else), typ absent or
 *      JWT, no crit/jku/x5u/jwk/x5c, cat absent or a session category, kid a
 *      string. Nothing here needs a key.
 *   2. the caller finds the RSA key of auth_jwt_kid() (lib/auth/keyset.h).
 *   3. auth_jwt_verify: RSASSA-PKCS1-v1_5 SHA-256 over the raw
 *      "header.payload" bytes (signature length == modulus length), then the
 *      claims: exp (required integer), nbf (optional integer), iat (required
 *      integer) with the skew; iss == the configured issuer; azp in the
 *      allow-list (required when the list is set or the token came from the
 *      cookie); sub (user_…) and sid (sess_…) present; sts absent or active;
 *      v absent or 2. Then the role (auth_jwt_role_of).
 *
 * Every function is pure and thread-safe. A refusal returns one of the
 * AUTH_ERR_* constants and writes a reason (for the log; never the token)
 * into the caller's buffer of AUTH_REASON_MAX bytes.
 */
#ifndef SENTIA_LIB_AUTH_JWT_H
#define SENTIA_LIB_AUTH_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "lib/auth/caller.h"

enum {
    /* Clerk keeps tokens in a 4 KB cookie; twice that is generous and keeps
     * a hostile header from costing more than a few KiB of decoding. */
    AUTH_JWT_MAX_LEN = 8192,
    AUTH_REASON_MAX = 192,
    AUTH_KID_MAX = 128,
    AUTH_JWT_SKEW_MS = 5000, /* clock skew allowed on exp/nbf/iat, as Clerk's SDKs */
};

struct auth_jwt_policy {
    const char *issuer;          /* CLERK_ISSUER, compared exactly; NULL refuses all */
    const char *const *parties;  /* CLERK_AUTHORIZED_PARTIES, NULL-terminated; NULL = none */
    const char *role_claim;      /* CLERK_ROLE_CLAIM dotted path; NULL = "o.rol" */
    int64_t skew_ms;             /* 0 = AUTH_JWT_SKEW_MS */
};

/* A parsed token whose signature and claims are not checked yet. */
struct auth_jwt;

/* Step 1. Returns NULL and *out (free with auth_jwt_free), or a refusal. */
const struct auth_error *auth_jwt_parse(const char *token, size_t len, struct auth_jwt **out,
                                        char reason[AUTH_REASON_MAX]);
/* The header's kid (borrowed from t). */
const char *auth_jwt_kid(const struct auth_jwt *t);
/*
 * Step 3 with the key of that kid. now_ms is the wall clock (ms since the
 * epoch). Returns NULL and fills *caller (kind clerk, role, sub, sid), or a
 * refusal.
 */
const struct auth_error *auth_jwt_verify(const struct auth_jwt *t, EVP_PKEY *key,
                                         const struct auth_jwt_policy *p, int64_t now_ms,
                                         bool from_cookie, struct auth_caller *caller,
                                         char reason[AUTH_REASON_MAX]);
void auth_jwt_free(struct auth_jwt *t);

#endif
