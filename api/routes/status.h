/*
 * api/routes/status.h: GET /api/status — service, version, git commit,
 * environment, uptime, maintenance, and which webhooks are configured.
 * Says nothing secret: whether a secret is set, never its value.
 */
#ifndef SENTIA_API_ROUTES_STATUS_H
#define SENTIA_API_ROUTES_STATUS_H

#include "api/ctx.h"

void status_get(struct api_call *call);

#endif
