/*
 * api/cors.c: CORS preflight (see cors.h).
 */
#include "api/cors.h"

#include "api/request.h"
#include "api/router.h"

enum { API_METHODS_TEXT_MAX = 64 };

void api_cors_preflight(h2o_req_t *req, char *const *origins, unsigned methods)
{
    h2o_iovec_t origin = api_header(req, "origin");
    char allow[API_METHODS_TEXT_MAX];
    if (origin.base != NULL && !api_origin_allowed(origins, origin.base, origin.len)) {
        api_respond_error(req, 403, "cors_denied", "origin not allowed");
        return;
    }
    api_methods_text(methods, allow, sizeof allow);
    api_add_header(req, "allow", allow);
    if (origin.base != NULL) {
        api_add_header(req, "access-control-allow-methods", allow);
        api_add_header(req, "access-control-allow-headers", API_CORS_ALLOW_HEADERS);
        api_add_header(req, "access-control-max-age", "600");
    }
    api_respond(req, 204, NULL, "", 0);
}
