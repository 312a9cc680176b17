/*
 * lib/auth/jwt.c: parsing and checking one Clerk session token (see jwt.h
 * for the order of the checks and why each exists).
 */
#include "lib/auth/jwt.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/auth/b64url.h"
#include "lib/mem.h"

struct auth_jwt {
    const char *signed_part; /* "header.payload", borrowed view into text */
    size_t signed_len;
    uint8_t *sig;
    size_t sig_len;
    json_t *header;
    json_t *payload;
    char *text; /* owned copy of the token */
};

/* Session-token categories Clerk stamps in `cat` (external-apis.md §9.6). */
static const char *const jwt_session_cats[] = {"cl_B7d4PD111AAA", "cl_I7d4PD111III", NULL};
/* Header members that would let the token choose its key or extend the rules. */
static const char *const jwt_forbidden_members[] = {"crit", "jku", "x5u", "jwk", "x5c", NULL};

#define JWT_REFUSE(err, ...)                                                                  \
    do {                                                                                      \
        snprintf(reason, AUTH_REASON_MAX, __VA_ARGS__);                                       \
        return (err);                                                                         \
    } while (0)

/* ---- structure ------------------------------------------------------------ */

/* Decodes one base64url JSON object segment; NULL if it is not one. */
static json_t *jwt_decode_object(const char *seg, size_t len)
{
    uint8_t *raw = mem_alloc(AUTH_B64URL_DECODED_MAX(len) + 1);
    long n = auth_b64url_decode(seg, len, raw);
    json_t *v = NULL;
    if (n > 0)
        v = json_loadb((const char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    free(raw);
    if (v != NULL && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

/* Splits text into exactly three segments; returns 0 or -1. */
static int jwt_split(const char *text, size_t len, size_t dot[2])
{
    int ndots = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '.')
            continue;
        if (ndots == 2)
            return -1;
        dot[ndots++] = i;
    }
    return ndots == 2 ? 0 : -1;
}

static const struct auth_error *jwt_structure(struct auth_jwt *t, size_t len,
                                              char reason[AUTH_REASON_MAX])
{
    size_t dot[2];
    if (jwt_split(t->text, len, dot) != 0)
        JWT_REFUSE(&AUTH_ERR_TOKEN_INVALID, "token does not have three segments");
    t->header = jwt_decode_object(t->text, dot[0]);
    if (t->header == NULL)
        JWT_REFUSE(&AUTH_ERR_TOKEN_INVALID, "header is not base64url of a JSON object");
    t->payload = jwt_decode_object(t->text + dot[0] + 1, dot[1] - dot[0] - 1);
    if (t->payload == NULL)
        JWT_REFUSE(&AUTH_ERR_TOKEN_INVALID, "payload is not base64url of a JSON object");
    size_t slen = len - dot[1] - 1;
    t->sig = mem_alloc(AUTH_B64URL_DECODED_MAX(slen) + 1);
    long n = auth_b64url_decode(t->text + dot[1] + 1, slen, t->sig);
    if (n < 0)
        JWT_REFUSE(&AUTH_ERR_TOKEN_INVALID, "signature is not base64url");
    t->sig_len = (size_t)n;
    t->signed_part = t->text;
    t->signed_len = dot[1];
    return NULL;
}

/* ---- header --------------------------------------------------------------- */

static bool jwt_in_list(const char *s, const char *const *list)
{
    for (; list != NULL && *list != NULL; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

static const struct auth_error *jwt_header(const struct auth_jwt *t, char reason[AUTH_REASON_MAX])
{
    const char *alg = json_string_value(json_object_get(t->header, "alg"));
    if (alg == NULL || strcmp(alg, "RS256") != 0)
        JWT_REFUSE(&AUTH_ERR_TOKEN_ALGORITHM, "alg %.20s is not RS256", alg ? alg : "(missing)");
    json_t *typ = json_object_get(t->header, "typ");
    if (typ != NULL && (!json_is_string(typ) || strcmp(json_string_value(typ), "JWT") != 0))
        JWT_REFUSE(&AUTH_ERR_TOKEN_HEADER, "typ is not JWT");
    for (const char *const *m = jwt_forbidden_members; *m != NULL; m++)
        if (json_object_get(t->header, *m) != NULL)
            JWT_REFUSE(&AUTH_ERR_TOKEN_HEADER, "header carries %s", *m);
    json_t *cat = json_object_get(t->header, "cat");
    if (cat != NULL && (!json_is_string(cat) ||
                        !jwt_in_list(json_string_value(cat), jwt_session_cats)))
        JWT_REFUSE(&AUTH_ERR_TOKEN_HEADER, "cat is not a session-token category");
    const char *kid = json_string_value(json_object_get(t->header, "kid"));
    if (kid == NULL || kid[0] == '\0' || strlen(kid) > AUTH_KID_MAX)
        JWT_REFUSE(&AUTH_ERR_TOKEN_HEADER, "kid missing, not a string or too long");
    return NULL;
}

const struct auth_error *auth_jwt_parse(const char *token, size_t len, struct auth_jwt **out,
                                        char reason[AUTH_REASON_MAX])
{
    *out = NULL;
    if (len > AUTH_JWT_MAX_LEN)
        JWT_REFUSE(&AUTH_ERR_TOKEN_TOO_LARGE, "token of %zu bytes exceeds %d", len,
                   AUTH_JWT_MAX_LEN);
    if (len == 0)
        JWT_REFUSE(&AUTH_ERR_TOKEN_INVALID, "empty token");
    struct auth_jwt *t = mem_calloc(1, sizeof *t);
    t->text = mem_strndup(token, len);
    const struct auth_error *e = jwt_structure(t, len, reason);
    if (e == NULL)
        e = jwt_header(t, reason);
    if (e == NULL && t->sig_len == 0) { /* after the header: alg none is named as such */
        e = &AUTH_ERR_TOKEN_INVALID;
        snprintf(reason, AUTH_REASON_MAX, "empty signature");
    }
    if (e != NULL) {
        auth_jwt_free(t);
        return e;
    }
    *out = t;
    return NULL;
}

const char *auth_jwt_kid(const struct auth_jwt *t)
{
    return json_string_value(json_object_get(t->header, "kid"));
}

void auth_jwt_free(struct auth_jwt *t)
{
    if (t == NULL)
        return;
    json_decref(t->header);
    json_decref(t->payload);
    free(t->sig);
    free(t->text);
    free(t);
}

/* ---- signature ------------------------------------------------------------ */

/* RS256 over the raw signed part; true when valid. */
static bool jwt_signature_ok(const struct auth_jwt *t, EVP_PKEY *key)
{
    if (key == NULL || EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA ||
        t->sig_len != (size_t)EVP_PKEY_get_size(key))
        return false;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx != NULL &&
              EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
              EVP_DigestVerify(ctx, t->sig, t->sig_len, (const unsigned char *)t->signed_part,
                               t->signed_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* ---- claims --------------------------------------------------------------- */

/* A JSON integer claim: 1 present, 0 absent, -1 present but not an integer. */
static int jwt_int_claim(const json_t *payload, const char *name, int64_t *out)
{
    json_t *v = json_object_get(payload, name);
    if (v == NULL)
        return 0;
    if (!json_is_integer(v))
        return -1;
    *out = (int64_t)json_integer_value(v);
    return 1;
}

static const struct auth_error *jwt_times(const json_t *pl, int64_t now_ms, int64_t skew,
                                          char reason[AUTH_REASON_MAX])
{
    int64_t exp = 0, nbf = 0, iat = 0;
    if (jwt_int_claim(pl, "exp", &exp) != 1)
        JWT_REFUSE(&AUTH_ERR_TOKEN_CLAIMS, "exp missing or not an integer");
    int has_nbf = jwt_int_claim(pl, "nbf", &nbf);
    if (has_nbf < 0)
        JWT_REFUSE(&AUTH_ERR_TOKEN_CLAIMS, "nbf is not an integer");
    if (jwt_int_claim(pl, "iat", &iat) != 1)
        JWT_REFUSE(&AUTH_ERR_TOKEN_CLAIMS, "iat missing or not an integer");
    /* Seconds far outside any real clock would overflow the ms products. */
    if (exp < 0 || exp > INT64_MAX / 2000 || iat < 0 || iat > INT64_MAX / 2000 || nbf < 0 ||
        nbf > INT64_MAX / 2000)
        JWT_REFUSE(&AUTH_ERR_TOKEN_CLAIMS, "exp, nbf or iat out of range");
    if (exp * 1000 <= now_ms - skew)
        JWT_REFUSE(&AUTH_ERR_TOKEN_EXPIRED, "expired %lld ms ago",
                   (long long)(now_ms - exp * 1000));
    if (has_nbf && nbf * 1000 > now_ms + skew)
        JWT_REFUSE(&AUTH_ERR_TOKEN_NOT_YET, "nbf %lld ms in the future",
                   (long long)(nbf * 1000 - now_ms));
    if (iat * 1000 > now_ms + skew)
        JWT_REFUSE(&AUTH_ERR_TOKEN_IAT_FUTURE, "iat %lld ms in the future",
                   (long long)(iat * 1000 - now_ms));
    return NULL;
}

static const struct auth_error *jwt_origin(const json_t *pl, const struct auth_jwt_policy *p,
                                           bool from_cookie, char reason[AUTH_REASON_MAX])
{
    const char *iss = json_string_value(json_object_get(pl, "iss"));
    if (p->issuer == NULL || iss == NULL || strcmp(iss, p->issuer) != 0)
        JWT_REFUSE(&AUTH_ERR_TOKEN_ISSUER, "iss %.80s is not the configured issuer",
                   iss ? iss : "(missing)");
    bool have_list = p->parties != NULL && p->parties[0] != NULL;
    if (!have_list && !from_cookie)
        return NULL;
    const char *azp = json_string_value(json_object_get(pl, "azp"));
    if (azp == NULL)
        JWT_REFUSE(&AUTH_ERR_TOKEN_AZP, "azp missing%s", from_cookie ? " (cookie token)" : "");
    if (!jwt_in_list(azp, p->parties))
        JWT_REFUSE(&AUTH_ERR_TOKEN_AZP, "azp %.80s is not an authorized party", azp);
    return NULL;
}

/* A string claim with a prefix, at most max bytes; NULL if not so. */
static const char *jwt_id_claim(const json_t *pl, const char *name, const char *prefix,
                                size_t max)
{
    const char *v = json_string_value(json_object_get(pl, name));
    if (v == NULL || strncmp(v, prefix, strlen(prefix)) != 0 || strlen(v) > max)
        return NULL;
    return v;
}

static const struct auth_error *jwt_session(const json_t *pl, struct auth_caller *c,
                                            char reason[AUTH_REASON_MAX])
{
    const char *sub = jwt_id_claim(pl, "sub", "user_", AUTH_SUBJECT_MAX);
    if (sub == NULL)
        JWT_REFUSE(&AUTH_ERR_TOKEN_CLAIMS, "sub missing or not a user id");
    const char *sid = jwt_id_claim(pl, "sid", "sess_", AUTH_ID_MAX);
    if (sid == NULL)
        JWT_REFUSE(&AUTH_ERR_TOKEN_CLAIMS, "sid missing or not a session id");
    json_t *sts = json_object_get(pl, "sts");
    if (sts != NULL && (!json_is_string(sts) || strcmp(json_string_value(sts), "active") != 0))
        JWT_REFUSE(&AUTH_ERR_TOKEN_CLAIMS, "session status is not active");
    json_t *v = json_object_get(pl, "v");
    if (v != NULL && !(json_is_integer(v) && json_integer_value(v) == 2))
        JWT_REFUSE(&AUTH_ERR_TOKEN_CLAIMS, "unknown token version");
    snprintf(c->subject, sizeof c->subject, "%s", sub);
    snprintf(c->id, sizeof c->id, "%s", sid);
    return NULL;
}

/* ---- role ----------------------------------------------------------------- */

/* The string at a dotted path of objects ("o.rol"), or NULL. */
static const char *jwt_path(const json_t *pl, const char *path)
{
    const json_t *v = pl;
    char name[64];
    while (v != NULL && *path) {
        size_t n = strcspn(path, ".");
        if (n == 0 || n >= sizeof name || !json_is_object(v))
            return NULL;
        memcpy(name, path, n);
        name[n] = '\0';
        v = json_object_get(v, name);
        path += n + (path[n] == '.');
    }
    return json_string_value(v);
}

/* The configured claim, then org_role, then metadata.role; "org:" removed. */
static enum auth_role jwt_role(const json_t *pl, const char *claim)
{
    const char *paths[] = {claim ? claim : "o.rol", "org_role", "metadata.role"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const char *v = jwt_path(pl, paths[i]);
        if (v == NULL)
            continue;
        if (strncmp(v, "org:", 4) == 0)
            v += 4;
        return auth_role_parse(v);
    }
    return AUTH_ROLE_NONE;
}

const struct auth_error *auth_jwt_verify(const struct auth_jwt *t, EVP_PKEY *key,
                                         const struct auth_jwt_policy *p, int64_t now_ms,
                                         bool from_cookie, struct auth_caller *caller,
                                         char reason[AUTH_REASON_MAX])
{
    if (!jwt_signature_ok(t, key))
        JWT_REFUSE(&AUTH_ERR_TOKEN_SIGNATURE, "RS256 signature does not verify");
    const struct auth_error *e =
        jwt_times(t->payload, now_ms, p->skew_ms > 0 ? p->skew_ms : AUTH_JWT_SKEW_MS, reason);
    if (e == NULL)
        e = jwt_origin(t->payload, p, from_cookie, reason);
    if (e == NULL)
        e = jwt_session(t->payload, caller, reason);
    if (e != NULL)
        return e;
    caller->kind = AUTH_KIND_CLERK;
    caller->role = jwt_role(t->payload, p->role_claim);
    caller->expires_at = (long long)json_integer_value(json_object_get(t->payload, "exp"));
    caller->from_cookie = from_cookie;
    reason[0] = '\0';
    return NULL;
}
