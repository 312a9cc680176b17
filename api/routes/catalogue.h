/*
 * api/routes/catalogue.h: GET /api/v1/products (active, q; by upper(sku))
 * and GET /api/v1/inventory (sku, location, below_reorder; by sku,
 * location, with the current forecast run's reorder point) —
 * docs/openapi.yaml, Product and InventoryRow. Class viewer.
 */
#ifndef SENTIA_API_ROUTES_CATALOGUE_H
#define SENTIA_API_ROUTES_CATALOGUE_H

#include "api/ctx.h"

void products_list(struct api_call *call);
void inventory_list(struct api_call *call);

#endif
