/*
 * api/routes/openapi.c: serves the embedded contract (see openapi.h).
 */
#include "api/routes/openapi.h"

void openapi_get(struct api_call *call)
{
    api_respond_cached(call->req, (const char *)openapi_json, openapi_json_len);
}
