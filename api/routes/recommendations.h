/*
 * api/routes/recommendations.h: GET /api/v1/stock/recommendations — the
 * current run's stock recommendations (location, sku, needs_order, cursor,
 * limit; by sku, location) — docs/openapi.yaml, StockRecommendationPage.
 * Class viewer.
 */
#ifndef SENTIA_API_ROUTES_RECOMMENDATIONS_H
#define SENTIA_API_ROUTES_RECOMMENDATIONS_H

#include "api/ctx.h"

void recommendations_list(struct api_call *call);

#endif
