/*
 * api/routes/workers.h: GET /api/v1/workers (operator and up) — the live
 * worker processes: members of <prefix>:workers whose registry hash
 * <prefix>:worker:<id> still exists (it expires 90 s after the last beat).
 */
#ifndef SENTIA_API_ROUTES_WORKERS_H
#define SENTIA_API_ROUTES_WORKERS_H

#include "api/ctx.h"

void workers_list(struct api_call *call);

#endif
