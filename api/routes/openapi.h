/*
 * api/routes/openapi.h: GET /api/v1/openapi.json (class public, no
 * authentication) — docs/openapi.yaml converted to JSON at build time
 * (api/openapi_embed.py, a meson custom_target) and served with an ETag.
 */
#ifndef SENTIA_API_ROUTES_OPENAPI_H
#define SENTIA_API_ROUTES_OPENAPI_H

#include <stddef.h>

#include "api/ctx.h"

/* The document's JSON bytes (generated openapi_json.c). */
extern const unsigned char openapi_json[];
extern const size_t openapi_json_len;

void openapi_get(struct api_call *call);

#endif
