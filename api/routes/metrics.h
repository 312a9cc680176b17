/*
 * api/routes/metrics.h: GET /metrics — the Prometheus exposition
 * (api/metrics.h renders it) over a fresh Redis snapshot (api/snapshot.h).
 * Route class metrics: METRICS_TOKEN or the operator role (api/gate.h).
 */
#ifndef SENTIA_API_ROUTES_METRICS_H
#define SENTIA_API_ROUTES_METRICS_H

#include "api/ctx.h"

void metrics_route_scrape(struct api_call *call);

#endif
