/*
 * lib/auth/keyset.h: a set of verification keys by kid, from a JWKS document
 * (CLERK_JWKS_URL) or from one PEM public key (CLERK_JWT_KEY).
 *
 * Only RSA keys of at least 2048 bits, with `alg` absent or RS256 and `use`
 * absent or sig, are usable. Every other entry with a kid (EC, OKP, oct, a
 * short modulus, another alg) is remembered as unusable, so a token naming
 * it is refused as such and never triggers a refetch (external-apis.md §9.7
 * A6). A PEM set answers every kid with its one key (Clerk's SDKs ignore the
 * kid with a PEM key).
 *
 * A set is immutable once built and reference-counted (atomically), so the
 * JWKS cache can swap sets while other threads still verify with the old
 * one. EVP_PKEYs returned by auth_keyset_find are borrowed from the set.
 */
#ifndef SENTIA_LIB_AUTH_KEYSET_H
#define SENTIA_LIB_AUTH_KEYSET_H

#include <stddef.h>

#include <openssl/evp.h>

#include "lib/auth/jwt.h"

enum {
    AUTH_JWKS_MAX_BYTES = 64 * 1024, /* a JWKS holds a handful of keys: 64 KiB is plenty */
    AUTH_JWKS_MAX_KEYS = 32,
    AUTH_RSA_MIN_BITS = 2048,
};

enum auth_key_state {
    AUTH_KEY_UNKNOWN,  /* no entry with that kid */
    AUTH_KEY_RSA,      /* a usable RSA key */
    AUTH_KEY_UNUSABLE, /* an entry exists but is not a usable RSA key */
};

struct auth_keyset;

/*
 * Parses a JWKS document. Returns 0 and *out (one reference), or -1 with a
 * reason when the text is not a JWKS ({"keys":[…]}) or holds no entry with
 * a kid. A set with only unusable entries is valid.
 */
int auth_keyset_parse_jwks(const char *json, size_t len, struct auth_keyset **out,
                           char reason[AUTH_REASON_MAX]);
/*
 * Builds a set from one SPKI PEM ("-----BEGIN PUBLIC KEY-----"), also when
 * the environment flattened it to one line or to literal "\n" sequences.
 * Returns 0 and *out, or -1 when it is not an RSA key of ≥ 2048 bits.
 */
int auth_keyset_from_pem(const char *pem, struct auth_keyset **out,
                         char reason[AUTH_REASON_MAX]);

/* What the set knows of kid; *key (borrowed) is set for AUTH_KEY_RSA. */
enum auth_key_state auth_keyset_find(const struct auth_keyset *s, const char *kid,
                                     EVP_PKEY **key);
/* Usable RSA keys in the set. */
int auth_keyset_usable(const struct auth_keyset *s);

struct auth_keyset *auth_keyset_ref(struct auth_keyset *s);
/* Drops one reference; the last frees the set. NULL is ignored. */
void auth_keyset_unref(struct auth_keyset *s);

#endif
