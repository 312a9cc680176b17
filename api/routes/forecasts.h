/*
 * api/routes/forecasts.h: GET /api/v1/forecasts (the current succeeded
 * run's forecasts, one item per SKU; sku, history, cursor, limit) and GET
 * /api/v1/forecasts/runs (status, cursor, limit; newest first) —
 * docs/openapi.yaml, ForecastPage and ForecastRunPage. Class viewer.
 */
#ifndef SENTIA_API_ROUTES_FORECASTS_H
#define SENTIA_API_ROUTES_FORECASTS_H

#include "api/ctx.h"

void forecasts_list(struct api_call *call);
void forecasts_runs(struct api_call *call);

#endif
