/*
 * api/routes/working_capital.h: GET /api/v1/working-capital — the latest
 * snapshot (view current_working_capital) and one snapshot per as_of day
 * in [from, to] (the last computed that day), oldest first; to defaults to
 * today (UTC), from to to − 89 days, at most 731 days — docs/openapi.yaml,
 * WorkingCapital. Class viewer.
 */
#ifndef SENTIA_API_ROUTES_WORKING_CAPITAL_H
#define SENTIA_API_ROUTES_WORKING_CAPITAL_H

#include "api/ctx.h"

void working_capital_get(struct api_call *call);

#endif
