/*
 * api/routes/orders.h: GET /api/v1/orders (source, status, from, to, sku,
 * cursor, limit; newest first by placed_at, id) and GET /api/v1/orders/{id}
 * (with its lines and its stock allocation) — docs/openapi.yaml, Order and
 * OrderDetail. Class viewer; read through api/routes/read.h.
 */
#ifndef SENTIA_API_ROUTES_ORDERS_H
#define SENTIA_API_ROUTES_ORDERS_H

#include "api/ctx.h"

void orders_list(struct api_call *call);
void orders_get(struct api_call *call);

#endif
