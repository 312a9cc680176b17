/*
 * api/routes/slo.h: GET /api/v1/slo (operator; docs/openapi.yaml SloReport,
 * docs/OPERATIONS.md "SLOs"): each SLO of the seeds with its target, its
 * value over 5 min, 1 h and 24 h and the error budget left over 24 h.
 *
 * availability (> 0.999), error_rate (< 0.01) and latency_p95 (< 0.5 s) come
 * from this instance's per-minute HTTP figures (api/metrics.h); a window
 * without requests has value null. data_freshness (< 1800 s, the oldest
 * synced resource), forecast_success (> 0.99, succeeded ÷ finished runs) and
 * working_capital_age (< 86 400 s) come from ops_data_status() (opsdb.h);
 * freshness and working-capital age are points in time: the 5 min window
 * holds the current value, the longer ones null (Postgres keeps only the
 * last success). Without Postgres they are null with a note, and the route
 * still answers 200.
 */
#ifndef SENTIA_API_ROUTES_SLO_H
#define SENTIA_API_ROUTES_SLO_H

#include "api/ctx.h"

void slo_get(struct api_call *call);

#endif
