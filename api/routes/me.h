/*
 * api/routes/me.h: GET /api/v1/me — who the caller is, as the gates
 * established it: {"subject","session","role","auth","api_key_id",
 * "expires_at"} (docs/openapi.yaml, schema Me; auth: clerk | api_key, the
 * AuthKind of audit rows). Class viewer: any authenticated caller with a role.
 */
#ifndef SENTIA_API_ROUTES_ME_H
#define SENTIA_API_ROUTES_ME_H

#include "api/ctx.h"

void me_get(struct api_call *call);

#endif
