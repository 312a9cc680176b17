/*
 * api/routes/apikeys.h: API keys as a resource (admin) — docs/API.md "Admin":
 *   POST   /api/v1/admin/api-keys        {"name","role"} → 201 with the key, shown once
 *   GET    /api/v1/admin/api-keys        newest first; revoked=true|false, cursor, limit
 *   DELETE /api/v1/admin/api-keys/{id}   revoke (idempotent)
 * and the audit log's reader:
 *   GET    /api/v1/admin/audit           newest first; action, subject, outcome, from, to
 * Keys are generated and hashed by lib/auth/apikey.h; only the SHA-256 is
 * stored; a revocation also drops the key from this process's cache.
 */
#ifndef SENTIA_API_ROUTES_APIKEYS_H
#define SENTIA_API_ROUTES_APIKEYS_H

#include "api/ctx.h"

void apikeys_create(struct api_call *call);
void apikeys_list(struct api_call *call);
void apikeys_revoke(struct api_call *call);
void apikeys_audit(struct api_call *call);

#endif
